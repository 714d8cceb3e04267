package cgroups

import "github.com/hako-runtime/hako/cgroups/systemd"

type systemdManager struct {
	*systemd.Manager
}

func newSystemd(cfg Config) (Manager, error) {
	m, err := systemd.New(systemd.Config{
		Mount:       cfg.Root,
		Path:        cfg.Path,
		ID:          cfg.ID,
		Rootless:    cfg.Rootless,
		Dir:         cfg.Paths[""],
		Resources:   cfg.Resources,
		Annotations: cfg.Annotations,
	})
	if err != nil {
		return nil, err
	}
	return &systemdManager{Manager: m}, nil
}

func (m *systemdManager) Path(string) string { return m.Manager.Path() }

func (m *systemdManager) Paths() map[string]string { return map[string]string{"": m.Manager.Path()} }
