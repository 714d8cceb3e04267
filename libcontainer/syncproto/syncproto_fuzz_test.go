package syncproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// maxFrame is what one fuzz input may carry: RecvFDs reads one datagram
// of at most 4096 bytes, and a setup exchanges far less.
const maxFrame = 4096

// FuzzSyncMessages feeds fuzzed bytes to the three readers of the sync
// socket: Recv (the host reading the stages' JSON lines, until the
// stream ends), Request (the Go init reading the host's answer) and
// RecvFDs (one message with fds, read with recvmsg). Properties: no panic,
// no hang (each Recv consumes input or fails, and the loop ends at the
// end of the stream); a stream that ends is ErrInitExited; any other
// refusal says it is the sync protocol's (or, for Request, names the
// step); an error message always has a text; a message accepted is one
// Send writes back the same, and a pid message names a pid above 0; a
// Request succeeds only on an "ok" answer.
func FuzzSyncMessages(f *testing.F) {
	for _, s := range []string{
		`{"type":"maps"}` + "\n" + `{"type":"timens"}` + "\n" + `{"type":"pid","pid":4242}` + "\n",
		`{"type":"error","msg":"setns /proc/1/ns/net","errno":1}` + "\n",
		`{"type":"ok"}`,
		`{"type":"pid","pid":-1}`,
		`{"type":"pid"}`,
		`{"type":"error"}`,
		`{"type":"mountsrc","count":2}`,
		`{"type":"hostroot","mount_id":18446744073709551615}{"type":"ready"}`,
		`{"type":"ambient","cap":40,"errno":1}` + "\n" + `{"type":"warn","msg":"x"}`,
		`{"type":"pid","pid":1e99}`,
		`{"type":5}`,
		`{"type":"limits"`,
		"\x00\xff",
		`[]`,
		`{"type":"maps"} garbage`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFrame {
			return
		}
		checkRecv(t, data)
		checkRequest(t, data)
		checkRecvFDs(t, data)
	})
}

// feed returns a Conn reading data, then the end of the stream.
func feed(t *testing.T, typ int, data []byte) (*Conn, *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	peer := os.NewFile(uintptr(fds[1]), "peer")
	c := NewConn(os.NewFile(uintptr(fds[0]), "sync"))
	if len(data) > 0 {
		if _, err := peer.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	unix.Shutdown(fds[1], unix.SHUT_WR)
	return c, peer
}

func checkRecv(t *testing.T, data []byte) {
	c, peer := feed(t, unix.SOCK_STREAM, data)
	defer c.Close()
	defer peer.Close()
	for n := 0; ; n++ {
		if n > len(data) {
			t.Fatalf("%d messages out of %d bytes", n, len(data))
		}
		m, err := c.Recv()
		if err != nil {
			if !errors.Is(err, ErrInitExited) && !strings.HasPrefix(err.Error(), "sync protocol: ") {
				t.Fatalf("Recv error does not say it is the sync protocol: %q", err)
			}
			return
		}
		if m.Type == Pid && m.Pid <= 0 {
			t.Fatalf("pid message with pid %d accepted", m.Pid)
		}
		if m.Type == Error && m.Err().Error() == "" {
			t.Fatalf("error message %+v has no text", m)
		}
		echo(t, m)
	}
}

// echo sends m through a Conn pair and checks that it arrives unchanged.
func echo(t *testing.T, m Msg) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := NewConn(os.NewFile(uintptr(fds[0]), "a")), NewConn(os.NewFile(uintptr(fds[1]), "b"))
	defer a.Close()
	defer b.Close()
	if err := a.Send(m); err != nil {
		t.Fatalf("Send(%+v): %v", m, err)
	}
	got, err := b.Recv()
	if err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("sent %+v, received %+v, %v", m, got, err)
	}
}

func checkRequest(t *testing.T, data []byte) {
	c, peer := feed(t, unix.SOCK_STREAM, data)
	defer c.Close()
	defer peer.Close()
	err := c.Request(Msg{Type: Limits}, "wait for process limits")
	var first Msg
	if err == nil {
		// the answer was "ok": decode it as Request did
		if e := jsonFirst(data, &first); e != nil || first.Type != OK {
			t.Fatalf("Request succeeded on %q", data)
		}
		return
	}
	if err.Error() == "" {
		t.Fatalf("Request failed without a text on %q", data)
	}
	if jsonFirst(data, &first) == nil && first.Type != Error && !strings.HasPrefix(err.Error(), "wait for process limits: ") {
		t.Fatalf("Request error does not name the step: %q", err)
	}
}

func checkRecvFDs(t *testing.T, data []byte) {
	if len(data) == 0 {
		return // a zero-length datagram is no message
	}
	c, peer := feed(t, unix.SOCK_SEQPACKET, data)
	defer c.Close()
	defer peer.Close()
	m, fds, err := c.RecvFDs(4)
	if err != nil {
		if m.Type != Error && !strings.HasPrefix(err.Error(), "sync protocol: ") && !strings.HasPrefix(err.Error(), "want ") {
			t.Fatalf("RecvFDs error does not say what is wrong: %q", err)
		}
		if err.Error() == "" {
			t.Fatalf("RecvFDs failed without a text on %q", data)
		}
		return
	}
	if m.Count != len(fds) || len(fds) != 0 {
		t.Fatalf("RecvFDs: count %d with %d fds", m.Count, len(fds))
	}
}

// jsonFirst decodes the first JSON value of data into v, as a Conn does.
func jsonFirst(data []byte, v any) error {
	return json.NewDecoder(bytes.NewReader(data)).Decode(v)
}
