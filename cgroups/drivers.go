package cgroups

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hako-runtime/hako/cgroups/fs1"
	"github.com/hako-runtime/hako/cgroups/fs2"
)

type fs2Manager struct {
	*fs2.Manager
	cfg Config
}

func newFs2(cfg Config, dir string) (Manager, error) {
	m, err := fs2.New(cfg.Root, dir)
	if err != nil {
		return nil, err
	}
	return &fs2Manager{Manager: m, cfg: cfg}, nil
}

func (m *fs2Manager) Path(string) string { return m.Manager.Path() }

func (m *fs2Manager) Paths() map[string]string { return map[string]string{"": m.Manager.Path()} }

func (m *fs2Manager) Apply(pid int) error {
	err := m.Manager.Apply(pid)
	if m.cfg.withoutCgroup(err) {
		m.Manager.Destroy()
		return fmt.Errorf("%w: %w", ErrRootless, err)
	}
	return m.cfg.tolerate(err)
}

func (m *fs2Manager) Set(r *specs.LinuxResources) error {
	return m.cfg.set(m.Manager.Set, r)
}

type fs1Manager struct {
	*fs1.Manager
	cfg   Config
	paths map[string]string
}

func newFs1(cfg Config, paths map[string]string) (Manager, error) {
	roots := v1Mounts(cfg.Root)
	return &fs1Manager{Manager: fs1.New(paths, roots), cfg: cfg, paths: paths}, nil
}

func (m *fs1Manager) Paths() map[string]string {
	out := make(map[string]string, len(m.paths))
	for k, v := range m.paths {
		out[k] = v
	}
	return out
}

func (m *fs1Manager) Apply(pid int) error {
	err := m.Manager.Apply(pid)
	if m.cfg.withoutCgroup(err) {
		// All or nothing: hierarchies made before the refusal go too.
		m.Manager.Destroy()
		return fmt.Errorf("%w: %w", ErrRootless, err)
	}
	return m.cfg.tolerate(err)
}

func (m *fs1Manager) Set(r *specs.LinuxResources) error {
	return m.cfg.set(m.Manager.Set, r)
}

// set applies r through set. A rootless container's device rules come
// last and a refusal of them is ignored, as in runc: an unprivileged
// caller may not attach a device program on v2 nor write devices.allow
// on v1, even in a delegated cgroup, and its user namespace already
// keeps it from making device nodes.
func (cfg Config) set(set func(*specs.LinuxResources) error, r *specs.LinuxResources) error {
	if !cfg.Rootless || r == nil || len(r.Devices) == 0 {
		return cfg.tolerate(set(r))
	}
	c := *r
	c.Devices = nil
	if err := cfg.tolerate(set(&c)); err != nil {
		return err
	}
	if err := set(&specs.LinuxResources{Devices: r.Devices}); err != nil && !refused(err) {
		return err
	}
	return nil
}

// ErrRootless is what Apply of a rootless container returns when the
// caller may not create or join its default cgroup and no limit needs
// one: as in runc's rootless mode, the container then runs in its
// caller's cgroup. Whatever Apply made is removed; the caller records
// that the container has no cgroup of its own and builds no Manager for
// it later (pause, update and stats cannot work without one).
var ErrRootless = errors.New("rootless container without a cgroup of its own")

// withoutCgroup says a rootless container may do without a cgroup after
// err: the caller was refused the default cgroup (an explicit
// cgroupsPath must work, as in runc) and no limit but device rules,
// which runc ignores for rootless containers, needs it.
func (cfg Config) withoutCgroup(err error) bool {
	if err == nil || !cfg.Rootless || cfg.Path != "" || !refused(err) {
		return false
	}
	return !HasLimits(cfg.Resources)
}

// refused: the kernel's answers to a cgroup the caller may not touch
// (EROFS: a read-only cgroup mount, as in a container).
func refused(err error) bool {
	return errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS)
}

// HasLimits says r sets something other than device rules: something
// only a cgroup of the container's own can carry out (a rootless
// container's device rules are ignored, as runc does).
func HasLimits(r *specs.LinuxResources) bool {
	if r == nil {
		return false
	}
	c := *r
	c.Devices = nil
	return !reflect.DeepEqual(c, specs.LinuxResources{})
}

// tolerate names what a rootless container's refused cgroup was for:
// its limits (runc: "cannot set X limit: container could not join or
// create cgroup"). An explicit cgroupsPath keeps the kernel's answer.
func (cfg Config) tolerate(err error) error {
	if err == nil || !cfg.Rootless || cfg.Path != "" || !refused(err) || !HasLimits(cfg.Resources) {
		return err
	}
	return fmt.Errorf("cannot set the limits of linux.resources: a rootless container could not create or join its cgroup: %w", err)
}
