// Command recvtty is a test tool for the --console-socket protocol: it listens
// on a unix socket, receives one pty master sent with SCM_RIGHTS, then copies
// the master to stdout and stdin to the master until the pty is hung up (all
// slave ends closed).
//
//	recvtty [-no-stdin] SOCKET
//
// It prints nothing of its own on stdout, so a test can compare stdout with
// what the container wrote on its terminal. Errors go to stderr, exit 1.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
)

func main() {
	noStdin := flag.Bool("no-stdin", false, "do not copy stdin to the pty master")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: recvtty [-no-stdin] SOCKET")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), !*noStdin); err != nil {
		fmt.Fprintln(os.Stderr, "recvtty:", err)
		os.Exit(1)
	}
}

func run(path string, copyStdin bool) error {
	_ = os.Remove(path)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return err
	}
	defer os.Remove(path)
	defer l.Close()

	conn, err := l.AcceptUnix()
	if err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	defer conn.Close()
	master, err := receiveFd(conn)
	if err != nil {
		return err
	}
	defer master.Close()

	if copyStdin {
		go func() { _, _ = io.Copy(master, os.Stdin) }()
	}
	_, err = io.Copy(os.Stdout, master)
	// A hung-up pty master reads EIO: that is the normal end.
	if err != nil && !errors.Is(err, syscall.EIO) {
		return fmt.Errorf("copy: %w", err)
	}
	return nil
}

// receiveFd reads one message and returns the single fd it carries.
func receiveFd(conn *net.UnixConn) (*os.File, error) {
	buf := make([]byte, 4096)
	oob := make([]byte, syscall.CmsgSpace(4*4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, fmt.Errorf("recvmsg: %w", err)
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, fmt.Errorf("parse control message: %w", err)
	}
	var fds []int
	for i := range msgs {
		rights, err := syscall.ParseUnixRights(&msgs[i])
		if err != nil {
			continue
		}
		fds = append(fds, rights...)
	}
	if len(fds) != 1 {
		for _, fd := range fds {
			syscall.Close(fd)
		}
		return nil, fmt.Errorf("got %d fds, want 1 (payload %q)", len(fds), buf[:n])
	}
	name := string(buf[:n])
	if name == "" {
		name = "pty-master"
	}
	return os.NewFile(uintptr(fds[0]), name), nil
}
