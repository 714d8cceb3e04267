// Package initproc is the only code that runs inside the container before
// execve: rootfs setup, pivot_root, console, hostname, sysctls, user and
// capabilities, then the wait for `start` and the execve itself. The
// workload's limits (cgroup resources, rlimits, scheduling) are set by the
// host at round trips, after the init's own work that they must not bind.
// It runs on the locked main thread of "hako init" (credentials and
// capabilities are per-thread), reads its Config from the sync socket and
// reports failures back as an "error" message (see syncproto). It never imports cgroups.
package initproc
