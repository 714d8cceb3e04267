package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/internal/fdpass"
)

// ttyProxy is the foreground `run -t` / `exec -t` terminal: it receives the
// pty master over a socketpair (the --console-socket protocol) and relays it
// to our own stdio, the way runc does: the pty does not turn "\n" into
// "\r\n" (ONLCR off), so stdout carries exactly what the program wrote,
// and the caller's terminal is raw except for output processing, which it
// now does in the pty's place.
type ttyProxy struct {
	local, remote *os.File
	// host is the caller's terminal: the first of stderr, stdout, stdin
	// that is one, else the controlling terminal (/dev/tty).
	host     *os.File
	ownsHost bool
	saved    *unix.Termios
	master   *os.File
	mfd      int
	copied   chan struct{}
	once     sync.Once
}

// newTTYProxy fails, as runc does, when the caller has no terminal at all:
// a foreground terminal needs one to relay.
func newTTYProxy() (*ttyProxy, error) {
	t := &ttyProxy{mfd: -1}
	for _, f := range []*os.File{os.Stderr, os.Stdout, os.Stdin} {
		if _, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err == nil {
			t.host = f
			break
		}
	}
	if t.host == nil {
		f, err := os.Open("/dev/tty")
		if err != nil {
			return nil, err
		}
		if _, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err != nil {
			f.Close()
			return nil, fmt.Errorf("unable to get console: %w", err)
		}
		t.host, t.ownsHost = f, true
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.closeHost()
		return nil, err
	}
	t.local = os.NewFile(uintptr(fds[0]), "console-local")
	t.remote = os.NewFile(uintptr(fds[1]), "console-remote")
	return t, nil
}

func (t *ttyProxy) attach() error {
	_, fds, err := fdpass.Recv(t.local, make([]byte, 256), 1)
	if err != nil {
		return fmt.Errorf("receive pty master: %w", err)
	}
	if len(fds) != 1 {
		return errors.New("receive pty master: no fd in message")
	}
	t.mfd = fds[0]
	tio, err := unix.IoctlGetTermios(t.mfd, unix.TCGETS)
	if err != nil {
		unix.Close(t.mfd)
		return fmt.Errorf("pty master: %w", err)
	}
	tio.Oflag &^= unix.ONLCR
	if err := unix.IoctlSetTermios(t.mfd, unix.TCSETS, tio); err != nil {
		unix.Close(t.mfd)
		return fmt.Errorf("clear onlcr on pty: %w", err)
	}
	// Non-blocking, so that the Go poller serves it and close can stop the
	// output copy once the container's process is gone.
	if err := unix.SetNonblock(t.mfd, true); err != nil {
		unix.Close(t.mfd)
		return fmt.Errorf("pty master: %w", err)
	}
	t.master = os.NewFile(uintptr(t.mfd), "pty-master")
	t.resize()
	if err := t.setRaw(); err != nil {
		return fmt.Errorf("failed to set the terminal from the stdin: %w", err)
	}
	t.copied = make(chan struct{})
	go io.Copy(t.master, os.Stdin)
	go t.copyOut()
	return nil
}

// setRaw is cfmakeraw(3) with OPOST kept: the host terminal does the
// output processing the pty no longer does.
func (t *ttyProxy) setRaw() error {
	fd := int(t.host.Fd())
	tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	saved := *tio
	t.saved = &saved
	raw := *tio
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Oflag |= unix.OPOST
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN] = 1
	raw.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, &raw)
}

// copyOut relays the pty to stdout until every slave end is closed (EIO)
// or close says the process is gone; then what is already buffered is
// drained and the copy ends, even if a left-over process still holds the
// slave (runc does the same).
func (t *ttyProxy) copyOut() {
	defer close(t.copied)
	buf := make([]byte, 32*1024)
	for {
		n, err := t.master.Read(buf)
		if n > 0 {
			if _, err := os.Stdout.Write(buf[:n]); err != nil {
				return
			}
		}
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			for {
				n, err := unix.Read(t.mfd, buf)
				if n <= 0 || err != nil {
					return
				}
				if _, err := os.Stdout.Write(buf[:n]); err != nil {
					return
				}
			}
		}
		return
	}
}

func (t *ttyProxy) resize() {
	if t.master == nil {
		return
	}
	if ws, err := unix.IoctlGetWinsize(int(t.host.Fd()), unix.TIOCGWINSZ); err == nil {
		unix.IoctlSetWinsize(t.mfd, unix.TIOCSWINSZ, ws)
	}
}

// close ends the relay once the process has exited: the output is copied
// to the end, then the caller's terminal is restored.
func (t *ttyProxy) close() {
	t.once.Do(func() {
		if t.copied != nil {
			t.master.SetReadDeadline(time.Now())
			<-t.copied
		}
		if t.saved != nil {
			unix.IoctlSetTermios(int(t.host.Fd()), unix.TCSETS, t.saved)
		}
		if t.master != nil {
			t.master.Close()
		}
		t.closeHost()
		t.local.Close()
		t.remote.Close()
	})
}

func (t *ttyProxy) closeHost() {
	if t.ownsHost {
		t.host.Close()
	}
}
