// Package intelrdt carries out linux.intelRdt (runtime-spec 1.3,
// config-linux.md "IntelRdt") through the kernel's resctrl filesystem
// (Documentation/filesystems/resctrl.rst, formerly
// Documentation/arch/x86/resctrl.rst): Intel RDT (CAT, MBA, CMT, MBM) and
// AMD QoS (L3 CAT, MBA, SMBA, monitoring) share that one interface.
//
// The work is split in two, as rootfs splits its mounts:
//
//   - Plan (plan.go, pure, every OS) checks a spec's intelRdt and says what
//     would be done: which group directory, which schemata lines, whether a
//     monitoring group is made. validate calls Validate, its part that needs
//     no container ID. Nothing is read or written.
//   - Detect, Apply, Join and Destroy (resctrl_linux.go) find the resctrl
//     mount in /proc/self/mountinfo and do the plan there (Join: an exec'd
//     process into what Apply set up), every path opened beneath
//     the mount with openat2 (RESOLVE_BENEATH, no symlinks, no mount
//     crossing). They take the mount's path, and their writes are plain
//     file writes, so a directory tree that looks like resctrl stands in for
//     it in the tests.
//
// The resctrl tree, as the kernel shows it (root = the mount, usually
// /sys/fs/resctrl):
//
//	root/                    the default group (CLOS 0): every task at first
//	root/schemata            one line per resource: "RES:ID=VAL;ID=VAL;..."
//	root/tasks               the pids in the group; write one pid to move it
//	root/info/               what the hardware has; info/last_cmd_status says
//	                         why the last write or mkdir failed
//	root/mon_groups/         monitoring (MON) groups of the default group
//	root/<name>/             a control group (CTRL_MON): mkdir makes one and
//	                         the kernel fills it with schemata, tasks, cpus,
//	                         mon_groups/, mon_data/; rmdir removes it and
//	                         gives its tasks back to the default group
//	root/<name>/mon_groups/<m>/  a MON group: counts (mon_data/) for the
//	                         tasks written to its tasks file, which must
//	                         already be in <name>; rmdir gives them back
//
// Schemata lines (units per resctrl.rst): L3/L2 (and L3CODE/L3DATA,
// L2CODE/L2DATA with CDP) take a capacity bitmask in hex per cache id
// ("L3:0=ff;1=c0": cache 0 may fill the ways of 0xff); MB takes a share of
// memory bandwidth in percent per cache id, or MBps when resctrl is mounted
// with -o mba_MBps ("MB:0=50;1=100"); the kernel rounds MB to the
// hardware's step (info/MB/bandwidth_gran). The kernel checks the values
// against the hardware when they are written; Plan checks only the form.
//
// The spec's rules, and what hako does with them (as runc 1.5 does, with
// the differences named):
//
//   - closID names the group; empty means a group named after the
//     container ID, which hako makes and removes with the container (one
//     there already is an error, as the spec removes only what the runtime
//     made; runc would take it, then remove it). "/" (spec 1.3) is the
//     default group, the root itself, never made or removed.
//   - A closID group is shared: with no schema in the spec it must exist
//     already (made by the administrator) and is used as it is; with a
//     schema it is made when missing (and its schemata written), and when it
//     exists its schemata must match the spec's (hako compares, as the spec
//     requires, only the domains the spec sets; runc 1.5 writes the file
//     over, a TODO in its code). A closID group is never removed, even one
//     hako made, as the spec says (and runc does).
//   - l3CacheSchema, then memBwSchema, then the schemata lines are written
//     in one write to <group>/schemata, as runc does. The kernel refuses a
//     domain of a resource set twice in one write ("Duplicate domain"), so
//     Plan refuses it first, naming both fields.
//   - enableMonitoring makes mon_groups/<container ID> under the group and
//     moves the process there; it is removed with the container, whatever
//     the group. Failing to make it (no monitoring, no RMID left) is an
//     error, as the spec says.
//   - tasks takes thread IDs: writing the init's pid moves its main
//     thread, which is the one that execs the container's program; what it
//     forks or clones afterwards inherits the group.
package intelrdt

import "path/filepath"

// NotMounted is the one-line error when a spec has linux.intelRdt and the
// host has no resctrl mount (the spec: the runtime MUST generate an error).
const NotMounted = "linux.intelRdt: resctrl is not mounted (mount -t resctrl resctrl /sys/fs/resctrl); the host has no Intel RDT / AMD QoS support or it is not enabled"

// DefaultClosID is the closID of the default group, the resctrl root.
const DefaultClosID = "/"

// Group is a plan for one container's resctrl group, then (after Apply)
// the record of what was made, which Destroy reads. It is JSON so that the
// caller can keep it in the container's state and destroy from another
// process.
type Group struct {
	// Name is the control group's directory below the resctrl root: the
	// closID, or the container ID when closID is empty; "" for the
	// default group (closID "/"), which is the root itself.
	Name string `json:"name,omitempty"`

	// Shared says the group is named by closID: it may exist before the
	// container and be shared with others, so it is never removed.
	Shared bool `json:"shared,omitempty"`

	// Schemata are the lines for <group>/schemata, in the order they are
	// written: l3CacheSchema's, memBwSchema, then the schemata field's,
	// each as the spec has it. Empty: the file is not touched.
	Schemata []string `json:"schemata,omitempty"`

	// Monitor is the name of the MON group made under
	// <group>/mon_groups (the container ID), "" without enableMonitoring.
	Monitor string `json:"monitor,omitempty"`

	// Set by Apply.
	//
	// Root is the resctrl mount Apply worked on.
	Root string `json:"root,omitempty"`
	// Created says Apply made the group's directory.
	Created bool `json:"created,omitempty"`
	// MonitorCreated says Apply made the MON group's directory.
	MonitorCreated bool `json:"monitorCreated,omitempty"`
}

// Dir is the control group's directory under root.
func (g *Group) Dir(root string) string {
	return filepath.Join(root, g.Name)
}

// MonitorDir is the MON group's directory under root, "" without one.
func (g *Group) MonitorDir(root string) string {
	if g.Monitor == "" {
		return ""
	}
	return filepath.Join(root, g.Name, "mon_groups", g.Monitor)
}
