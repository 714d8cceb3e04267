package fdpass

import (
	"net"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func pair(t *testing.T, typ int) (*os.File, *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := os.NewFile(uintptr(fds[0]), "a"), os.NewFile(uintptr(fds[1]), "b")
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestSendRecv(t *testing.T) {
	a, b := pair(t, unix.SOCK_STREAM)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if n, err := Send(a, []byte("pty"), int(w.Fd()), int(r.Fd())); err != nil || n != 3 {
		t.Fatalf("send: %d %v", n, err)
	}
	buf := make([]byte, 16)
	n, fds, err := Recv(b, buf, 2)
	if err != nil || string(buf[:n]) != "pty" || len(fds) != 2 {
		t.Fatalf("recv: %q %v %v", buf[:n], fds, err)
	}
	defer Close(fds)
	// the received write end is the pipe's
	if _, err := unix.Write(fds[0], []byte("x")); err != nil {
		t.Fatal(err)
	}
	one := make([]byte, 1)
	if _, err := r.Read(one); err != nil || one[0] != 'x' {
		t.Fatalf("pipe: %q %v", one, err)
	}
	if fl, _ := unix.FcntlInt(uintptr(fds[0]), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
		t.Error("received fd is not close-on-exec")
	}
}

func TestRecvTooMany(t *testing.T) {
	a, b := pair(t, unix.SOCK_DGRAM)
	if _, err := Send(a, []byte("x"), 0, 1, 2); err != nil {
		t.Fatal(err)
	}
	before := countFDs(t)
	if _, fds, err := Recv(b, make([]byte, 4), 1); err == nil {
		t.Fatalf("three fds accepted where one was wanted: %v", fds)
	}
	if after := countFDs(t); after != before {
		t.Errorf("fds leaked: %d open before, %d after", before, after)
	}
}

func TestNoFDs(t *testing.T) {
	a, b := pair(t, unix.SOCK_STREAM)
	if _, err := Send(a, []byte("plain")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	n, fds, err := Recv(b, buf, 1)
	if err != nil || string(buf[:n]) != "plain" || len(fds) != 0 {
		t.Fatalf("recv: %q %v %v", buf[:n], fds, err)
	}
	if _, err := Send(a, nil, 1); err == nil {
		t.Error("an empty payload was sent")
	}
}

func TestNetConn(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fds[0]), "conn")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	peer := os.NewFile(uintptr(fds[1]), "peer")
	defer peer.Close()
	if _, err := Send(c.(*net.UnixConn), []byte("pidfd"), 0); err != nil {
		t.Fatal(err)
	}
	n, got, err := Recv(peer, make([]byte, 8), 1)
	if err != nil || n != 5 || len(got) != 1 {
		t.Fatalf("recv: %d %v %v", n, got, err)
	}
	Close(got)
}

func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
