// Package devices owns device access control for cgroups.
//
// The Emulator evaluates runtime-spec linux.resources.devices rules with
// the semantics of the cgroup v1 devices controller (a default policy plus
// a list of exceptions, where an "a" rule with wildcard numbers and full
// access resets the default). It is pure and table-tested. Its final state
// is turned into devices.allow/devices.deny writes for cgroup v1
// (Transition) and into a BPF_PROG_TYPE_CGROUP_DEVICE program for cgroup
// v2 (Program, Attach). Attach replaces the program hako attached before
// instead of stacking a new one.
//
// This package never decides which devices a container gets by default:
// the caller passes the complete rule list.
package devices
