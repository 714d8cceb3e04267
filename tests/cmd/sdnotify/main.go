// Command sdnotify is a test tool standing in for systemd's notify socket:
// it binds a unix datagram socket, then prints every message it receives,
// one line per assignment, until it has seen READY=1 and then -after more
// datagrams (default 0), or -timeout passes. BARRIER=1 messages are
// answered as systemd does, by closing the fd that came with them.
//
//	sdnotify [-after N] [-timeout 20s] SOCKET
//
// Inside a container it is the sender: "sdnotify -send MSG" sends MSG as
// one datagram to $NOTIFY_SOCKET, as sd_notify(3) does.
//
//	sdnotify -send MSG
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	after := flag.Int("after", 0, "datagrams to wait for after READY=1")
	timeout := flag.Duration("timeout", 20*time.Second, "give up after this long")
	send := flag.String("send", "", "send this message to $NOTIFY_SOCKET and exit")
	flag.Parse()
	if *send != "" {
		c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: os.Getenv("NOTIFY_SOCKET"), Net: "unixgram"})
		if err == nil {
			_, err = c.Write([]byte(*send))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "sdnotify:", err)
			os.Exit(1)
		}
		return
	}
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: sdnotify [-after N] [-timeout D] SOCKET")
		os.Exit(2)
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: flag.Arg(0), Net: "unixgram"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdnotify:", err)
		os.Exit(1)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(*timeout))
	ready := false
	left := *after
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4*4))
	for !ready || left > 0 {
		n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sdnotify:", err)
			os.Exit(1)
		}
		if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
			for _, m := range msgs {
				fds, _ := unix.ParseUnixRights(&m)
				for _, fd := range fds {
					unix.Close(fd)
				}
			}
		}
		if ready {
			left--
		}
		for _, line := range strings.Split(strings.TrimRight(string(buf[:n]), "\n"), "\n") {
			fmt.Println(line)
			if line == "READY=1" {
				ready = true
			}
		}
	}
}
