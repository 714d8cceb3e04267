package seccomp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// These tests really load filters: each runs the test binary as a child
// (childMain) that calls Load and then makes syscalls, and checks what the
// kernel did. They need no root: the child sets no_new_privs.

type outcome struct {
	pid      int
	loaded   bool
	fd       int
	results  map[string]int // "nr" (or "@nr") -> errno, for calls that returned
	stdout   string
	stderr   string
	exitCode int
	signal   syscall.Signal
}

// callSpec is a raw syscall for the child; comparable, to key maps.
type callSpec struct {
	early bool
	nr    int
	nargs int
	args  [6]uint64
}

func sc(nr int, args ...uint64) callSpec {
	c := callSpec{nr: nr, nargs: len(args)}
	copy(c.args[:], args)
	return c
}

func scEarly(nr int, args ...uint64) callSpec {
	c := sc(nr, args...)
	c.early = true
	return c
}

func (c callSpec) String() string {
	s := strconv.Itoa(c.nr)
	for _, a := range c.args[:c.nargs] {
		s += "," + strconv.FormatUint(a, 10)
	}
	if c.early {
		s = "@" + s
	}
	return s
}

func runChild(t *testing.T, p *Program, calls []callSpec, argv []string, env ...string) outcome {
	t.Helper()
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "program.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var list []string
	for _, c := range calls {
		list = append(list, c.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+path, envCalls+"="+strings.Join(list, ";"),
		envExec+"="+strings.Join(argv, "\x1f"))
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	o := outcome{pid: cmd.Process.Pid, stdout: stdout.String(), stderr: stderr.String(), results: map[string]int{}}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run child: %v", err)
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	o.exitCode = ws.ExitStatus()
	if ws.Signaled() {
		o.signal = ws.Signal()
	}
	lines := strings.Split(o.stdout, "\n")
	for i, line := range lines {
		if n, ok := strings.CutPrefix(line, "loaded "); ok {
			o.loaded = true
			o.fd, _ = strconv.Atoi(n)
			for j, c := range calls {
				if i+1+j >= len(lines) {
					break
				}
				f := strings.Fields(lines[i+1+j])
				if len(f) == 2 {
					e, _ := strconv.Atoi(f[1])
					o.results[c.String()] = e
				}
			}
		}
	}
	if !o.loaded {
		t.Fatalf("child did not load the filter: exit %d signal %v\nstdout: %s\nstderr: %s", o.exitCode, o.signal, o.stdout, o.stderr)
	}
	return o
}

// expect checks errnos of calls that must have returned.
func (o outcome) expect(t *testing.T, want map[callSpec]unix.Errno) {
	t.Helper()
	for c, e := range want {
		got, ok := o.results[c.String()]
		if !ok {
			t.Errorf("call %s did not return (exit %d signal %v)\nstderr: %s", c, o.exitCode, o.signal, o.stderr)
			continue
		}
		if unix.Errno(got) != e {
			t.Errorf("call %s: errno %d (%v), want %d (%v)", c, got, unix.Errno(got), int(e), e)
		}
	}
	if o.exitCode != 0 || o.signal != 0 {
		t.Errorf("child exit %d signal %v\nstderr: %s", o.exitCode, o.signal, o.stderr)
	}
}

// goRuntime is what a Go child needs after Load (also under -race). rseq
// is needed because glibc aborts a new thread ("rseq registration
// failed") when the main thread registered rseq before the filter; writev
// carries glibc's fatal messages. The highest of them is rseq (334).
var goRuntime = []string{"rseq", "writev",
	"read", "write", "close", "mmap", "mprotect", "munmap", "brk", "rt_sigaction",
	"rt_sigprocmask", "rt_sigreturn", "sched_yield", "madvise", "mincore", "nanosleep",
	"getpid", "gettid", "tgkill", "clone", "exit", "exit_group", "futex", "sched_getaffinity",
	"epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_wait", "openat", "fcntl", "fstat",
	"newfstatat", "sigaltstack", "clock_gettime", "clock_nanosleep", "prlimit64", "getrlimit",
	"pipe2", "execve", "set_robust_list", "set_tid_address", "arch_prctl", "getrandom",
}

var (
	nullPath = uint64(0) // a NULL pointer: allowed path syscalls fail with EFAULT, harmlessly
	efault   = unix.EFAULT
)

func TestLoadActions(t *testing.T) {
	mkdir := sc(unix.SYS_MKDIR, nullPath)
	rmdir := sc(unix.SYS_RMDIR, nullPath)
	one := func(def specs.LinuxSeccompAction, act specs.LinuxSeccompAction, errnoRet *uint) *Program {
		return mustCompile(t, &specs.LinuxSeccomp{DefaultAction: def,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: act, ErrnoRet: errnoRet}}})
	}
	t.Run("errno with errnoRet", func(t *testing.T) {
		runChild(t, one(specs.ActAllow, specs.ActErrno, uptr(42)), []callSpec{mkdir, rmdir}, nil).
			expect(t, map[callSpec]unix.Errno{mkdir: 42, rmdir: efault})
	})
	t.Run("errno defaults to EPERM", func(t *testing.T) {
		runChild(t, one(specs.ActAllow, specs.ActErrno, nil), []callSpec{mkdir}, nil).
			expect(t, map[callSpec]unix.Errno{mkdir: unix.EPERM})
	})
	t.Run("trace without tracer is ENOSYS", func(t *testing.T) {
		runChild(t, one(specs.ActAllow, specs.ActTrace, uptr(5)), []callSpec{mkdir}, nil).
			expect(t, map[callSpec]unix.Errno{mkdir: unix.ENOSYS})
	})
	t.Run("allow under deny-by-default", func(t *testing.T) {
		p := mustCompile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: uptr(uint(unix.EACCES)),
			Syscalls: []specs.LinuxSyscall{{Names: append([]string{"mkdir"}, goRuntime...), Action: specs.ActAllow}}})
		runChild(t, p, []callSpec{mkdir, rmdir}, nil).
			expect(t, map[callSpec]unix.Errno{mkdir: efault, rmdir: unix.EACCES})
	})
	t.Run("log", func(t *testing.T) {
		p := one(specs.ActAllow, specs.ActLog, nil)
		// The kernel also writes an audit record (type=1326, code of
		// SECCOMP_RET_LOG); without auditd it lands in the kernel log.
		expectAudit(t, "0x7ffc0000", func() outcome {
			o := runChild(t, p, []callSpec{mkdir}, nil)
			o.expect(t, map[callSpec]unix.Errno{mkdir: efault})
			return o
		})
	})
	t.Run("kill process", func(t *testing.T) {
		o := runChild(t, one(specs.ActAllow, specs.ActKillProcess, nil), []callSpec{sc(unix.SYS_GETPID), mkdir, rmdir}, nil)
		if o.signal != unix.SIGSYS {
			t.Errorf("child not killed by SIGSYS: exit %d signal %v", o.exitCode, o.signal)
		}
		if _, ok := o.results[sc(unix.SYS_GETPID).String()]; !ok {
			t.Errorf("getpid before mkdir did not return")
		}
		if _, ok := o.results[rmdir.String()]; ok {
			t.Errorf("rmdir after the killing mkdir ran")
		}
	})
	t.Run("trap", func(t *testing.T) {
		// SIGSYS is delivered to the process's handler: the Go runtime's
		// handler reports it and exits 2, unlike a kill.
		o := runChild(t, one(specs.ActAllow, specs.ActTrap, nil), []callSpec{mkdir}, nil)
		if o.signal != 0 || o.exitCode != 2 || !strings.Contains(o.stderr, "SIGSYS") {
			t.Errorf("want the Go runtime's SIGSYS report and exit 2, got exit %d signal %v\nstderr: %.300s", o.exitCode, o.signal, o.stderr)
		}
	})
	for _, act := range []specs.LinuxSeccompAction{specs.ActKillThread, specs.ActKill} {
		t.Run(strings.ToLower(string(act)), func(t *testing.T) {
			// A single-threaded program whose only thread is killed dies
			// by SIGSYS; a Go child would only lose one of its threads.
			dir := filepath.Join(t.TempDir(), "made")
			p := mustCompile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
				Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: act}}})
			o := runChild(t, p, nil, []string{"/bin/busybox", "mkdir", dir})
			if o.signal != unix.SIGSYS {
				t.Errorf("busybox mkdir not killed by SIGSYS: exit %d signal %v\nstderr: %s", o.exitCode, o.signal, o.stderr)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("%s was created", dir)
			}
		})
	}
	t.Run("notify returns a listener fd", func(t *testing.T) {
		p := mustCompile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/unused",
			Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}}})
		o := runChild(t, p, []callSpec{rmdir}, nil)
		o.expect(t, map[callSpec]unix.Errno{rmdir: efault})
		if o.fd < 3 {
			t.Errorf("listener fd %d", o.fd)
		}
	})
}

// expectAudit runs a child that makes mkdir and checks the kernel log for
// its seccomp audit record with the given code. kauditd prints at most 10
// records per 5 seconds, so a missing record is retried once after the
// rate-limit window before it counts as a failure.
func expectAudit(t *testing.T, code string, run func() outcome) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		o := run()
		found, checkable := kernelLogHas(fmt.Sprintf("pid=%d ", o.pid), fmt.Sprintf("syscall=%d ", unix.SYS_MKDIR), "code="+code)
		switch {
		case found:
			return
		case !checkable:
			t.Log("kernel log not checkable here (not root, auditd running or log not in actions_logged)")
			return
		case attempt == 0:
			time.Sleep(5500 * time.Millisecond)
		default:
			t.Errorf("no seccomp audit record with code=%s for pid %d in the kernel log", code, o.pid)
			return
		}
	}
}

// kernelLogHas reports whether one kernel log line contains all parts,
// and whether the kernel log can be expected to hold seccomp records.
func kernelLogHas(parts ...string) (found, checkable bool) {
	logged, _ := os.ReadFile("/proc/sys/kernel/seccomp/actions_logged")
	checkable = os.Geteuid() == 0 && strings.Contains(string(logged), "log") && !processRunning("auditd")
	buf := make([]byte, 1<<20)
	for range 20 { // the record reaches the ring buffer asynchronously (kauditd)
		n, err := unix.Klogctl(unix.SYSLOG_ACTION_READ_ALL, buf)
		if err != nil {
			return false, false
		}
		for _, line := range strings.Split(string(buf[:n]), "\n") {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				return true, checkable
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false, checkable
}

func processRunning(comm string) bool {
	dirs, _ := filepath.Glob("/proc/[0-9]*/comm")
	for _, d := range dirs {
		if b, err := os.ReadFile(d); err == nil && strings.TrimSpace(string(b)) == comm {
			return true
		}
	}
	return false
}

func TestLoadArgumentConditions(t *testing.T) {
	p := mustCompile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: uptr(13),
			Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpNotEqual, Value: 0xffffffff}}},
		// one argument tested twice: ORed
		{Names: []string{"close"}, Action: specs.ActErrno, ErrnoRet: uptr(42),
			Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo, Value: 1000}, {Index: 0, Op: specs.OpEqualTo, Value: 1002}}},
		// two arguments: ANDed, with a masked compare
		{Names: []string{"write"}, Action: specs.ActErrno, ErrnoRet: uptr(43),
			Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpMaskedEqual, Value: 0xff00, ValueTwo: 0x1100}, {Index: 2, Op: specs.OpEqualTo, Value: 7}}},
		{Names: []string{"dup"}, Action: specs.ActErrno, ErrnoRet: uptr(44),
			Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpGreaterEqual, Value: 2000}}},
	}})
	want := map[callSpec]unix.Errno{
		sc(unix.SYS_PERSONALITY, 0xffffffff): 0, // query only
		sc(unix.SYS_PERSONALITY, 8):          13,
		sc(unix.SYS_CLOSE, 1000):             42,
		sc(unix.SYS_CLOSE, 1002):             42,
		sc(unix.SYS_CLOSE, 1001):             unix.EBADF,
		sc(unix.SYS_WRITE, 0x1105, 0, 7):     43,
		sc(unix.SYS_WRITE, 0x1105, 0, 8):     unix.EBADF,
		sc(unix.SYS_WRITE, 0x1205, 0, 7):     unix.EBADF,
		sc(unix.SYS_DUP, 1999):               unix.EBADF,
		sc(unix.SYS_DUP, 2000):               44,
	}
	var calls []callSpec
	for c := range want {
		calls = append(calls, c)
	}
	runChild(t, p, calls, nil).expect(t, want)
}

func TestLoadTsync(t *testing.T) {
	p := mustCompile(t, &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
		Flags:    []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC"},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: uptr(42)}}})
	here, early := sc(unix.SYS_MKDIR, nullPath), scEarly(unix.SYS_MKDIR, nullPath)
	t.Run("tsync filters threads that existed before Load", func(t *testing.T) {
		runChild(t, p, []callSpec{here, early}, nil).expect(t, map[callSpec]unix.Errno{here: 42, early: 42})
	})
	t.Run("control: without tsync only the calling thread", func(t *testing.T) {
		q := *p
		q.Flags &^= unix.SECCOMP_FILTER_FLAG_TSYNC
		runChild(t, &q, []callSpec{here, early}, nil).expect(t, map[callSpec]unix.Errno{here: 42, early: efault})
	})
}

func TestLoadFlags(t *testing.T) {
	for _, f := range []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow, specs.LinuxSeccompFlagWaitKillableRecv} {
		t.Run(string(f), func(t *testing.T) {
			s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{f},
				Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: uptr(42)}}}
			if f == specs.LinuxSeccompFlagWaitKillableRecv {
				s.ListenerPath = "/unused"
				s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: []string{"mknod"}, Action: specs.ActNotify})
			}
			mkdir, p := sc(unix.SYS_MKDIR, nullPath), mustCompile(t, s)
			run := func() outcome {
				o := runChild(t, p, []callSpec{mkdir}, nil)
				o.expect(t, map[callSpec]unix.Errno{mkdir: 42})
				return o
			}
			if f != specs.LinuxSeccompFlagLog {
				run()
				return
			}
			// SECCOMP_FILTER_FLAG_LOG: the ERRNO action is logged too.
			expectAudit(t, "0x50000", run)
		})
	}
}

func TestLoadEnosysFallback(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
		{Names: goRuntime, Action: specs.ActAllow},
		// pidfd_open (434) has the default action: its rule is dropped,
		// but the name still sets the ENOSYS limit.
		{Names: []string{"pidfd_open"}, Action: specs.ActErrno},
	}}
	p := mustCompile(t, s)
	getpid, mkdir := sc(unix.SYS_GETPID), sc(unix.SYS_MKDIR, nullPath)
	statx, pidfd := sc(unix.SYS_STATX, 0, 0, 0, 0, 0), sc(unix.SYS_PIDFD_OPEN, 0, 0)
	clone3, openat2 := sc(nrClone3, 0, 0), sc(unix.SYS_OPENAT2, 0, 0, 0, 0)
	faccessat2 := sc(unix.SYS_FACCESSAT2, 0, 0, 0, 0)
	calls := []callSpec{getpid, mkdir, statx, pidfd, clone3, openat2, faccessat2}
	t.Run("newer syscalls return ENOSYS", func(t *testing.T) {
		runChild(t, p, calls, nil).expect(t, map[callSpec]unix.Errno{
			getpid: 0, mkdir: unix.EPERM, statx: unix.EPERM, pidfd: unix.EPERM,
			clone3: unix.ENOSYS, openat2: unix.ENOSYS, faccessat2: unix.ENOSYS,
		})
	})
	t.Run("control: without the stub they get the default action", func(t *testing.T) {
		// This is the failure the stub prevents: glibc's pthread_create
		// (used by the cgo runtime for new threads) tries clone3 and only
		// falls back to clone on ENOSYS, so an EPERM clone3 aborts the
		// child at random. The control therefore answers clone3 with
		// ENOSYS explicitly, as Docker's profile does, and shows the
		// other new syscalls getting EPERM.
		c := *s
		c.Syscalls = append(c.Syscalls, specs.LinuxSyscall{Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: uptr(uint(unix.ENOSYS))})
		arches, _ := architectures(nil)
		n := len(enosysStub(&c, arches, lastSyscalls(c.Syscalls, arches)))
		if n == 0 {
			t.Fatal("no stub generated")
		}
		q := *mustCompile(t, &c)
		q.Instructions = q.Instructions[n:]
		runChild(t, &q, calls, nil).expect(t, map[callSpec]unix.Errno{
			getpid: 0, mkdir: unix.EPERM, statx: unix.EPERM, pidfd: unix.EPERM,
			clone3: unix.ENOSYS, openat2: unix.EPERM, faccessat2: unix.EPERM,
		})
	})
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *Program
		want string
	}{
		{"empty", &Program{Flags: unix.SECCOMP_FILTER_FLAG_TSYNC}, "load seccomp filter: empty program"},
		{"too long", &Program{Instructions: make([]Instruction, maxInstructions+1)}, "load seccomp filter: program has 4097 instructions, the kernel allows 4096"},
		{"notify without listener flag", &Program{Instructions: []Instruction{{Code: unix.BPF_RET | unix.BPF_K, K: retAllow}}, Notify: true},
			"load seccomp filter: notify true does not match flags 0x0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fd, err := Load(tc.p)
			if err == nil || err.Error() != tc.want || fd != -1 {
				t.Errorf("Load = %d, %v; want -1, %q", fd, err, tc.want)
			}
		})
	}
	if fd, err := Load(nil); fd != -1 || err != nil {
		t.Errorf("Load(nil) = %d, %v", fd, err)
	}
}

// TestLoadInvalidBPF checks that a kernel refusal is reported, in a child
// because a successful load would be permanent.
func TestLoadInvalidBPF(t *testing.T) {
	p := &Program{Flags: unix.SECCOMP_FILTER_FLAG_TSYNC, Instructions: []Instruction{
		{Code: unix.BPF_JMP | unix.BPF_JA, K: 5}, // jumps past the end
		{Code: unix.BPF_RET | unix.BPF_K, K: retAllow},
	}}
	data, _ := json.Marshal(p)
	path := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(path, data, 0o600)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+path)
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 4 || !strings.Contains(string(out), "load seccomp filter: invalid argument") {
		t.Errorf("want exit 4 with EINVAL, got %v: %s", err, out)
	}
}

func loadProfile(t testing.TB, name string) *specs.LinuxSeccomp {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.LinuxSeccomp
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func TestDefaultProfileBusybox(t *testing.T) {
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("no /bin/busybox")
	}
	p := mustCompile(t, loadProfile(t, "default.json"))
	t.Logf("default profile: %d instructions, flags %#x", len(p.Instructions), p.Flags)
	clone3, listmount := sc(nrClone3, 0, 0), sc(458, 0, 0, 0, 0) // listmount is newer than the profile
	vsock, inet := sc(unix.SYS_SOCKET, unix.AF_VSOCK, unix.SOCK_STREAM, 0), sc(unix.SYS_SOCKET, 12345, 0, 0)
	pers := sc(unix.SYS_PERSONALITY, 0x0400000) // ADDR_NO_RANDOMIZE alone: not in the allowed list
	script := `ls / >/dev/null && echo ok; busybox unshare -m true 2>/dev/null || echo unshare-denied; ` +
		`busybox mount -t tmpfs none /mnt 2>/dev/null || echo mount-denied; cat /proc/self/status | grep ^Seccomp:`
	o := runChild(t, p, []callSpec{clone3, listmount, vsock, inet, pers}, []string{"/bin/busybox", "sh", "-c", script})
	o.expect(t, map[callSpec]unix.Errno{
		clone3: unix.ENOSYS, listmount: unix.ENOSYS, vsock: unix.EPERM, inet: unix.EAFNOSUPPORT, pers: unix.EPERM,
	})
	for _, want := range []string{"\nok\n", "unshare-denied", "mount-denied", "Seccomp:\t2"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("busybox output lacks %q:\n%s\nstderr: %s", want, o.stdout, o.stderr)
		}
	}
}
