package nsenter

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer/syncproto"
)

// The exec applier (apply.c) run directly: the test binary carries the
// constructor, so started with _HAKO_SYNCFD it is the nsenter stage, and
// this test plays the host's side of the sync protocol. Each stage runs
// in a scratch mount namespace of its own (clone CLONE_NEWNS) or joins
// one the test made.

// hostMsg is one JSON line of the stage: the host reads the same type.
type hostMsg = syncproto.Msg

type applied struct {
	out  string    // the process's stdout and stderr
	msgs []hostMsg // every message of the stage, in order
	err  *hostMsg  // the error reported, if any
	// listener is what the fd of a "seccomp" message is, taken from the
	// stage with pidfd_getfd as the host does (a /proc/self/fd link).
	listener string
	state    *os.ProcessState
}

// applyPlan starts the stage with the bootstrap directives (without the
// plan line, which it adds) and the plan, answers its requests as the host
// does, and waits for the process. extra are the preserved fds 3.. .
func applyPlan(t *testing.T, directives string, plan *ExecPlan, extra ...*os.File) *applied {
	t.Helper()
	raw, err := plan.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return applyRaw(t, directives, raw, extra...)
}

func applyRaw(t *testing.T, directives string, raw []byte, extra ...*os.File) *applied {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("the applier changes ids and namespaces: needs root")
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	parent, child := os.NewFile(uintptr(fds[0]), "parent"), os.NewFile(uintptr(fds[1]), "child")
	defer parent.Close()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := &exec.Cmd{
		Path:       self,
		Args:       []string{"hako", "init"},
		Env:        []string{"_HAKO_SYNCFD=" + strconv.Itoa(3+len(extra))},
		ExtraFiles: append(append([]*os.File(nil), extra...), child),
		Stdout:     &out,
		Stderr:     &out,
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	boot := fmt.Sprintf("%splan %d\n\n", directives, len(raw))
	if _, err := parent.Write(append([]byte(boot), raw...)); err != nil {
		t.Fatal(err)
	}
	res := &applied{}
	dec := json.NewDecoder(parent)
	ok := []byte("{\"type\":\"ok\"}\n")
loop:
	for {
		var m hostMsg
		if err := dec.Decode(&m); err != nil {
			break // the stage exited
		}
		res.msgs = append(res.msgs, m)
		switch m.Type {
		case syncproto.Pid:
			parent.Write([]byte{syncproto.AckPid})
		case syncproto.Seccomp:
			res.listener = takeFD(t, res.msgs[0].Pid, m.FD)
			parent.Write(ok)
		case syncproto.Limits:
			parent.Write(ok)
		case "error":
			res.err = &m
			break loop
		case "ready":
			break loop
		}
	}
	cmd.Wait()
	res.out, res.state = out.String(), cmd.ProcessState
	return res
}

const scratchNS = "clone 131072\n" // CLONE_NEWNS

func sh(script string) *ExecPlan {
	return &ExecPlan{Args: []string{"/bin/sh", "-c", script}, Env: []string{"PATH=/usr/bin:/bin"}, Cwd: "/"}
}

func (r *applied) must(t *testing.T) string {
	t.Helper()
	if r.err != nil {
		t.Fatalf("stage failed: %+v (output %q)", *r.err, r.out)
	}
	if !r.state.Success() {
		t.Fatalf("process: %v, output %q", r.state, r.out)
	}
	return r.out
}

func statusField(out, name string) string {
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func TestApplyCredentials(t *testing.T) {
	const netBind = 1 << 10 // CAP_NET_BIND_SERVICE
	umask := uint32(0o027)
	p := sh(`id -u; id -g; id -G; umask; pwd; echo "HOME=$HOME"; cat /proc/self/status`)
	p.UID, p.GID, p.Groups = 1234, 2345, []uint32{5, 6}
	p.Cwd = "/tmp"
	p.Env = append(p.Env, "HOME=/set")
	// ambient (and so inheritable) too: a non-root uid keeps no other
	// capability across its execve
	p.Caps = &[5]uint64{netBind, netBind, netBind, netBind, netBind}
	p.NoNewPrivileges = true
	p.Umask = &umask
	r := applyPlan(t, scratchNS, p)
	out := r.must(t)
	lines := strings.Split(out, "\n")
	if want := []string{"1234", "2345", "2345 5 6", "0027", "/tmp", "HOME=/set"}; strings.Join(lines[:6], "|") != strings.Join(want, "|") {
		t.Errorf("ids, groups, umask, cwd, env: %q, want %q", lines[:6], want)
	}
	for f, want := range map[string]string{
		"CapEff": "0000000000000400", "CapPrm": "0000000000000400", "CapBnd": "0000000000000400",
		"CapInh": "0000000000000400", "CapAmb": "0000000000000400", "NoNewPrivs": "1",
	} {
		if got := statusField(out, f); got != want {
			t.Errorf("%s %s, want %s", f, got, want)
		}
	}
	// the process is the stage itself (no fork without a pid namespace)
	if len(r.msgs) == 0 || r.msgs[0].Type != "pid" || r.msgs[0].Pid != r.state.Pid() {
		t.Errorf("first message %+v, want the pid %d", r.msgs, r.state.Pid())
	}
}

func TestApplyKeepsCapsWithoutCapabilities(t *testing.T) {
	out := applyPlan(t, scratchNS, sh(`cat /proc/self/status`)).must(t)
	if got := statusField(out, "CapBnd"); strings.Trim(got, "0") == "" || statusField(out, "NoNewPrivs") != "0" {
		t.Errorf("without capabilities the runtime's stay: CapBnd %s, NoNewPrivs %s", got, statusField(out, "NoNewPrivs"))
	}
}

func TestApplyAmbientWarning(t *testing.T) {
	const kill = 1 << 5 // CAP_KILL: ambient, but not inheritable
	p := sh(`true`)
	p.Caps = &[5]uint64{kill, kill, kill, 0, kill}
	r := applyPlan(t, scratchNS, p)
	r.must(t)
	for _, m := range r.msgs {
		if m.Type == syncproto.Ambient && m.Cap == 5 && m.Errno == int(syscall.EPERM) {
			return
		}
	}
	t.Errorf("no ambient warning for CAP_KILL: %+v", r.msgs)
}

func TestApplyErrors(t *testing.T) {
	dir := t.TempDir()
	// searchable by the uid of the last case
	os.Chmod(filepath.Dir(dir), 0o755)
	os.Chmod(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, "prog"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(p *ExecPlan)
		msg   string
		errno syscall.Errno
	}{
		{"missing cwd", func(p *ExecPlan) { p.Cwd = "/nonexistent-hako" }, "process.cwd /nonexistent-hako", syscall.ENOENT},
		{"not in PATH", func(p *ExecPlan) { p.Args = []string{"nonexistent-hako"} }, `exec: "nonexistent-hako": executable file not found in $PATH`, 0},
		{"empty", func(p *ExecPlan) { p.Args = []string{""} }, `exec: "": executable file not found in $PATH`, 0},
		{"missing path", func(p *ExecPlan) { p.Args = []string{"/no/such"} }, `exec: "/no/such": stat /no/such`, syscall.ENOENT},
		{"directory", func(p *ExecPlan) { p.Args = []string{"/tmp"} }, `exec: "/tmp"`, syscall.EISDIR},
		{"relative PATH entry", func(p *ExecPlan) {
			p.Args, p.Cwd, p.Env = []string{"prog"}, dir, []string{"PATH=."}
		}, `exec: "prog": cannot run executable found relative to current directory`, 0},
		{"not executable for the user", func(p *ExecPlan) {
			os.Chmod(filepath.Join(dir, "prog"), 0o744)
			p.Args, p.UID = []string{filepath.Join(dir, "prog")}, 1234
			p.Caps = &[5]uint64{}
		}, `exec: "` + filepath.Join(dir, "prog") + `"`, syscall.EACCES},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := sh("true")
			tc.edit(p)
			r := applyPlan(t, scratchNS, p)
			if r.err == nil {
				t.Fatalf("no error; output %q", r.out)
			}
			if r.err.Msg != tc.msg || syscall.Errno(r.err.Errno) != tc.errno {
				t.Errorf("error %q errno %d, want %q errno %d", r.err.Msg, r.err.Errno, tc.msg, tc.errno)
			}
			if r.state.ExitCode() != 1 {
				t.Errorf("stage exit %v, want 1", r.state)
			}
		})
	}
}

func TestApplyBadPlan(t *testing.T) {
	raw, _ := sh("true").MarshalBinary()
	for name, bad := range map[string][]byte{
		"unknown record":   append(binary.NativeEndian.AppendUint32(binary.NativeEndian.AppendUint32(nil, 999), 0), raw...),
		"truncated record": raw[:len(raw)-3],
	} {
		r := applyRaw(t, scratchNS, bad)
		if r.err == nil || !strings.HasPrefix(r.err.Msg, "exec plan: ") || r.err.Errno != int(syscall.EINVAL) {
			t.Errorf("%s: error %+v, want an exec plan error", name, r.err)
		}
	}
}

// seccompDenyMkdir is a filter that fails mkdir and mkdirat with EPERM
// and allows the rest (x86-64 numbers; no architecture check: a test).
func seccompDenyMkdir(t *testing.T) *SeccompFilter {
	if unix.SYS_MKDIRAT != 258 {
		t.Skip("the test filter has x86-64 syscall numbers")
	}
	ins := func(code uint16, jt, jf uint8, k uint32) []byte {
		b := binary.NativeEndian.AppendUint16(nil, code)
		b = append(b, jt, jf)
		return binary.NativeEndian.AppendUint32(b, k)
	}
	const ldW, jeq, ret = 0x20, 0x15, 0x06
	var f []byte
	f = append(f, ins(ldW, 0, 0, 0)...) // seccomp_data.nr
	f = append(f, ins(jeq, 2, 0, unix.SYS_MKDIR)...)
	f = append(f, ins(jeq, 1, 0, unix.SYS_MKDIRAT)...)
	f = append(f, ins(ret, 0, 0, unix.SECCOMP_RET_ALLOW)...)
	f = append(f, ins(ret, 0, 0, unix.SECCOMP_RET_ERRNO|uint32(unix.EPERM))...)
	return &SeccompFilter{Filter: f}
}

func TestApplySeccomp(t *testing.T) {
	for _, nnp := range []bool{false, true} {
		p := sh(`mkdir /tmp/hako-seccomp-$$ 2>&1; echo rc=$?; grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status`)
		p.Seccomp, p.NoNewPrivileges = seccompDenyMkdir(t), nnp
		p.UID = 1234 // without no_new_privs the filter goes in while root
		out := applyPlan(t, scratchNS, p).must(t)
		if !strings.Contains(out, "Operation not permitted") || !strings.Contains(out, "rc=1") || statusField(out, "Seccomp") != "2" {
			t.Errorf("no_new_privs %v: mkdir not refused by the filter: %q", nnp, out)
		}
	}
}

// takeFD names what fd is in process pid, via pidfd_getfd.
func takeFD(t *testing.T, pid, fd int) string {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Errorf("pidfd_open %d: %v", pid, err)
		return ""
	}
	defer unix.Close(pidfd)
	own, err := unix.PidfdGetfd(pidfd, fd, 0)
	if err != nil {
		t.Errorf("pidfd_getfd %d of %d: %v", fd, pid, err)
		return ""
	}
	defer unix.Close(own)
	link, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", own))
	return link
}

// A notify filter's listener is announced by its fd number in the
// process, which the host takes over before the process goes on.
func TestApplySeccompListener(t *testing.T) {
	p := sh(`echo ran`)
	p.Seccomp = seccompDenyMkdir(t)
	p.Seccomp.Flags, p.Seccomp.Notify = unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, true
	r := applyPlan(t, scratchNS, p)
	if out := r.must(t); out != "ran\n" {
		t.Errorf("output %q", out)
	}
	if r.listener != "anon_inode:seccomp notify" {
		t.Errorf("the seccomp message's fd is %q in the process, want the listener", r.listener)
	}
}

func TestApplyFDs(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	// fd 3 is preserved, the sync socket (fd 4) and all else is not
	p := sh(`ls -l /proc/self/fd; echo preserved >&3`)
	p.PreserveFDs = 1
	out := applyPlan(t, scratchNS, p, w).must(t)
	w.Close()
	if strings.Contains(out, "socket:") || !strings.Contains(out, " 3 -> pipe:") {
		t.Errorf("fds of the process (the sync socket leaked, or fd 3 not kept):\n%s", out)
	}
	buf := make([]byte, 64)
	n, _ := r.Read(buf)
	if string(buf[:n]) != "preserved\n" {
		t.Errorf("preserved fd: %q", buf[:n])
	}
}

// TestApplyJoinedHome joins a mount namespace the test made, where
// /etc/passwd is the test's, and checks HOME comes from it.
func TestApplyJoinedHome(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root")
	}
	dir := t.TempDir()
	passwd := filepath.Join(dir, "passwd")
	os.WriteFile(passwd, []byte("# comment\nroot:x:0:0::/root:/bin/sh\nu:x:4242:4242::/home/u42:/bin/sh\n"), 0o644)
	ready := filepath.Join(dir, "ready")
	holder := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c",
		`mount --bind "$1" /etc/passwd && touch "$2" && exec sleep 60`, "sh", passwd, ready)
	if err := holder.Start(); err != nil {
		t.Skip("unshare:", err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	for i := 0; i < 500; i++ {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		unix.Nanosleep(&unix.Timespec{Nsec: 10e6}, nil)
	}
	join := fmt.Sprintf("clone 0\njoin 131072 /proc/%d/ns/mnt\n", holder.Process.Pid)
	for uid, want := range map[uint32]string{4242: "/home/u42", 77: "/"} {
		p := sh(`echo "$HOME"`)
		p.NeedHome, p.UID = true, uid
		if got := strings.TrimSpace(applyPlan(t, join, p).must(t)); got != want {
			t.Errorf("uid %d: HOME %q, want %q", uid, got, want)
		}
	}
}

func TestApplyConsole(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	recv, send := os.NewFile(uintptr(fds[0]), "recv"), os.NewFile(uintptr(fds[1]), "send")
	defer recv.Close()
	p := sh(`stty size; tty; echo done`)
	// the console socket is fd 3 here, the sync socket fd 4
	p.PreserveFDs = 0
	p.Console = &Console{SocketFD: 3, HasSize: true, Rows: 33, Cols: 77, Relay: true}
	res := applyPlan(t, scratchNS, p, send)
	send.Close()
	if res.err != nil {
		t.Fatalf("stage failed: %+v", *res.err)
	}
	buf, oob := make([]byte, 64), make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(recv.Fd()), buf, oob, 0)
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
	if len(msgs) != 1 {
		t.Fatalf("no fd with the pty name %q", buf[:n])
	}
	mfds, _ := unix.ParseUnixRights(&msgs[0])
	master := os.NewFile(uintptr(mfds[0]), "master")
	defer master.Close()
	var got bytes.Buffer
	b := make([]byte, 256)
	for !strings.Contains(got.String(), "done") {
		k, err := master.Read(b)
		if err != nil {
			break
		}
		got.Write(b[:k])
	}
	name := string(buf[:n])
	// relay: ONLCR off, so plain newlines
	if want := "33 77\n" + name + "\ndone\n"; got.String() != want || !strings.HasPrefix(name, "/dev/pts/") {
		t.Errorf("terminal output %q, want %q", got.String(), want)
	}
}
