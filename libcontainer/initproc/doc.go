// Package initproc is the Go init: the Go code that runs inside the
// container before execve, for the processes nsenter's C applier does not
// set up (libcontainer's createInit.appliesInC and execInit.appliesInC
// say which: user namespaces, LSM labels, a terminal, in-container hooks,
// ...). It makes the rootfs, pivot_root, console, hostname, sysctls, user
// and capabilities, then waits for `start` and execs. The workload's
// limits (cgroup resources, rlimits, scheduling) are set by the host at
// round trips, after the init's own work that they must not bind. It runs
// on the locked main thread of "hako init" (credentials and capabilities
// are per-thread), reads its Config from the sync socket and reports
// failures back as an "error" message (see syncproto). It never imports
// cgroups.
package initproc
