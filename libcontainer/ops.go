package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/internal/fault"
	"github.com/hako-runtime/hako/libcontainer/hooks"
	"github.com/hako-runtime/hako/libcontainer/logs"
	"github.com/hako-runtime/hako/libcontainer/rootfs"
	"github.com/hako-runtime/hako/libcontainer/trace"
)

// Start releases the init from the exec fifo and runs poststart hooks.
// The hooks are the engine's and may take their time, or ask the runtime
// about this very container: they run after the container's lock is
// released (Start unlocks c when there are any).
func (c *Container) Start(log *logs.Logger) error {
	if err := c.Require(OpStart); err != nil {
		return err
	}
	p := filepath.Join(c.dir, fifoName)
	// Non-blocking: with the init holding the fifo open this succeeds at
	// once; ENXIO means no reader, i.e. the init is gone.
	fd, err := unix.Open(p, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENXIO) {
			return errors.New("cannot start a container that has stopped")
		}
		return fmt.Errorf("open exec fifo: %w", err)
	}
	_, err = unix.Write(fd, []byte{'0'})
	unix.Close(fd)
	if err != nil {
		return fmt.Errorf("release init: %w", err)
	}
	fault.Point("start.released", c.st.InitPid)
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("remove exec fifo: %w", err)
	}
	trace.Mark("init released")
	c.Status = Running
	log.Debugf("container %s started", c.ID)
	spec, err := c.hookSpec()
	if err != nil {
		return err
	}
	if h := spec.Hooks; h != nil && len(h.Poststart) > 0 {
		// The init by pidfd, taken under the lock: the kill below must
		// not reach a recycled pid. A process that has already exited
		// (`true`) still gets its poststart hooks, told it has stopped,
		// as runc does: start succeeded.
		pidfd, err := c.pidfd()
		if errors.Is(err, ErrNotRunning) {
			c.Status = Stopped
		} else if err != nil {
			return err
		} else {
			defer unix.Close(pidfd)
		}
		state := c.SpecState()
		c.Unlock()
		if err := hooks.Run("poststart", h.Poststart, state, hooks.Opts{Dir: c.HookDir}); err != nil {
			// The process already runs: runc kills it, so a failing
			// poststart hook does not leave a half-started container.
			if pidfd >= 0 {
				unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0)
			}
			return err
		}
	}
	return nil
}

// pidfd opens the init race-free: the start time is checked after the
// pidfd exists, so a recycled pid is never signalled.
func (c *Container) pidfd() (int, error) {
	fd, err := unix.PidfdOpen(c.st.InitPid, 0)
	if err != nil {
		return -1, ErrNotRunning
	}
	if !c.st.initAlive() {
		unix.Close(fd)
		return -1, ErrNotRunning
	}
	return fd, nil
}

// Signal sends sig to the init, or with all to every process of the
// container.
func (c *Container) Signal(sig unix.Signal, all bool) error {
	if all {
		return c.signalAll(sig)
	}
	fd, err := c.pidfd()
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return ErrNotRunning
		}
		return fmt.Errorf("signal init: %w", err)
	}
	return nil
}

// Kill is the `kill` verb: status checked by the transition table.
func (c *Container) Kill(sig unix.Signal, all bool) error {
	// Without a pid namespace of its own the init's death does not take
	// the container's other processes with it: runc sends KILL to every
	// process of the cgroup then, also once the init is gone.
	if sig == unix.SIGKILL && c.st.CgroupPaths != nil {
		if c.debris {
			// no config to tell: whatever its killed create left
			all = true
		} else {
			spec, err := c.spec()
			if err != nil {
				return err
			}
			all = all || !privatePidNS(spec)
		}
	}
	if err := c.Require(OpKill); err != nil {
		// runc lets kill --all reach the leftovers of a stopped container
		// that shared its pid namespace.
		if !(all && c.Status == Stopped) {
			return err
		}
	}
	if err := c.Signal(sig, all); err != nil {
		return err
	}
	// A frozen task only dies once thawed (cgroup v1 freezer).
	if sig == unix.SIGKILL && c.Status == Paused {
		c.thaw()
	}
	return nil
}

// waitExit waits until the init is gone (a pidfd turns readable when the
// process exits, whoever its parent is).
func (c *Container) waitExit(timeout time.Duration) error {
	fd, err := c.pidfd()
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	deadline := time.Now().Add(timeout)
	for {
		ms := int(time.Until(deadline).Milliseconds())
		if ms <= 0 {
			return fmt.Errorf("container %s did not exit within %s", c.ID, timeout)
		}
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, ms)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return err
		}
		if n > 0 {
			return nil
		}
	}
}

// Delete removes a stopped (or, with force, any) container: it kills the
// init if needed, removes the cgroup, runs poststop hooks and removes the
// state directory. A failing poststop hook does not keep the container:
// it is gone, and the error says why the hook failed.
func (c *Container) Delete(force bool, log *logs.Logger) error {
	if err := c.Require(OpDelete); err != nil && !force {
		return err
	}
	if c.Status != Stopped || (c.debris && c.st.initAlive()) {
		if c.Status == Paused {
			c.thaw()
		}
		if err := c.Signal(unix.SIGKILL, false); err != nil && !errors.Is(err, ErrNotRunning) {
			return err
		}
		if err := c.waitExit(10 * time.Second); err != nil {
			return err
		}
	}
	trace.Mark("init gone")
	fault.Point("delete.killed", c.st.InitPid)
	if err := c.destroyCgroup(); err != nil {
		return err
	}
	fault.Point("delete.cgroup", c.st.InitPid)
	trace.Mark("cgroup removed")
	if g := c.st.IntelRdt; g != nil {
		if err := g.Destroy(""); err != nil {
			return fmt.Errorf("linux.intelRdt: %w", err)
		}
	}
	if c.st.HostRootMount != 0 {
		if err := rootfs.UnmountHostRoot(c.st.Rootfs, c.st.HostRootMount); err != nil {
			return err
		}
	}
	st := c.SpecState()
	st.Status = "stopped"
	if err := removeStateDir(c.dir); err != nil {
		return fmt.Errorf("remove state dir: %w", err)
	}
	trace.Mark("state dir removed")
	fault.Point("delete.state-removed", 0)
	// As in runc, poststop hooks run once the container is gone, and
	// without its lock: they are the engine's and may take their time.
	c.Unlock()
	spec, err := c.hookSpec()
	if err != nil {
		return fmt.Errorf("unable to destroy container: %w", err)
	}
	if spec != nil && spec.Hooks != nil && len(spec.Hooks.Poststop) > 0 {
		// As in runc, the container is gone all the same; the caller
		// decides whether the hook's failure is fatal (delete) or a
		// warning (run).
		if err := hooks.Run("poststop", spec.Hooks.Poststop, st, hooks.Opts{Dir: c.HookDir}); err != nil {
			return fmt.Errorf("unable to destroy container: %w", err)
		}
	}
	return nil
}
