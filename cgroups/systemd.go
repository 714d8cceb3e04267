package cgroups

import "errors"

func newSystemd(cfg Config) (Manager, error) {
	return nil, errors.New("systemd cgroup driver: not implemented yet")
}
