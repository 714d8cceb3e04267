package syncproto

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func pair(t *testing.T) (*Conn, *Conn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := NewConn(os.NewFile(uintptr(fds[0]), "a")), NewConn(os.NewFile(uintptr(fds[1]), "b"))
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestBootstrap(t *testing.T) {
	b := &Bootstrap{
		Clone: unix.CLONE_NEWNS | unix.CLONE_NEWUSER,
		Joins: []Join{{Flag: unix.CLONE_NEWNET, Path: "/proc/self/fd/7"}},
		Maps:  true, Plan: []byte{1, 0, 2},
	}
	raw, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	want := "clone 268566528\njoin 1073741824 /proc/self/fd/7\nmaps\nplan 3\n\n\x01\x00\x02"
	if string(raw) != want {
		t.Errorf("bootstrap %q, want %q", raw, want)
	}
	// a path that would end the directive early is refused, not sent
	b.Joins[0].Path = "/x\nclone 0"
	if _, err := b.MarshalBinary(); err == nil {
		t.Error("a namespace path with a newline was rendered")
	}
}

func TestRequestReply(t *testing.T) {
	host, init := pair(t)
	done := make(chan error, 1)
	go func() {
		m, err := host.Recv()
		if err != nil || m.Type != Limits {
			done <- errors.New("host got " + string(m.Type))
			return
		}
		// the host's error is returned to it as well as sent
		done <- host.Reply(errors.New("process.rlimits: bad"))
	}()
	err := init.Request(Msg{Type: Limits}, "wait for process limits")
	if err == nil || err.Error() != "process.rlimits: bad" {
		t.Errorf("request answered %v", err)
	}
	if herr := <-done; herr == nil || herr.Error() != "process.rlimits: bad" {
		t.Errorf("reply returned %v", herr)
	}
}

func TestRecvExited(t *testing.T) {
	host, init := pair(t)
	init.Close()
	if _, err := host.Recv(); !errors.Is(err, ErrInitExited) {
		t.Errorf("recv after the peer closed: %v", err)
	}
}

func TestErrWordsErrno(t *testing.T) {
	err := Msg{Type: Error, Msg: "process.cwd /x", Errno: int(syscall.ENOENT)}.Err()
	if err.Error() != "process.cwd /x: no such file or directory" || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("err %v", err)
	}
}

func TestFDs(t *testing.T) {
	host, init := pair(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := host.SendFDs(Msg{Type: MountSources}, []int{int(r.Fd()), int(w.Fd())}); err != nil {
		t.Fatal(err)
	}
	m, fds, err := init.RecvFDs(2)
	if err != nil || m.Count != 2 || len(fds) != 2 {
		t.Fatalf("recv %+v %v %v", m, fds, err)
	}
	for _, fd := range fds {
		unix.Close(fd)
	}
	// more fds than asked for: refused, none kept
	if err := host.SendFDs(Msg{Type: MountSources}, []int{int(r.Fd()), int(w.Fd())}); err != nil {
		t.Fatal(err)
	}
	if _, fds, err := init.RecvFDs(1); err == nil || fds != nil {
		t.Errorf("two fds where one was asked for: %v %v", fds, err)
	}
	// an error instead of the fds carries the host's text
	if err := host.Reply(errors.New("mounts[0].source: gone")); err == nil {
		t.Fatal("reply lost its error")
	}
	if m, _, err := init.RecvFDs(1); m.Type != Error || err == nil || err.Error() != "mounts[0].source: gone" {
		t.Errorf("error reply: %+v %v", m, err)
	}
}

// The fds travel past the JSON decoder: a message already buffered by it
// would be lost, so that is a protocol error, not a silent skip.
func TestFDsAfterBufferedData(t *testing.T) {
	host, init := pair(t)
	host.Send(Msg{Type: Hooks})
	host.Send(Msg{Type: Warn, Msg: "x"})
	if m, err := init.Recv(); err != nil || m.Type != Hooks {
		t.Fatalf("recv %+v %v", m, err)
	}
	if _, _, err := init.RecvFDs(1); err == nil || !strings.Contains(err.Error(), "data before") {
		t.Errorf("RecvFDs with a buffered message: %v", err)
	}
}
