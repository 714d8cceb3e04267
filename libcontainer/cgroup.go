package libcontainer

import (
	"golang.org/x/sys/unix"
)

// The cgroup side of the lifecycle. Until the cgroups package is wired in,
// a container has no cgroup of its own: nothing is frozen, nothing to
// remove, and --all reaches the init only.

func (c *Container) frozen() bool { return false }

func (c *Container) thaw() {}

func (c *Container) destroyCgroup() error { return nil }

func (c *Container) signalAll(sig unix.Signal) error {
	err := c.Signal(sig, false)
	if c.Status == Stopped && err == ErrNotRunning {
		return nil
	}
	return err
}
