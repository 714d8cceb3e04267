package libcontainer

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/internal/fdpass"
)

// pidfdSocket is a connection to a --pidfd-socket listener. It is dialled
// before anything is spawned, so a bad path fails early and cleanly.
type pidfdSocket struct{ conn *net.UnixConn }

func dialPidfdSocket(path string) (*pidfdSocket, error) {
	if path == "" {
		return nil, nil
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("--pidfd-socket: %w", err)
	}
	return &pidfdSocket{conn}, nil
}

// send passes a pidfd of pid with SCM_RIGHTS; the payload is the name
// "pidfd", as the console socket carries the pty's name.
func (p *pidfdSocket) send(pid int) error {
	if p == nil {
		return nil
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("--pidfd-socket: open pidfd of %d: %w", pid, err)
	}
	defer unix.Close(fd)
	if _, err := fdpass.Send(p.conn, []byte("pidfd"), fd); err != nil {
		return fmt.Errorf("--pidfd-socket: send pidfd: %w", err)
	}
	return nil
}

func (p *pidfdSocket) close() {
	if p != nil {
		p.conn.Close()
	}
}
