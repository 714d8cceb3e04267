package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"

	"github.com/urfave/cli/v2"

	"github.com/hako-runtime/hako/internal/fault"
	"github.com/hako-runtime/hako/libcontainer"
	"github.com/hako-runtime/hako/libcontainer/trace"
)

func init() {
	register(&cli.Command{
		Name:      "run",
		Usage:     "create and run a container",
		ArgsUsage: "<container-id>",
		Description: `Creates the container from the bundle and starts it, as "create" then
"start" would. Without -d, hako waits for it: stdio is relayed (or the
terminal, when process.terminal), signals are forwarded, the container is
deleted once it exits (unless --keep) and hako exits with its status.

    # hako run -b /srv/bundles/web01 web01`,
		Flags: append(createFlags(),
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once the container runs"},
			&cli.BoolFlag{Name: "keep", Usage: "do not delete the container after it exits"},
			&cli.BoolFlag{Name: "no-subreaper", Usage: "do not become a subreaper for the container's processes"},
		),
		Action: runRun,
	})
}

func runRun(ctx *cli.Context) error {
	if err := checkArgs(ctx, 1, 1); err != nil {
		return err
	}
	o := createOpts(ctx)
	o.StartNow = true
	if ctx.Bool("detach") {
		c, err := libcontainer.Create(o)
		if err != nil {
			return err
		}
		notify, err := startCreated(c)
		if err != nil {
			return err
		}
		c.Unlock()
		if notify == nil {
			return nil
		}
		defer notify.Close()
		return notify.Forward(true)
	}
	return foreground(o, ctx.Bool("no-subreaper"), ctx.Bool("keep"), func() (*libcontainer.Container, error) {
		return libcontainer.Create(o)
	}, startCreated)
}

// foreground runs a container whose caller waits for it (run, restore
// without -d): mk creates it (or restores it) with the stdio it is
// given in o (pipes, or the terminal relayed), start (when not nil)
// starts it; then signals and the terminal's size are relayed until the
// init exits, and the container is deleted unless keep. The result is the
// init's exit status as an *exitError.
func foreground(o *libcontainer.CreateOpts, noSubreaper, keep bool,
	mk func() (*libcontainer.Container, error),
	start func(*libcontainer.Container) (*libcontainer.NotifyProxy, error)) error {
	if !noSubreaper {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("become subreaper: %w", err)
		}
	}
	// Signals are caught before the init exists, so none is lost; they are
	// forwarded once it runs.
	sigs := catchSignals()
	defer sigs.stop()

	var tty *ttyProxy
	var err error
	if o.Spec, err = libcontainer.LoadSpec(o.Bundle); err != nil {
		return err
	}
	if err := libcontainer.CheckRootless(o.Spec); err != nil {
		return err
	}
	var pipes *stdioPipes
	if spec := o.Spec; spec.Process != nil && spec.Process.Terminal {
		if o.ConsoleSocket == "" {
			if tty, err = newTTYProxy(); err != nil {
				return err
			}
			defer tty.close()
			o.ConsoleConn = tty.remote
		}
	} else {
		if pipes, err = newStdioPipes(spec); err != nil {
			return err
		}
		defer pipes.close()
		o.Stdio = pipes.child
	}
	o.Foreground = true
	sigs.wait()
	c, err := mk()
	if pipes != nil {
		pipes.started()
	}
	if err != nil {
		return err
	}
	pid := c.Pid()
	if tty != nil {
		if err := tty.attach(); err != nil {
			c.Delete(true, g.log)
			c.Unlock()
			return err
		}
	}
	if start != nil {
		notify, err := start(c)
		if err != nil {
			return err
		}
		if notify != nil {
			// In the foreground every message is relayed for the
			// container's whole life (STATUS=, WATCHDOG=1, RELOADING=1 ...).
			go func() {
				if err := notify.Forward(false); err != nil {
					g.log.Warnf("sd_notify proxy: %v", err)
				}
			}()
			defer notify.Close()
		}
	}
	// Don't hold the lock while the container runs: `state`, `kill` and
	// `exec` from other shells must work.
	c.Unlock()
	fault.Point("run.waiting", pid)
	status := waitInit(pid, sigs.C, tty)
	if tty != nil {
		tty.close()
	}
	if pipes != nil {
		pipes.wait()
	}
	if !keep {
		if c, err := libcontainer.Load(g.root, o.ID); err == nil {
			c.HookDir = o.Bundle
			err = c.Delete(true, g.log)
			c.Unlock()
			if err != nil {
				g.log.Warnf("delete %s: %v", o.ID, err)
			}
		}
	}
	return &exitError{code: status}
}

// startCreated starts the container `run` just created, with the
// sd_notify socket bound first when the caller has one. On failure the
// container is deleted and unlocked. (Start may have released the lock
// for poststart hooks: the delete takes it anew.)
func startCreated(c *libcontainer.Container) (*libcontainer.NotifyProxy, error) {
	notify, err := startNotifying(c)
	if err == nil {
		err = c.Start(g.log)
	}
	if err != nil {
		if notify != nil {
			notify.Close()
		}
		c.Unlock()
		if d, lerr := libcontainer.Load(g.root, c.ID); lerr == nil {
			d.HookDir = c.HookDir
			d.Delete(true, g.log)
			d.Unlock()
		}
		return nil, err
	}
	return notify, nil
}

// signalCatcher catches every signal, for waitInit to forward.
type signalCatcher struct {
	C    chan os.Signal
	done chan struct{}
}

// catchSignals starts catching every signal into a buffered channel, on a
// goroutine: signal.Notify of all signals costs milliseconds here (a
// sigaction each, and the runtime's signal thread starts), so it overlaps
// the loading of the spec or state instead of adding to it. wait must
// return before the process is spawned; from then on no signal is lost.
func catchSignals() *signalCatcher {
	s := &signalCatcher{C: make(chan os.Signal, 128), done: make(chan struct{})}
	go func() {
		signal.Notify(s.C)
		close(s.done)
	}()
	return s
}

// wait returns once every signal is caught (nil: none is).
func (s *signalCatcher) wait() {
	if s != nil {
		<-s.done
	}
}

func (s *signalCatcher) stop() {
	if s != nil {
		<-s.done
		signal.Stop(s.C)
	}
}

// waitInit forwards signals to the init and reaps children (we may be
// their subreaper) until the init exits; it returns the shell-style status.
func waitInit(pid int, sigs chan os.Signal, tty *ttyProxy) int {
	for {
		// Reap first: the SIGCHLD may have come before we listened.
		for {
			var ws unix.WaitStatus
			wpid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if err != nil && errors.Is(err, unix.EINTR) {
				continue
			}
			if wpid <= 0 || err != nil {
				if errors.Is(err, unix.ECHILD) {
					return 255
				}
				break
			}
			if wpid == pid {
				trace.Mark("process exited")
				if ws.Signaled() {
					return 128 + int(ws.Signal())
				}
				return ws.ExitStatus()
			}
		}
		s := <-sigs
		switch s {
		case unix.SIGCHLD, unix.SIGURG, unix.SIGPIPE:
			// SIGURG is the Go runtime's own preemption signal.
		case unix.SIGWINCH:
			if tty != nil {
				tty.resize()
			}
		default:
			if sig, ok := s.(unix.Signal); ok {
				unix.Kill(pid, sig)
			}
		}
	}
}
