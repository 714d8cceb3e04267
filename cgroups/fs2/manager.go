package fs2

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/cgroups/devices"
	"github.com/hako-runtime/hako/cgroups/internal/common"
)

// Manager drives one cgroup v2 directory.
type Manager struct {
	mount string // the cgroup2 mount point, e.g. /sys/fs/cgroup
	dir   string // the container's cgroup, below mount
}

// New returns a manager for dir, which must be mount or below it. It
// creates nothing.
func New(mount, dir string) (*Manager, error) {
	mount, dir = filepath.Clean(mount), filepath.Clean(dir)
	rel, err := filepath.Rel(mount, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, fmt.Errorf("cgroup %s is not below %s", dir, mount)
	}
	return &Manager{mount: mount, dir: dir}, nil
}

// Path returns the cgroup directory.
func (m *Manager) Path() string { return m.dir }

// Exists reports whether a file of this cgroup exists (Env for Plan).
func (m *Manager) Exists(file string) bool { return common.Exists(m.dir, file) }

// Read reads a file of this cgroup (Env for Plan).
func (m *Manager) Read(file string) (string, error) { return common.ReadFile(m.dir, file) }

// Create makes the cgroup directory and its missing ancestors, enabling
// in each ancestor's cgroup.subtree_control every controller it has, so
// that the container's cgroup gets all of them. Controllers that cannot
// be enabled (a parent with processes, a rootless delegation without
// them) are skipped: writing their files later fails with an error that
// names the file.
func (m *Manager) Create() error {
	rel, _ := filepath.Rel(m.mount, m.dir)
	cur := m.mount
	parts := strings.Split(rel, string(filepath.Separator))
	if rel == "." {
		parts = nil
	}
	for _, p := range parts {
		enableControllers(cur)
		cur = filepath.Join(cur, p)
		if err := os.Mkdir(cur, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create cgroup %s: %w", cur, err)
		}
	}
	return nil
}

func enableControllers(dir string) {
	avail, err := common.ReadFile(dir, "cgroup.controllers")
	if err != nil || avail == "" {
		return
	}
	enabled, _ := common.ReadFile(dir, "cgroup.subtree_control")
	var want []string
	for _, c := range strings.Fields(avail) {
		if !strings.Contains(" "+enabled+" ", " "+c+" ") {
			want = append(want, "+"+c)
		}
	}
	if len(want) == 0 {
		return
	}
	if common.WriteFile(dir, "cgroup.subtree_control", strings.Join(want, " ")) == nil {
		return
	}
	for _, c := range want {
		_ = common.WriteFile(dir, "cgroup.subtree_control", c)
	}
}

// Apply creates the cgroup and moves pid into it (pid <= 0: create only).
func (m *Manager) Apply(pid int) error {
	if err := m.Create(); err != nil {
		return err
	}
	if pid <= 0 {
		return nil
	}
	return common.WriteProc(m.dir, pid)
}

// CgroupFD creates the cgroup and returns an O_PATH directory fd for
// clone3(CLONE_INTO_CGROUP). The caller closes it.
func (m *Manager) CgroupFD() (int, error) {
	if err := m.Create(); err != nil {
		return -1, err
	}
	fd, err := unix.Open(m.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open cgroup %s: %w", m.dir, err)
	}
	return fd, nil
}

// Set applies resources: the planned file writes, then the device filter.
// A write that fails with EINVAL is retried once after the others, which
// settles order dependencies such as cpu.max.burst against cpu.max.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	ws, err := Plan(r, m)
	if err != nil {
		return err
	}
	if err := m.CheckMemory(r); err != nil {
		return err
	}
	if err := m.write(ws); err != nil {
		return err
	}
	if len(r.Devices) > 0 {
		e, err := devices.FromSpec(r.Devices)
		if err != nil {
			return err
		}
		fd, err := unix.Open(m.dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("devices: open cgroup: %w", err)
		}
		defer unix.Close(fd)
		if err := devices.Attach(fd, e); err != nil {
			return fmt.Errorf("devices: %w", err)
		}
	}
	return nil
}

// CheckMemory implements memory.checkBeforeUpdate: a new limit below the
// current usage is refused.
func (m *Manager) CheckMemory(r *specs.LinuxResources) error {
	mem := r.Memory
	if mem == nil || mem.CheckBeforeUpdate == nil || !*mem.CheckBeforeUpdate || mem.Limit == nil || *mem.Limit <= 0 {
		return nil
	}
	cur, err := common.ReadUint(m.dir, "memory.current")
	if err != nil {
		return fmt.Errorf("memory.checkBeforeUpdate: %w", err)
	}
	if uint64(*mem.Limit) < cur {
		return fmt.Errorf("memory.limit: rejecting %d, below current usage %d (checkBeforeUpdate)", *mem.Limit, cur)
	}
	return nil
}

func (m *Manager) write(ws []write) error {
	var retry []write
	for _, x := range ws {
		err := common.WriteFile(m.dir, x.File, x.Value)
		switch {
		case err == nil:
		case x.optional && errors.Is(err, os.ErrNotExist):
		case errors.Is(err, unix.EINVAL):
			retry = append(retry, x)
		default:
			return err
		}
	}
	for _, x := range retry {
		if err := common.WriteFile(m.dir, x.File, x.Value); err != nil {
			return err
		}
	}
	return nil
}

// Destroy removes the cgroup and any cgroups below it; a missing cgroup is
// success.
func (m *Manager) Destroy() error { return common.RemoveTree(m.dir) }

// Pids returns every pid in the cgroup and below.
func (m *Manager) Pids() ([]int, error) { return common.AllProcs(m.dir) }

// Freeze freezes the cgroup and waits until the kernel reports it frozen.
func (m *Manager) Freeze() error {
	if err := common.WriteFile(m.dir, "cgroup.freeze", "1"); err != nil {
		return fmt.Errorf("freeze: %w", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		ev, err := common.ReadKeyValues(m.dir, "cgroup.events")
		if err != nil {
			return fmt.Errorf("freeze: %w", err)
		}
		if ev["frozen"] == 1 {
			return nil
		}
		if time.Now().After(deadline) {
			_ = m.Thaw()
			return errors.New("freeze: cgroup not frozen after 10s")
		}
		time.Sleep(delay)
	}
}

// Thaw unfreezes the cgroup.
func (m *Manager) Thaw() error {
	if err := common.WriteFile(m.dir, "cgroup.freeze", "0"); err != nil {
		return fmt.Errorf("thaw: %w", err)
	}
	return nil
}

// Frozen reports whether the cgroup was asked to freeze (cgroup.freeze).
// A missing cgroup is not frozen.
func (m *Manager) Frozen() (bool, error) {
	s, err := common.ReadFile(m.dir, "cgroup.freeze")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	return s == "1", nil
}

// Kill signals every process in the cgroup. SIGKILL uses cgroup.kill
// where the kernel has it (5.14+); otherwise the cgroup is frozen, every
// pid signalled and the cgroup thawed, so no process can fork away.
func (m *Manager) Kill(sig unix.Signal) error {
	if sig == unix.SIGKILL && m.Exists("cgroup.kill") {
		if err := common.WriteFile(m.dir, "cgroup.kill", "1"); err != nil {
			return fmt.Errorf("kill: %w", err)
		}
		return nil
	}
	_, err := common.SignalFrozen(m, sig)
	return err
}

// OOMEvents reports one value per OOM kill in the cgroup (memory.events
// oom_kill), watched with inotify, until ctx is done.
func (m *Manager) OOMEvents(ctx context.Context) (<-chan struct{}, error) {
	return common.WatchV2OOM(ctx, m.dir)
}
