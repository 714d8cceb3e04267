package cgroups

import (
	"errors"
	"os"
	"reflect"

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
	return m.cfg.tolerate(m.Manager.Apply(pid))
}

func (m *fs2Manager) Set(r *specs.LinuxResources) error {
	return m.cfg.tolerate(m.Manager.Set(r))
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
	return m.cfg.tolerate(m.Manager.Apply(pid))
}

func (m *fs1Manager) Set(r *specs.LinuxResources) error {
	return m.cfg.tolerate(m.Manager.Set(r))
}

// tolerate drops permission errors of a rootless container that asked
// for no resources, as runc's rootless cgroup handling does: without a
// delegated cgroup it simply runs in the caller's.
func (cfg Config) tolerate(err error) error {
	if err == nil || !cfg.Rootless || !errors.Is(err, os.ErrPermission) {
		return err
	}
	if cfg.Resources == nil {
		return nil
	}
	r := *cfg.Resources
	r.Devices = nil // runc ignores device rules for rootless containers
	if reflect.DeepEqual(r, specs.LinuxResources{}) {
		return nil
	}
	return err
}
