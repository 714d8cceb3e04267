package cgroups

import (
	"context"
	"fmt"
	"maps"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/cgroups/internal/common"
)

// DefaultRoot is where the cgroup filesystems are mounted.
const DefaultRoot = "/sys/fs/cgroup"

// Config says which cgroup a container uses. It is the whole input of
// New, so later commands that build the same Config get the same
// Manager.
type Config struct {
	// Root is the mount root of the cgroup filesystems (DefaultRoot when
	// empty). Tests point it at a temporary directory.
	Root string
	// Path is linux.cgroupsPath from config.json. Empty means the runc
	// default: "<ID>" relative to hako's own cgroup (its parent on v2) for
	// the fs drivers, "system.slice:hako:<ID>" ("user.slice:..." when
	// Rootless) for systemd. For systemd it must be "slice:prefix:name".
	Path string
	// ID is the container id.
	ID string
	// Systemd selects the systemd driver (--systemd-cgroup).
	Systemd bool
	// Rootless tolerates permission errors when no resources are set.
	Rootless bool
	// Resources are the container's limits; the systemd driver turns them
	// into unit properties when it starts the scope in Apply.
	Resources *specs.LinuxResources
	// Annotations of the container; "org.systemd.property.<Name>" entries
	// become extra properties of the systemd unit.
	Annotations map[string]string
	// Paths, when set, are the directories an earlier Manager.Paths()
	// returned (persisted by the caller); they win over Path. This keeps
	// relative cgroupsPath values stable across commands run from
	// different cgroups.
	Paths map[string]string
}

// Manager controls the cgroup(s) of one container.
type Manager interface {
	// Apply creates the cgroup(s), parents included (enabling controllers
	// in cgroup.subtree_control on v2), and moves pid in; pid <= 0 only
	// creates. The systemd driver starts the transient scope here.
	Apply(pid int) error
	// Set applies every field of r; an unsupported field fails with an
	// error naming it. Nil sub-structs and nil fields are left alone; an
	// empty device list leaves the device policy alone.
	Set(r *specs.LinuxResources) error
	// Destroy removes the cgroup(s) (and the systemd scope); idempotent.
	Destroy() error
	// Pids lists every process in the container's cgroup, recursively.
	Pids() ([]int, error)
	Freeze() error
	Thaw() error
	// Frozen reports whether the cgroup is frozen (or freezing on v1).
	Frozen() (bool, error)
	// Kill sends sig to every process; SIGKILL uses cgroup.kill on v2.
	Kill(sig unix.Signal) error
	// Stats reads the counters, in runc's types.Stats JSON shape.
	Stats() (*Stats, error)
	// OOMEvents sends one value per OOM kill until ctx is done.
	OOMEvents(ctx context.Context) (<-chan struct{}, error)
	// Path is the directory of a v1 controller ("memory", "cpu", ...,
	// "" for the v2 directory of a hybrid layout); on v2 the argument is
	// ignored and the unified directory returned.
	Path(controller string) string
	// Paths returns all directories, for Config.Paths of later commands.
	Paths() map[string]string
	// CgroupFD creates the cgroup directory and returns an O_PATH fd for
	// clone3(CLONE_INTO_CGROUP); v2 only. The caller closes it.
	CgroupFD() (int, error)
}

// Stats and the types it is made of.
type (
	Stats            = common.Stats
	CPU              = common.CPU
	CPUUsage         = common.CPUUsage
	Throttling       = common.Throttling
	CPUSet           = common.CPUSet
	Memory           = common.Memory
	MemoryEntry      = common.MemoryEntry
	MemoryEventCount = common.MemoryEventCount
	Pids             = common.Pids
	Blkio            = common.Blkio
	BlkioEntry       = common.BlkioEntry
	Hugetlb          = common.Hugetlb
	PSIStats         = common.PSIStats
	PSIData          = common.PSIData
)

// New computes the cgroup paths of a container and returns its manager.
// It creates nothing and, apart from reading /proc/self/cgroup for a
// relative path and the layout under Root, has no effect.
func New(cfg Config) (Manager, error) {
	if cfg.Root == "" {
		cfg.Root = DefaultRoot
	}
	mode := DetectMode(cfg.Root)
	if mode == Unavailable {
		return nil, fmt.Errorf("no cgroup filesystem at %s", cfg.Root)
	}
	if cfg.Systemd {
		if mode != Unified {
			return nil, fmt.Errorf("systemd cgroup driver: only cgroup v2 is supported (found %s)", mode)
		}
		return newSystemd(cfg)
	}
	paths := maps.Clone(cfg.Paths)
	if paths == nil {
		own, err := ownCgroups(cfg.Path, cfg.ID)
		if err != nil {
			return nil, err
		}
		if paths, err = resolve(cfg, mode, own); err != nil {
			return nil, err
		}
	}
	if mode == Unified {
		return newFs2(cfg, paths[""])
	}
	return newFs1(cfg, paths)
}
