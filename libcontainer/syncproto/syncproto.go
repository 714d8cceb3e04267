// Package syncproto is the protocol between hako and the init it starts,
// on the sync socket named by _HAKO_SYNCFD (a SOCK_STREAM socketpair).
//
// One socket carries, in order:
//
//  1. host → nsenter stage: the Bootstrap, nsenter's directives as text
//     lines ended by an empty line, then the exec plan's bytes, if any
//     (nsenter/doc.go, nsenter.ExecPlan);
//  2. both ways: one Msg per step, as a JSON line; the C stages (nsenter.c,
//     apply.c) write the same lines;
//  3. host → C stages: one byte per step they wait on (AckMaps, AckTimens,
//     AckPid), since they read no JSON but "ok";
//  4. host → Go init: the Config as one JSON value, after the init's pid;
//  5. fds (SCM_RIGHTS, see internal/fdpass) attached to one message: the
//     MountSources reply to the Go init, the applier's Rootfs message.
//
// The steps, who sends them and what answers them:
//
//	type      sender      fields          answer
//	maps      nsenter     -               AckMaps once uid_map/gid_map are written
//	timens    nsenter     -               AckTimens once timens_offsets is written
//	pid       nsenter     Pid             Config (Go init) or AckPid (exec applier)
//	mountsrc  Go init     -               mountsrc with Count fds, or error
//	rootfs    applier     Count fds       ok once the host made the rootfs, or error
//	hostroot  Go init     MountID         none
//	hooks     Go init     -               ok or error
//	limits    init        -               ok or error
//	seccomp   init        FD              ok or error
//	ambient   applier     Cap, Errno      none (the host warns)
//	warn      init        Msg             none (the host warns)
//	ready     init        -               none: setup is done
//	error     any         Msg, Errno      none: the sender exits
package syncproto

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/hako-runtime/hako/internal/fdpass"
)

// Type names one step of the protocol.
type Type string

const (
	Maps         Type = "maps"
	Timens       Type = "timens"
	Pid          Type = "pid"
	MountSources Type = "mountsrc"
	// Rootfs: the create applier's procfs contexts are attached (Count);
	// the host makes the rootfs and answers.
	Rootfs   Type = "rootfs"
	HostRoot Type = "hostroot"
	Hooks    Type = "hooks"
	Limits   Type = "limits"
	Seccomp  Type = "seccomp"
	Ambient  Type = "ambient"
	Warn     Type = "warn"
	Ready    Type = "ready"
	Error    Type = "error"
	// OK is the host's answer to a request that succeeded.
	OK Type = "ok"
)

// One-byte answers to the C stages.
const (
	AckMaps   byte = 'm'
	AckTimens byte = 't'
	AckPid    byte = 'p'
)

// Msg is one step's message. Each field belongs to the steps the package
// table names; the others leave it zero (and out of the JSON line).
type Msg struct {
	Type Type `json:"type"`
	// Pid is the init's host pid (pid).
	Pid int `json:"pid,omitempty"`
	// FD is the seccomp listener's fd number inside the init (seccomp);
	// the host takes it with pidfd_getfd.
	FD int `json:"fd,omitempty"`
	// Count is the number of fds attached to the message (mountsrc reply).
	Count int `json:"count,omitempty"`
	// MountID is the mount ID of the rootfs bind the init made in the
	// host's mount namespace (hostroot): the host removes it at delete.
	MountID uint64 `json:"mount_id,omitempty"`
	// Cap is the capability number the kernel would not raise as ambient
	// (ambient).
	Cap int `json:"cap,omitempty"`
	// Msg is a warning (warn) or an error text (error).
	Msg string `json:"msg,omitempty"`
	// Errno is the error number of a failed step of the C stages (error,
	// ambient); the host words it as Go does, after Msg.
	Errno int `json:"errno,omitempty"`
}

// Err is the error an "error" message carries, its errno wrapped.
func (m Msg) Err() error {
	text := m.Msg
	if text == "" {
		// an error must say something, even from a broken peer
		text = "sync protocol: error message without text"
	}
	if m.Errno != 0 {
		return fmt.Errorf("%s: %w", text, syscall.Errno(m.Errno))
	}
	return errors.New(text)
}

// ErrorMsg is the "error" message for err.
func ErrorMsg(err error) Msg { return Msg{Type: Error, Msg: err.Error()} }

// ErrInitExited is what Recv returns when the peer closed the socket
// before a message: the init died (or exited after its error line).
var ErrInitExited = errors.New("init exited before finishing setup")

// Join is a namespace joined by path (nsenter's "join" directive).
type Join struct {
	Flag uintptr // CLONE_NEW* of the namespace type
	Path string
}

// Bootstrap is the first thing the host writes: what nsenter does before
// the init (Go or the exec applier) goes on (nsenter/doc.go).
type Bootstrap struct {
	Clone  uintptr // CLONE_NEW* flags of the namespaces to create
	Joins  []Join  // namespaces to join, in this order
	Maps   bool    // wait for the host to write uid_map and gid_map
	Timens bool    // wait for the host to write timens_offsets
	// Plan is an encoded nsenter.ExecPlan (exec through the C applier).
	Plan []byte
}

// MarshalBinary renders the directives and appends the plan.
func (b *Bootstrap) MarshalBinary() ([]byte, error) {
	// nsenter.c's MAX_JOIN (there are 8 namespace types)
	if len(b.Joins) > 16 {
		return nil, fmt.Errorf("namespace paths: %d to join, at most 16", len(b.Joins))
	}
	var s strings.Builder
	fmt.Fprintf(&s, "clone %d\n", b.Clone)
	for _, j := range b.Joins {
		if strings.ContainsAny(j.Path, "\n\x00") {
			return nil, fmt.Errorf("namespace path %q: newline or NUL", j.Path)
		}
		fmt.Fprintf(&s, "join %d %s\n", j.Flag, j.Path)
	}
	if b.Maps {
		s.WriteString("maps\n")
	}
	if b.Timens {
		s.WriteString("timens\n")
	}
	if len(b.Plan) > 0 {
		s.WriteString("plan " + strconv.Itoa(len(b.Plan)) + "\n")
	}
	s.WriteString("\n")
	return append([]byte(s.String()), b.Plan...), nil
}

// Conn is one end of the sync socket.
type Conn struct {
	f   *os.File
	dec *json.Decoder
	enc *json.Encoder
}

// NewConn wraps the sync socket f; Close closes f.
func NewConn(f *os.File) *Conn {
	return &Conn{f: f, dec: json.NewDecoder(f), enc: json.NewEncoder(f)}
}

// Close closes the socket.
func (c *Conn) Close() error { return c.f.Close() }

// Send writes m as one JSON line.
func (c *Conn) Send(m Msg) error { return c.enc.Encode(m) }

// Recv reads the next message; ErrInitExited if the peer has gone. A
// line that is not a message, or a pid message without a pid (the host
// would take 0 or -1 for the init), is an error of the sync protocol.
func (c *Conn) Recv() (Msg, error) {
	var m Msg
	err := c.dec.Decode(&m)
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return m, ErrInitExited
	case err != nil:
		return m, fmt.Errorf("sync protocol: %w", err)
	case m.Type == Pid && m.Pid <= 0:
		return m, fmt.Errorf("sync protocol: pid message with pid %d", m.Pid)
	}
	return m, nil
}

// SendBootstrap writes the Bootstrap, the first thing on the socket.
func (c *Conn) SendBootstrap(b *Bootstrap) error {
	raw, err := b.MarshalBinary()
	if err == nil {
		_, err = c.f.Write(raw)
	}
	if err != nil {
		return fmt.Errorf("send bootstrap: %w", err)
	}
	return nil
}

// Ack lets a C stage go on (AckMaps, AckTimens, AckPid).
func (c *Conn) Ack(b byte) error {
	_, err := c.f.Write([]byte{b})
	return err
}

// Reply answers a request: ok, or err's text. err itself is returned (the
// host's text is the root cause; the init only repeats it).
func (c *Conn) Reply(err error) error {
	reply := Msg{Type: OK}
	if err != nil {
		reply = ErrorMsg(err)
	}
	if e := c.Send(reply); e != nil && err == nil {
		return e
	}
	return err
}

// Request sends m and waits for the answer: nil for ok, the host's error
// text otherwise. what names the step in a transport error and in an
// answer that is neither.
func (c *Conn) Request(m Msg, what string) error {
	if err := c.Send(m); err != nil {
		return err
	}
	var reply Msg
	if err := c.dec.Decode(&reply); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	switch reply.Type {
	case OK:
		return nil
	case Error:
		return reply.Err()
	}
	return fmt.Errorf("%s: sync protocol: answer %q is neither %q nor %q", what, reply.Type, OK, Error)
}

// SendConfig writes the Go init's configuration (any JSON value).
func (c *Conn) SendConfig(v any) error {
	if err := c.enc.Encode(v); err != nil {
		return fmt.Errorf("send init config: %w", err)
	}
	return nil
}

// RecvConfig reads what SendConfig wrote into v.
func (c *Conn) RecvConfig(v any) error {
	if err := c.dec.Decode(v); err != nil {
		return fmt.Errorf("read init config: %w", err)
	}
	return nil
}

// SendFDs writes m with fds attached; m.Count is set to len(fds).
func (c *Conn) SendFDs(m Msg, fds []int) error {
	m.Count = len(fds)
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	// one JSON line, read by the peer in one recvmsg
	n, err := fdpass.Send(c.f, b, fds...)
	if err == nil && n != len(b) {
		err = io.ErrShortWrite
	}
	return err
}

// RecvFDs reads a message sent by SendFDs, with at most max fds. It reads
// past the JSON decoder, so the peer must have sent nothing else since the
// last message read. An error message returns its error; a count that is
// not the number of fds received is refused. On error no fd stays open.
func (c *Conn) RecvFDs(max int) (Msg, []int, error) {
	var m Msg
	if rest, _ := io.ReadAll(c.dec.Buffered()); len(strings.TrimSpace(string(rest))) > 0 {
		return m, nil, errors.New("sync protocol: data before a message with fds")
	}
	buf := make([]byte, 4096)
	n, fds, err := fdpass.Recv(c.f, buf, max)
	if err != nil {
		return m, nil, err
	}
	if err := json.Unmarshal(buf[:n], &m); err != nil {
		fdpass.Close(fds)
		return m, nil, fmt.Errorf("sync protocol: %w", err)
	}
	if m.Type == Error {
		fdpass.Close(fds)
		return m, nil, m.Err()
	}
	if m.Count != len(fds) {
		fdpass.Close(fds)
		return m, nil, fmt.Errorf("want %d fds, got %d", m.Count, len(fds))
	}
	return m, fds, nil
}
