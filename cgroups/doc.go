// Package cgroups owns resource control on the host side: one Manager
// interface and its drivers. It never runs inside the container, never
// imports libcontainer, and never decides a container's default device
// list (the caller passes complete linux.resources.devices rules).
//
// # API
//
//	type Config struct {
//		Root        string                // cgroup mount root, DefaultRoot ("/sys/fs/cgroup") if empty; a test seam
//		Path        string                // linux.cgroupsPath ("" = runc's default, see below)
//		ID          string                // container id
//		Systemd     bool                  // --systemd-cgroup
//		Rootless    bool                  // tolerate EPERM/EACCES when no limits are set
//		Resources   *specs.LinuxResources // unit properties for the systemd scope at Apply
//		Annotations map[string]string     // org.systemd.property.<Name> = D-Bus variant text
//		Paths       map[string]string     // exact dirs from an earlier Manager.Paths(); win over Path
//	}
//	func New(cfg Config) (Manager, error)  // pure: computes paths, creates nothing
//	func DetectMode(root string) Mode      // Unavailable, Legacy, Hybrid, Unified
//	func IsV2(root string) bool
//
//	type Manager interface {
//		Apply(pid int) error                // create (+ parents, controllers) and move pid in; pid <= 0: create only (not systemd)
//		Set(r *specs.LinuxResources) error  // apply/update; unsupported field -> error naming it
//		Destroy() error                     // remove the cgroup(s) / stop the scope; idempotent
//		Pids() ([]int, error)               // recursive
//		Freeze() error
//		Thaw() error
//		Frozen() (bool, error)
//		Kill(sig unix.Signal) error         // every process; cgroup.kill for SIGKILL on v2
//		Stats() (*Stats, error)             // runc types.Stats JSON shape
//		OOMEvents(ctx context.Context) (<-chan struct{}, error)
//		Path(controller string) string      // v1 controller dir ("" = unified dir of a hybrid host); v2: the dir
//		Paths() map[string]string           // persist these; pass back as Config.Paths
//		CgroupFD() (int, error)             // v2: create the dir, O_PATH fd for CLONE_INTO_CGROUP;
//		                                    // systemd: only once the scope runs (exec); v1: error
//	}
//
// # Drivers
//
// New picks the driver from the layout under Root: fs2 (cgroups/fs2) on
// a pure v2 mount, fs1 (cgroups/fs1) on legacy and hybrid hosts (v1
// controllers set the limits; the hybrid's v2 mount and name=systemd only
// hold the process), systemd (cgroups/systemd) with Config.Systemd, v2
// only. Device rules go through cgroups/devices: devices.allow/deny
// writes on v1, an eBPF program on v2 that replaces the previous one.
//
// # Paths
//
// As in runc: an absolute cgroupsPath is below each hierarchy's mount; a
// relative one, and the default (the container id), is below the
// caller's own cgroup of each hierarchy (/proc/self/cgroup), on v2 below
// that cgroup's parent. Relative paths therefore depend on where the
// command runs: persist Paths() at create and pass them back. For
// systemd the path is "slice:prefix:name" (default
// "system.slice:hako:<ID>"), the unit "prefix-name.scope".
//
// # Resource fields
//
// Nil means "leave alone". pids.limit: negative is "max", 0 is 1 (runc).
// memory.swap is memory+swap as in v1 and converted for v2 as runc does
// (-1 memory without swap gives unlimited swap; swap == memory disables
// swap); cpu.shares becomes cpu.weight with runc >= 1.3.2's curve
// (1024 -> 100); blkio weights map linearly onto io.weight unless BFQ's
// io.bfq.weight exists. Ignored as by runc: memory.kernel everywhere; on
// v2 also swappiness, kernelTCP, disableOOMKiller, useHierarchy and
// blockIO leafWeight, which v2 has no file for. Errors: unified on v1,
// realtime CPU and net_cls/net_prio on v2, a controller that is not
// mounted, a kernel file that does not exist, an invalid unified key.
package cgroups
