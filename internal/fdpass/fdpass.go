// Package fdpass passes file descriptors over unix sockets (SCM_RIGHTS,
// unix(7)): the one place hako writes and parses the control messages, for
// the console socket, the pidfd socket, the seccomp listener agent, the
// sd_notify barrier and the mount sources of a user-namespaced init.
//
// Both ends work on anything with SyscallConn (an *os.File, a
// *net.UnixConn): a socket in Go's poller is waited on there, a blocking
// one blocks in the call.
package fdpass

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// Send sends payload (at least one byte: a stream socket carries the fds
// with data) and fds in one sendmsg. It returns how much of payload went;
// on a stream socket the rest is for the caller to write, the fds having
// gone with the first part.
func Send(c syscall.Conn, payload []byte, fds ...int) (int, error) {
	if len(payload) == 0 {
		return 0, errors.New("send fds: empty payload")
	}
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("send fds: %w", err)
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	var n int
	var serr error
	cerr := raw.Write(func(fd uintptr) bool {
		n, serr = unix.SendmsgN(int(fd), payload, oob, nil, 0)
		return !errors.Is(serr, unix.EAGAIN)
	})
	if serr == nil {
		serr = cerr
	}
	if serr != nil {
		return 0, serr
	}
	return n, nil
}

// Recv reads one message into buf and returns its length and the fds that
// came with it, close-on-exec. More than maxFDs fds, or a truncated
// control message, is an error, and every fd received is closed then.
func Recv(c syscall.Conn, buf []byte, maxFDs int) (int, []int, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, nil, fmt.Errorf("receive fds: %w", err)
	}
	// room for one more than wanted, to tell "too many" from "as many"
	oob := make([]byte, unix.CmsgSpace(4*(maxFDs+1)))
	var n, oobn, flags int
	var rerr error
	cerr := raw.Read(func(fd uintptr) bool {
		n, oobn, flags, _, rerr = unix.Recvmsg(int(fd), buf, oob, unix.MSG_CMSG_CLOEXEC)
		return !errors.Is(rerr, unix.EAGAIN)
	})
	if rerr == nil {
		rerr = cerr
	}
	if rerr != nil {
		return 0, nil, rerr
	}
	var fds []int
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return 0, nil, fmt.Errorf("receive fds: %w", err)
	}
	for i := range msgs {
		if msgs[i].Header.Level != unix.SOL_SOCKET || msgs[i].Header.Type != unix.SCM_RIGHTS {
			continue
		}
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			Close(fds)
			return 0, nil, fmt.Errorf("receive fds: %w", err)
		}
		fds = append(fds, got...)
	}
	if flags&unix.MSG_CTRUNC != 0 || len(fds) > maxFDs {
		Close(fds)
		return 0, nil, fmt.Errorf("receive fds: more than %d fds", maxFDs)
	}
	return n, fds, nil
}

// Close closes every fd of fds.
func Close(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
