package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	verbs["run"] = verb{"create and start a container, and wait for it unless detached", runRun}
}

func runRun(g *global, args []string) error {
	o := &libcontainer.CreateOpts{Root: g.root, Systemd: g.systemd, Log: g.log}
	fs := newFlags("run", "<container-id>")
	createFlags(fs, o)
	var detach, keep, noSubreaper bool
	boolFlag(fs, &detach, []string{"detach", "d"}, "detach from the container's process")
	fs.BoolVar(&keep, "keep", false, "do not delete the container after it exits")
	fs.BoolVar(&noSubreaper, "no-subreaper", false, "do not become a subreaper for the container's processes")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	o.ID = pos[0]
	activationOpts(o)
	if detach {
		c, err := libcontainer.Create(o)
		if err != nil {
			return err
		}
		notify, err := startCreated(c, g)
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
	if !noSubreaper {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("become subreaper: %w", err)
		}
	}
	// Signals are caught before the init exists, so none is lost; they are
	// forwarded once it runs.
	sigs := make(chan os.Signal, 128)
	signal.Notify(sigs)
	defer signal.Stop(sigs)

	var tty *ttyProxy
	if o.Spec, err = libcontainer.LoadSpec(o.Bundle); err != nil {
		return err
	}
	if o.ConsoleSocket == "" {
		if spec := o.Spec; spec.Process != nil && spec.Process.Terminal {
			if tty, err = newTTYProxy(); err != nil {
				return err
			}
			defer tty.close()
			o.ConsoleConn = tty.remote
		}
	}
	o.Foreground = true
	c, err := libcontainer.Create(o)
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
	notify, err := startCreated(c, g)
	if err != nil {
		return err
	}
	if notify != nil {
		// In the foreground every message is relayed for the container's
		// whole life (STATUS=, WATCHDOG=1, RELOADING=1 ...).
		go func() {
			if err := notify.Forward(false); err != nil {
				g.log.Warnf("sd_notify proxy: %v", err)
			}
		}()
		defer notify.Close()
	}
	// Don't hold the lock while the container runs: `state`, `kill` and
	// `exec` from other shells must work.
	c.Unlock()
	status := waitInit(pid, sigs, tty)
	if tty != nil {
		tty.close()
	}
	if !keep {
		if c, err := libcontainer.Load(g.root, o.ID); err == nil {
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
// container is deleted and unlocked.
func startCreated(c *libcontainer.Container, g *global) (*libcontainer.NotifyProxy, error) {
	notify, err := startNotifying(c)
	if err == nil {
		err = c.Start(g.log)
	}
	if err != nil {
		if notify != nil {
			notify.Close()
		}
		c.Delete(true, g.log)
		c.Unlock()
		return nil, err
	}
	return notify, nil
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

// ttyProxy is the foreground `run -t` terminal: it receives the pty master
// over a socketpair (the same protocol as --console-socket) and connects it
// to our own stdio, with our terminal in raw mode.
type ttyProxy struct {
	local, remote *os.File
	master        *os.File
	saved         *unix.Termios
}

func newTTYProxy() (*ttyProxy, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &ttyProxy{local: os.NewFile(uintptr(fds[0]), "console-local"), remote: os.NewFile(uintptr(fds[1]), "console-remote")}, nil
}

func (t *ttyProxy) attach() error {
	buf := make([]byte, 256)
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(int(t.local.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return fmt.Errorf("receive pty master: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return errors.New("receive pty master: no fd in message")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return errors.New("receive pty master: bad fd message")
	}
	t.master = os.NewFile(uintptr(fds[0]), "pty-master")
	if tio, err := unix.IoctlGetTermios(0, unix.TCGETS); err == nil {
		saved := *tio
		t.saved = &saved
		raw := *tio
		raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		raw.Oflag &^= unix.OPOST
		raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		raw.Cflag &^= unix.CSIZE | unix.PARENB
		raw.Cflag |= unix.CS8
		unix.IoctlSetTermios(0, unix.TCSETS, &raw)
		t.resize()
	}
	go io.Copy(t.master, os.Stdin)
	go io.Copy(os.Stdout, t.master)
	return nil
}

func (t *ttyProxy) resize() {
	if ws, err := unix.IoctlGetWinsize(0, unix.TIOCGWINSZ); err == nil && t.master != nil {
		unix.IoctlSetWinsize(int(t.master.Fd()), unix.TIOCSWINSZ, ws)
	}
}

func (t *ttyProxy) close() {
	if t.saved != nil {
		unix.IoctlSetTermios(0, unix.TCSETS, t.saved)
		t.saved = nil
	}
	t.local.Close()
	t.remote.Close()
}
