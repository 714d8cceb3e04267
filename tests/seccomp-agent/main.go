// Command seccomp-agent is a minimal seccomp notify agent for hako's
// tests. It listens on a unix socket (linux.seccomp.listenerPath), takes
// the listener fd a runtime sends with the OCI ContainerProcessState
// (runc's protocol: the JSON names the fds, SCM_RIGHTS carries them), and
// answers every mkdir/mkdirat notification with success without creating
// anything; every other notified syscall is let through
// (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
//
// One line per event goes to stdout, for tests to check:
//
//	container <id> pid <pid> metadata <metadata>
//	<pid> <syscall> -> fake success|continue
//
// Usage: seccomp-agent -socket /run/seccomp-agent.sock
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

func main() {
	socket := flag.String("socket", "/run/seccomp-agent.sock", "unix socket to listen on")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("seccomp-agent: ")
	if err := run(*socket); err != nil {
		log.Fatal(err)
	}
}

func run(socket string) error {
	os.Remove(socket) // a stale socket from an earlier run
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: socket, Net: "unix"})
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, unix.SIGINT, unix.SIGTERM)
	go func() {
		<-sig
		l.Close() // removes the socket file and ends Accept
	}()
	var out sync.Mutex
	say := func(format string, a ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Printf(format+"\n", a...)
	}
	for {
		c, err := l.AcceptUnix()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("accept: %w", err)
		}
		fd, state, err := receive(c)
		c.Close()
		if err != nil {
			log.Print(err)
			continue
		}
		say("container %s pid %d metadata %s", state.State.ID, state.Pid, state.Metadata)
		go serve(fd, say)
	}
}

// receive reads one ContainerProcessState message and returns the fd named
// "seccompFd"; other passed fds are closed.
func receive(c *net.UnixConn) (int, *specs.ContainerProcessState, error) {
	buf, oob := make([]byte, 1<<20), make([]byte, unix.CmsgSpace(16*4))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return -1, nil, fmt.Errorf("receive: %w", err)
	}
	var fds []int
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return -1, nil, fmt.Errorf("receive: parse control message: %w", err)
	}
	for _, m := range msgs {
		if f, err := unix.ParseUnixRights(&m); err == nil {
			fds = append(fds, f...)
		}
	}
	var state specs.ContainerProcessState
	if err := json.Unmarshal(buf[:n], &state); err != nil {
		closeAll(fds)
		return -1, nil, fmt.Errorf("receive: decode state: %w", err)
	}
	listener := -1
	for i, name := range state.Fds {
		if name == specs.SeccompFdName && i < len(fds) {
			listener, fds[i] = fds[i], -1
		}
	}
	closeAll(fds)
	if listener < 0 {
		return -1, nil, fmt.Errorf("receive: no %q among fds %v", specs.SeccompFdName, state.Fds)
	}
	return listener, &state, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}

// serve answers notifications until every task using the filter is gone
// (the listener then polls POLLHUP).
func serve(fd int, say func(string, ...any)) {
	defer unix.Close(fd)
	for {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			log.Printf("poll: %v", err)
			return
		}
		if pfd[0].Revents&unix.POLLIN == 0 {
			return // POLLHUP: no task left
		}
		req, err := libseccomp.NotifReceive(libseccomp.ScmpFd(fd))
		if err != nil {
			// ENOENT: the task died or the call was interrupted.
			continue
		}
		name, _ := req.Data.Syscall.GetNameByArch(req.Data.Arch)
		resp := &libseccomp.ScmpNotifResp{ID: req.ID}
		verdict := "fake success"
		if name != "mkdir" && name != "mkdirat" {
			resp.Flags, verdict = libseccomp.NotifRespFlagContinue, "continue"
		}
		if err := libseccomp.NotifRespond(libseccomp.ScmpFd(fd), resp); err != nil {
			log.Printf("respond to %d %s: %v", req.Pid, name, err)
			continue
		}
		say("%d %s -> %s", req.Pid, name, verdict)
	}
}
