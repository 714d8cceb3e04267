package libcontainer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/cgroups"
)

// errNoCgroup explains why a cgroup verb cannot work on a rootless
// container that runs in its caller's cgroup (cgroups.ErrRootless).
var errNoCgroup = errors.New("the container has no cgroup of its own: it is rootless and its user was not delegated a cgroup (cgroup v2: a subtree owned by the user, as systemd's Delegate=yes gives)")

// noCgroup stands in for the cgroup manager of a rootless container that
// has none. Its processes are found without a cgroup: every process of
// the container's pid namespace, or, when it shares hako's, the init and
// its descendants. Limits, freezing and statistics need a cgroup and
// fail with errNoCgroup.
type noCgroup struct{ c *Container }

var _ cgroups.Manager = noCgroup{}

func (noCgroup) Apply(int) error { return nil }

// Set accepts device rules alone: runc ignores them for rootless
// containers, whose user namespace keeps them from making device nodes.
func (noCgroup) Set(r *specs.LinuxResources) error {
	if !cgroups.HasLimits(r) {
		return nil
	}
	return fmt.Errorf("cannot set limits: %w", errNoCgroup)
}

func (noCgroup) Destroy() error                 { return nil }
func (noCgroup) Freeze() error                  { return errNoCgroup }
func (noCgroup) Thaw() error                    { return errNoCgroup }
func (noCgroup) Frozen() (bool, error)          { return false, nil }
func (noCgroup) Stats() (*cgroups.Stats, error) { return nil, errNoCgroup }
func (noCgroup) Path(string) string             { return "" }
func (noCgroup) Paths() map[string]string       { return nil }
func (noCgroup) CgroupFD() (int, error)         { return -1, errNoCgroup }
func (noCgroup) OOMEvents(context.Context) (<-chan struct{}, error) {
	return nil, errNoCgroup
}

func (n noCgroup) Kill(sig unix.Signal) error {
	pids, err := n.Pids()
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range pids {
		if err := unix.Kill(p, sig); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("signal %d: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// Pids lists the container's processes from /proc. A stopped container
// has none.
func (n noCgroup) Pids() ([]int, error) {
	init := n.c.st.InitPid
	if !n.c.st.initAlive() {
		return nil, nil
	}
	own, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return nil, err
	}
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", init))
	if err != nil {
		return nil, fmt.Errorf("pid namespace of the init: %w", err)
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	parent := map[int]int{}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ns != own {
			if l, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err == nil && l == ns {
				out = append(out, pid)
			}
			continue
		}
		if pp := ppid(pid); pp > 0 {
			parent[pid] = pp
		}
	}
	if ns != own {
		return out, nil
	}
	// Shared pid namespace: the init and its descendants.
	for pid := range parent {
		for p := pid; p > 1; p = parent[p] {
			if p == init {
				out = append(out, pid)
				break
			}
		}
	}
	if !slices.Contains(out, init) {
		out = append(out, init)
	}
	return out, nil
}

// ppid is field 4 of /proc/<pid>/stat; 0 when it cannot be read.
func ppid(pid int) int {
	f, err := statFields(pid)
	if err != nil || len(f) < 2 {
		return 0
	}
	p, _ := strconv.Atoi(f[1])
	return p
}
