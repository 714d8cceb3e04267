package fs1

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/cgroups/devices"
	"github.com/hako-runtime/hako/cgroups/internal/common"
)

// Unified is the key of the cgroup v2 directory in a hybrid layout.
const Unified = ""

// Manager drives the per-controller directories of one container.
type Manager struct {
	paths map[string]string // controller ("memory", "name=systemd", Unified) -> dir
	roots map[string]string // controller -> mount point, for cpuset parents
}

// New returns a manager for the given directories; roots gives the mount
// point of each hierarchy (needed to fill cpuset parents). It creates
// nothing.
func New(paths, roots map[string]string) *Manager {
	return &Manager{paths: maps.Clone(paths), roots: maps.Clone(roots)}
}

// Path returns the directory for controller, "" when it is not mounted.
func (m *Manager) Path(controller string) string { return m.paths[controller] }

// Has reports whether controller is mounted (Env for Plan).
func (m *Manager) Has(controller string) bool { _, ok := m.paths[controller]; return ok }

// Exists reports whether a controller file exists (Env for Plan).
func (m *Manager) Exists(controller, file string) bool {
	dir, ok := m.paths[controller]
	return ok && common.Exists(dir, file)
}

// dirs returns each distinct directory once (co-mounted controllers share
// one), in a stable order.
func (m *Manager) dirs() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range slices.Sorted(maps.Keys(m.paths)) {
		if d := m.paths[c]; !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// Apply creates the directories and moves pid into each (pid <= 0: create
// only). New cpuset cgroups start with empty cpus and mems, which makes
// them unusable, so every cpuset directory created on the way gets its
// parent's values first.
func (m *Manager) Apply(pid int) error {
	if dir, ok := m.paths["cpuset"]; ok {
		if err := m.createCpuset(dir); err != nil {
			return err
		}
	}
	for _, dir := range m.dirs() {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create cgroup %s: %w", dir, err)
		}
	}
	if pid <= 0 {
		return nil
	}
	for _, dir := range m.dirs() {
		if err := common.WriteProc(dir, pid); err != nil {
			return err
		}
	}
	return nil
}

func (m *Manager) createCpuset(dir string) error {
	root := m.roots["cpuset"]
	if root == "" {
		root = filepath.Dir(dir)
	}
	rel, err := filepath.Rel(root, dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("cpuset cgroup %s is not below %s", dir, root)
	}
	cur := root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		if part == "." {
			continue
		}
		parent := cur
		cur = filepath.Join(cur, part)
		if err := os.Mkdir(cur, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create cgroup %s: %w", cur, err)
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			v, err := common.ReadFile(cur, f)
			if err != nil {
				return fmt.Errorf("cpuset: %w", err)
			}
			if v != "" {
				continue
			}
			pv, err := common.ReadFile(parent, f)
			if err != nil {
				return fmt.Errorf("cpuset: %w", err)
			}
			if err := common.WriteFile(cur, f, pv); err != nil {
				return fmt.Errorf("cpuset: copy parent's %s: %w", f, err)
			}
		}
	}
	return nil
}

// Set applies resources. A write refused with EINVAL is retried once after
// the others (memory before memsw when lowering, period before quota...).
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	ws, err := Plan(r, m)
	if err != nil {
		return err
	}
	if mem := r.Memory; mem != nil && mem.CheckBeforeUpdate != nil && *mem.CheckBeforeUpdate && mem.Limit != nil && *mem.Limit > 0 {
		cur, err := common.ReadUint(m.paths["memory"], "memory.usage_in_bytes")
		if err != nil {
			return fmt.Errorf("memory.checkBeforeUpdate: %w", err)
		}
		if uint64(*mem.Limit) < cur {
			return fmt.Errorf("memory.limit: rejecting %d, below current usage %d (checkBeforeUpdate)", *mem.Limit, cur)
		}
	}
	var retry []write
	for _, x := range ws {
		err := common.WriteFile(m.paths[x.Controller], x.File, x.Value)
		if errors.Is(err, unix.EINVAL) {
			retry = append(retry, x)
		} else if err != nil {
			return err
		}
	}
	for _, x := range retry {
		if err := common.WriteFile(m.paths[x.Controller], x.File, x.Value); err != nil {
			return err
		}
	}
	// The kernel clamps cpu.shares to 2..262144 without a word; runc reads
	// it back and refuses a value it did not get.
	if c := r.CPU; c != nil && c.Shares != nil && *c.Shares != 0 {
		got, err := common.ReadUint(m.paths["cpu"], "cpu.shares")
		if err != nil {
			return fmt.Errorf("cpu.shares: %w", err)
		}
		if *c.Shares > got {
			return fmt.Errorf("cpu.shares: the maximum allowed cpu-shares is %d", got)
		} else if *c.Shares < got {
			return fmt.Errorf("cpu.shares: the minimum allowed cpu-shares is %d", got)
		}
	}
	if len(r.Devices) > 0 {
		return m.setDevices(r.Devices)
	}
	return nil
}

func (m *Manager) setDevices(rules []specs.LinuxDeviceCgroup) error {
	dir, ok := m.paths["devices"]
	if !ok {
		return errors.New("devices: the devices controller is not mounted")
	}
	target, err := devices.FromSpec(rules)
	if err != nil {
		return err
	}
	list, err := common.ReadFile(dir, "devices.list")
	if err != nil {
		return fmt.Errorf("devices: %w", err)
	}
	cur, err := devices.ParseList(list)
	if err != nil {
		return fmt.Errorf("devices: %w", err)
	}
	for _, x := range devices.Transition(cur, target) {
		if err := common.WriteFile(dir, x.File, x.Value); err != nil {
			return fmt.Errorf("devices: %w", err)
		}
	}
	return nil
}

// Destroy removes every directory (and cgroups below them); missing ones
// are success.
func (m *Manager) Destroy() error {
	var errs []error
	for _, dir := range m.dirs() {
		errs = append(errs, common.RemoveTree(dir))
	}
	return errors.Join(errs...)
}

// procsDir is the hierarchy used to list processes: every process of the
// container is in every hierarchy, so any one will do.
func (m *Manager) procsDir() (string, error) {
	for _, c := range []string{"freezer", "pids", "memory", "cpu", "devices", "name=systemd", Unified} {
		if d, ok := m.paths[c]; ok {
			return d, nil
		}
	}
	for _, d := range m.dirs() {
		return d, nil
	}
	return "", errors.New("no cgroup hierarchy")
}

// Pids returns every pid of the container's cgroup and below.
func (m *Manager) Pids() ([]int, error) {
	dir, err := m.procsDir()
	if err != nil {
		return nil, err
	}
	return common.AllProcs(dir)
}

// Freeze sets freezer.state to FROZEN and waits for the kernel to finish
// (FREEZING can last while tasks are in uninterruptible sleep; the write
// is repeated, as the v1 freezer may need it).
func (m *Manager) Freeze() error {
	dir, ok := m.paths["freezer"]
	if !ok {
		return errors.New("freeze: the freezer controller is not mounted")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := common.WriteFile(dir, "freezer.state", "FROZEN"); err != nil {
			return fmt.Errorf("freeze: %w", err)
		}
		st, err := common.ReadFile(dir, "freezer.state")
		if err != nil {
			return fmt.Errorf("freeze: %w", err)
		}
		if st == "FROZEN" {
			return nil
		}
		if time.Now().After(deadline) {
			_ = m.Thaw()
			return fmt.Errorf("freeze: cgroup still %s after 10s", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Thaw sets freezer.state to THAWED.
func (m *Manager) Thaw() error {
	dir, ok := m.paths["freezer"]
	if !ok {
		return errors.New("thaw: the freezer controller is not mounted")
	}
	if err := common.WriteFile(dir, "freezer.state", "THAWED"); err != nil {
		return fmt.Errorf("thaw: %w", err)
	}
	return nil
}

// Frozen reports whether the freezer is FROZEN or FREEZING (a missing
// cgroup or freezer is not frozen).
func (m *Manager) Frozen() (bool, error) {
	dir, ok := m.paths["freezer"]
	if !ok {
		return false, nil
	}
	st, err := common.ReadFile(dir, "freezer.state")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	return st != "THAWED", nil
}

// Kill signals every process. With a freezer the cgroup is frozen while
// the pids are collected and signalled, so nothing forks away, then
// thawed. A container that was already paused stays paused, except for
// SIGKILL: v1 frozen tasks cannot die until thawed, so it is thawed.
func (m *Manager) Kill(sig unix.Signal) error {
	if _, ok := m.paths["freezer"]; !ok {
		pids, err := m.Pids()
		if err != nil {
			return fmt.Errorf("kill: %w", err)
		}
		return common.SignalAll(pids, sig)
	}
	wasFrozen, err := common.SignalFrozen(m, sig)
	if err != nil {
		return err
	}
	if wasFrozen && sig == unix.SIGKILL {
		return m.Thaw()
	}
	return nil
}

// CgroupFD is not available on cgroup v1: CLONE_INTO_CGROUP only places
// a process in the v2 hierarchy.
func (m *Manager) CgroupFD() (int, error) {
	return -1, errors.New("clone into cgroup needs cgroup v2")
}

// OOMEvents reports OOM notifications of the memory cgroup until ctx is
// done or the cgroup is removed.
func (m *Manager) OOMEvents(ctx context.Context) (<-chan struct{}, error) {
	dir, ok := m.paths["memory"]
	if !ok {
		return nil, errors.New("oom events: the memory controller is not mounted")
	}
	return common.WatchV1OOM(ctx, dir)
}
