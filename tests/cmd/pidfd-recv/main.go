// Command pidfd-recv is a test tool for --pidfd-socket: it listens on a unix
// socket, receives one pidfd sent with SCM_RIGHTS, prints "pid N" (the
// process the pidfd refers to, from /proc/self/fdinfo) and the message
// name, and with -kill sends SIGKILL through the pidfd, then exits. With
// -comm NAME it first waits (at most 10 s) until the process is NAME: a
// runtime may hand the pidfd over before its child has exec'd the workload
// (runc 1.5 does), and killing that half-set-up child tests the runtime's
// setup, not the pidfd.
//
//	pidfd-recv [-kill] [-comm NAME] SOCKET
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	kill := flag.Bool("kill", false, "send SIGKILL through the received pidfd")
	comm := flag.String("comm", "", "before killing, wait until the process's comm is this")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: pidfd-recv [-kill] [-comm NAME] SOCKET")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *kill, *comm); err != nil {
		fmt.Fprintln(os.Stderr, "pidfd-recv:", err)
		os.Exit(1)
	}
}

func run(path string, kill bool, comm string) error {
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return err
	}
	defer l.Close()
	conn, err := l.AcceptUnix()
	if err != nil {
		return err
	}
	defer conn.Close()
	buf := make([]byte, 64)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return errors.New("no fd in the message")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return errors.New("bad fd message")
	}
	pid, err := fdinfoPid(fds[0])
	if err != nil {
		return err
	}
	fmt.Printf("name %s\npid %s\n", buf[:n], pid)
	if kill {
		if comm != "" {
			if err := waitComm(pid, comm); err != nil {
				return err
			}
		}
		if err := unix.PidfdSendSignal(fds[0], unix.SIGKILL, nil, 0); err != nil {
			return fmt.Errorf("pidfd_send_signal: %w", err)
		}
		fmt.Println("killed")
	}
	return nil
}

// fdinfoPid reads the "Pid:" line the kernel shows for a pidfd; a fd of
// any other kind has none.
func fdinfoPid(fd int) (string, error) {
	f, err := os.Open(fmt.Sprintf("/proc/self/fdinfo/%d", fd))
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "Pid:"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", errors.New("received fd is not a pidfd")
}

func waitComm(pid, want string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile("/proc/" + pid + "/comm")
		if err == nil && strings.TrimSpace(string(b)) == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %s is not %q after 10s (comm %q, %v)", pid, want, strings.TrimSpace(string(b)), err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
