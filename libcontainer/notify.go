package libcontainer

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/internal/fdpass"
)

// sd_notify proxy, as runc does it: with NOTIFY_SOCKET set, create
// bind-mounts a directory of the state dir at /run/notify in the
// container and points the process's NOTIFY_SOCKET there; start (and run)
// bind a datagram socket in that directory before releasing the init and
// forward what the container sends to the host socket, adding MAINPID with
// the init's host pid when READY comes.

const (
	notifyDirName       = "notify"
	notifySockName      = "notify.sock"
	notifyInContainer   = "/run/notify"
	notifySockContainer = notifyInContainer + "/" + notifySockName
)

// setupNotify prepares the container side of the proxy in spec.
func (c *Container) setupNotify(spec *specs.Spec) error {
	dir := filepath.Join(c.dir, notifyDirName)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("notify socket directory: %w", err)
	}
	spec.Mounts = append(spec.Mounts, specs.Mount{
		Destination: notifyInContainer, Type: "bind", Source: dir,
		Options: []string{"bind", "nosuid", "noexec", "nodev", "ro"},
	})
	var env []string
	for _, e := range spec.Process.Env {
		if !strings.HasPrefix(e, "NOTIFY_SOCKET=") {
			env = append(env, e)
		}
	}
	spec.Process.Env = append(env, "NOTIFY_SOCKET="+notifySockContainer)
	return nil
}

// NotifyProxy receives the container's sd_notify datagrams.
type NotifyProxy struct {
	conn  *net.UnixConn
	host  string
	pid   int
	pidfd int // the init, watched without the risk of a recycled pid
}

// ListenNotify binds the container's notify socket, when create set one up
// and host (the caller's NOTIFY_SOCKET) is not empty; otherwise it
// returns nil. It must run before Start so no early message is lost.
func (c *Container) ListenNotify(host string) (*NotifyProxy, error) {
	dir := filepath.Join(c.dir, notifyDirName)
	if host == "" {
		return nil, nil
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, nil
	}
	pidfd, err := c.pidfd()
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, notifySockName)
	os.Remove(p)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: p, Net: "unixgram"})
	if err != nil {
		unix.Close(pidfd)
		return nil, fmt.Errorf("notify socket: %w", err)
	}
	// Any user of the container may notify, as with systemd's own socket.
	if err := os.Chmod(p, 0o777); err != nil {
		unix.Close(pidfd)
		conn.Close()
		return nil, fmt.Errorf("notify socket: %w", err)
	}
	return &NotifyProxy{conn: conn, host: host, pid: c.st.InitPid, pidfd: pidfd}, nil
}

// Close stops listening.
func (n *NotifyProxy) Close() error {
	unix.Close(n.pidfd)
	return n.conn.Close()
}

// Forward relays messages to the host socket. With untilReady it returns
// after READY=1 has been passed on (and acknowledged with a barrier) or
// when the init is gone; otherwise it relays until the init exits.
// MAINPID from the container means a pid of its namespace: it is
// replaced by the init's host pid.
func (n *NotifyProxy) Forward(untilReady bool) error {
	host, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.host, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("NOTIFY_SOCKET %s: %w", n.host, err)
	}
	defer host.Close()
	buf := make([]byte, 4096)
	for {
		// Poll the init between reads: a container that dies before
		// READY must not hang start forever.
		n.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		sz, err := n.conn.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if unix.PidfdSendSignal(n.pidfd, 0, nil, 0) != nil {
					return nil
				}
				continue
			}
			return fmt.Errorf("notify socket: %w", err)
		}
		var out [][]byte
		ready := false
		for _, line := range bytes.Split(buf[:sz], []byte("\n")) {
			switch {
			case len(line) == 0, bytes.HasPrefix(line, []byte("MAINPID=")):
			case bytes.Equal(line, []byte("READY=1")):
				ready = true
				out = append(out, line)
			default:
				out = append(out, line)
			}
		}
		if ready {
			out = append(out, []byte("MAINPID="+strconv.Itoa(n.pid)))
		}
		if len(out) > 0 {
			if _, err := host.Write(append(bytes.Join(out, []byte("\n")), '\n')); err != nil {
				return fmt.Errorf("NOTIFY_SOCKET %s: %w", n.host, err)
			}
		}
		if ready && untilReady {
			return notifyBarrier(host)
		}
	}
}

// notifyBarrier waits until the host has processed what was sent
// (sd_notify_barrier): it sends BARRIER=1 with a pipe and waits for the
// pipe to be closed. A receiver that does not implement barriers keeps
// the fd until it closes the message, so the wait is bounded.
func notifyBarrier(host *net.UnixConn) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = fdpass.Send(host, []byte("BARRIER=1"), int(w.Fd()))
	w.Close()
	if err != nil {
		return fmt.Errorf("notify barrier: %w", err)
	}
	r.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b [1]byte
	r.Read(b[:])
	return nil
}
