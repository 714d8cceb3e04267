package seccomp

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestSendListener(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type received struct {
		msg []byte
		fds []int
		err error
	}
	got := make(chan received, 1)
	go func() {
		c, err := l.AcceptUnix()
		if err != nil {
			got <- received{err: err}
			return
		}
		defer c.Close()
		buf, oob := make([]byte, 1<<16), make([]byte, unix.CmsgSpace(4*4))
		n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
		if err != nil {
			got <- received{err: err}
			return
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		var fds []int
		for _, m := range msgs {
			f, _ := unix.ParseUnixRights(&m)
			fds = append(fds, f...)
		}
		got <- received{msg: buf[:n], fds: fds, err: err}
	}()

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	state := specs.State{Version: specs.Version, ID: "c1", Status: specs.StateCreating, Pid: 4242, Bundle: "/b",
		Annotations: map[string]string{"a": "b"}}
	if err := SendListener(sock, int(w.Fd()), state, "meta=1"); err != nil {
		t.Fatal(err)
	}
	w.Close() // the receiver holds its own copy now
	rcv := <-got
	if rcv.err != nil {
		t.Fatal(rcv.err)
	}
	var ps specs.ContainerProcessState
	if err := json.Unmarshal(rcv.msg, &ps); err != nil {
		t.Fatalf("message %q: %v", rcv.msg, err)
	}
	if ps.Version != specs.Version || len(ps.Fds) != 1 || ps.Fds[0] != "seccompFd" || ps.Pid != 4242 ||
		ps.Metadata != "meta=1" || ps.State.ID != "c1" || ps.State.Bundle != "/b" || ps.State.Annotations["a"] != "b" {
		t.Errorf("unexpected state %+v", ps)
	}
	if len(rcv.fds) != 1 {
		t.Fatalf("received %d fds", len(rcv.fds))
	}
	// The received fd is the pipe's write end.
	unix.Write(rcv.fds[0], []byte("hi"))
	unix.Close(rcv.fds[0])
	buf := make([]byte, 8)
	if n, _ := r.Read(buf); string(buf[:n]) != "hi" {
		t.Errorf("read %q through the passed fd", buf[:n])
	}

	if err := SendListener(filepath.Join(t.TempDir(), "none.sock"), 0, state, ""); err == nil ||
		!strings.HasPrefix(err.Error(), "send seccomp listener: ") {
		t.Errorf("missing socket: %v", err)
	}
}
