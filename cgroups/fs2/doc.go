// Package fs2 is the cgroup v2 driver: it creates one cgroup directory
// (enabling controllers in the ancestors' cgroup.subtree_control), turns
// runtime-spec resources into interface-file writes (Plan, pure), applies
// them, attaches the eBPF device filter, and implements freeze, kill,
// stats and OOM notification on top of the v2 interface files.
//
// It never runs inside the container and never talks to systemd; the
// systemd driver uses it for what systemd has no property for.
package fs2
