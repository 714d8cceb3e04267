// Package fs1 is the cgroup v1 driver (legacy and hybrid layouts): one
// directory per controller hierarchy, resources turned into per-controller
// file writes by Plan (pure), cpuset parents filled from their parent,
// devices.allow/deny through the devices emulator, the freezer for pause
// and for race-free kill, and v1 stats and memory.oom_control events.
//
// In a hybrid layout the process is also placed in the cgroup v2
// hierarchy (and name=systemd) for bookkeeping only; no resource is set
// there. This package never creates paths it was not given.
package fs1
