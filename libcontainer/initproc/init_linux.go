package initproc

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer/caps"
	"github.com/hako-runtime/hako/libcontainer/hooks"
	"github.com/hako-runtime/hako/libcontainer/lsm"
	"github.com/hako-runtime/hako/libcontainer/rootfs"
	"github.com/hako-runtime/hako/libcontainer/syncproto"
	"github.com/hako-runtime/hako/libcontainer/trace"
	"github.com/hako-runtime/hako/libcontainer/validate"
	"github.com/hako-runtime/hako/nsenter"
	"github.com/hako-runtime/hako/seccomp"
)

// Run is the body of "hako init". It only returns on failure, after the
// error has been reported to the host.
func Run() {
	fd, err := strconv.Atoi(os.Getenv("_HAKO_SYNCFD"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "hako init: not started by hako (no _HAKO_SYNCFD)")
		os.Exit(1)
	}
	os.Unsetenv("_HAKO_SYNCFD")
	conn := syncproto.NewConn(os.NewFile(uintptr(fd), "sync"))
	var cfg Config
	if err := conn.RecvConfig(&cfg); err != nil {
		_ = conn.Send(syncproto.ErrorMsg(err))
		os.Exit(1)
	}
	trace.Mark("config received")
	p, err := setup(&cfg, conn)
	if err != nil {
		_ = conn.Send(syncproto.ErrorMsg(err))
		os.Exit(1)
	}
	trace.Mark("ready")
	if err := conn.Send(syncproto.Msg{Type: syncproto.Ready}); err != nil {
		os.Exit(1)
	}
	conn.Close()
	if cfg.ExeFD >= 0 && p.fifo != nil {
		err = p.execWaiter(cfg.ExeFD)
		fmt.Fprintf(os.Stderr, "hako init: %v\n", err)
		os.Exit(127)
	}
	if err := p.wait(&cfg); err != nil {
		fmt.Fprintf(os.Stderr, "hako init: %v\n", err)
		os.Exit(1)
	}
	err = p.exec()
	fmt.Fprintf(os.Stderr, "hako init: %v\n", err)
	os.Exit(127)
}

// prepared is the process, ready to be exec'd once `start` releases it.
type prepared struct {
	path string
	args []string
	env  []string
	fifo *os.File
	spec *specs.Spec
}

func setup(cfg *Config, conn *syncproto.Conn) (*prepared, error) {
	s := cfg.Spec
	proc := s.Process
	if err := closeExtraFDs(3 + cfg.PreserveFDs); err != nil {
		return nil, err
	}
	forgetNofile(proc)
	// A new session: the container never shares the caller's terminal
	// session, and it can take a pty as controlling terminal.
	if _, err := unix.Setsid(); err != nil {
		return nil, fmt.Errorf("setsid: %w", err)
	}
	var pending *rootfs.Pending
	if !cfg.Exec {
		var err error
		if pending, err = prepareRootfs(cfg, conn); err != nil {
			return nil, err
		}
		trace.Mark("mounts made")
	}
	if !cfg.Exec {
		// The host applies linux.resources now that the mounts (device
		// nodes included) are made and the init's own threads exist, then
		// runs prestart and createRuntime hooks, which may rely on them.
		if err := conn.Request(syncproto.Msg{Type: syncproto.Hooks}, "wait for host hooks"); err != nil {
			return nil, err
		}
	}
	if !cfg.Exec && s.Hooks != nil && len(s.Hooks.CreateContainer) > 0 {
		// runc's: from the rootfs (before pivot_root), with the init's
		// empty environment, the pid as the container sees it.
		o := hooks.Opts{Dir: cfg.Rootfs, Env: []string{}}
		if err := hooks.Run("createContainer", s.Hooks.CreateContainer, hookState(cfg, specs.StateCreating), o); err != nil {
			return nil, err
		}
	}
	if !cfg.Exec {
		var err error
		switch {
		case !cfg.MountNS:
			err = rootfs.Chroot(cfg.Rootfs)
		case cfg.NoPivot:
			err = rootfs.MoveRoot(cfg.Rootfs)
		default:
			err = rootfs.PivotRoot(cfg.Rootfs)
		}
		if err != nil {
			return nil, err
		}
		trace.Mark("root changed")
	}
	if !cfg.Exec {
		// Made as root and before the root goes read-only; after
		// pivot_root every path is inside the container. An exec'd
		// process gets no cwd made for it, as in runc.
		if err := os.MkdirAll(proc.Cwd, 0o755); err != nil {
			return nil, fmt.Errorf("process.cwd %s: %w", proc.Cwd, err)
		}
	}
	if cfg.ConsoleFD >= 0 {
		if err := setupConsole(cfg); err != nil {
			return nil, err
		}
	}
	if !cfg.Exec {
		if err := setupContainer(cfg, pending); err != nil {
			return nil, err
		}
	}
	trace.Mark("container set up")
	if err := applyKernelPolicy(s.Linux); err != nil {
		return nil, err
	}
	env, hasHome, err := validate.Env(proc.Env)
	if err != nil {
		return nil, err
	}
	u, err := resolveUser(proc, !hasHome)
	if err != nil {
		return nil, err
	}
	if !hasHome {
		env = append(env, "HOME="+u.home)
	}
	sets, _ := caps.FromSpec(proc.Capabilities) // the host warned about unknown names
	// The labels take effect at execve. They are written while the init
	// still has its capabilities (a private procfs instance needs
	// CAP_SYS_ADMIN) and before seccomp, which might refuse the write;
	// startContainer hooks, forked later, inherit them, as in runc.
	if err := lsm.SetExec(proc.ApparmorProfile, proc.SelinuxLabel); err != nil {
		return nil, err
	}
	// Without no_new_privs the kernel wants CAP_SYS_ADMIN to install a
	// filter, so it goes in before the capabilities are dropped.
	if !proc.NoNewPrivileges {
		if err := loadSeccomp(cfg, conn); err != nil {
			return nil, err
		}
	}
	// The cwd is entered with the runtime's privileges first (a 0700
	// directory of another user is still entered by a uid 0 process
	// without CAP_DAC_OVERRIDE, as in runc), and only if that is refused,
	// again as the process's user (a directory only that user may enter,
	// on a filesystem that does not let root override).
	cwdLater := false
	if err := unix.Chdir(proc.Cwd); err != nil {
		if !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EPERM) {
			return nil, fmt.Errorf("process.cwd %s: %w", proc.Cwd, err)
		}
		cwdLater = true
	}
	// The workload's own limits come last: the host sets the rlimits
	// (and I/O and CPU scheduling) of this process by pid, with its
	// privileges, once the runtime's own work here is done.
	if err := conn.Request(syncproto.Msg{Type: syncproto.Limits}, "wait for process limits"); err != nil {
		return nil, err
	}
	enterCwd := func() error {
		if cwdLater {
			if err := unix.Chdir(proc.Cwd); err != nil {
				return fmt.Errorf("process.cwd %s: %w", proc.Cwd, err)
			}
		}
		return nil
	}
	warn := func(w string) { _ = conn.Send(syncproto.Msg{Type: syncproto.Warn, Msg: w}) }
	trace.Mark("limits set by host")
	if err := switchUser(proc, u, sets, enterCwd, warn); err != nil {
		return nil, err
	}
	trace.Mark("user and capabilities")
	// A uid change set dumpable to fs.suid_dumpable; the init stays
	// non-dumpable (see nsenter) until its execve, whatever that says.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("set non-dumpable: %w", err)
	}
	if err := checkCwd(); err != nil {
		return nil, err
	}
	// The container's umask, or 0022 for its first process; a process
	// joining a container without one keeps its caller's, as in runc.
	if proc.User.Umask != nil {
		unix.Umask(int(*proc.User.Umask))
	} else if !cfg.Exec {
		unix.Umask(0o022)
	}
	path, err := lookPath(proc.Args[0], env)
	if err != nil {
		return nil, err
	}
	if proc.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return nil, fmt.Errorf("set no_new_privs: %w", err)
		}
		// As late as possible: only the fifo wait and execve follow.
		if err := loadSeccomp(cfg, conn); err != nil {
			return nil, err
		}
	}
	return &prepared{
		path: path, args: proc.Args, env: env, spec: s,
		fifo: fifoFile(cfg.FifoFD),
	}, nil
}

// forgetNofile makes Go's execve leave RLIMIT_NOFILE alone when the spec
// sets it: Go raised the soft limit at start-up and would restore the
// inherited one at execve, undoing what the host sets by pid. Setting the
// current value again changes nothing but that.
func forgetNofile(p *specs.Process) {
	for _, r := range p.Rlimits {
		if r.Type == "RLIMIT_NOFILE" {
			var cur syscall.Rlimit
			if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &cur) == nil {
				_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &cur)
			}
			return
		}
	}
}

// prepareRootfs mounts everything under the rootfs: in the container's
// mount namespace, new or joined (runc prepares and pivots into the rootfs
// in a joined one too), or in the host's when the spec has none.
func prepareRootfs(cfg *Config, conn *syncproto.Conn) (*rootfs.Pending, error) {
	s := cfg.Spec
	var sources map[int]int
	if (cfg.UserNS || rootfs.HasIdmap(s)) && !cfg.Unprivileged {
		var err error
		if sources, err = mountSources(conn, cfg.Mounts); err != nil {
			return nil, err
		}
	}
	defer closeAll(func() (fds []int) {
		for _, fd := range sources {
			fds = append(fds, fd)
		}
		return fds
	}())
	label := lsm.MountLabel(s, cfg.LSM)
	if cfg.MountNS {
		return rootfs.Prepare(s, cfg.Mounts, cfg.Rootfs, cfg.UserNS, label, sources, 0)
	}
	id, pending, err := rootfs.PrepareInHostNS(s, cfg.Mounts, cfg.Rootfs, cfg.UserNS, label, sources)
	if id != 0 {
		// The host removes these mounts when the container goes, also
		// when the rest of the setup fails.
		if eerr := conn.Send(syncproto.Msg{Type: syncproto.HostRoot, MountID: id}); eerr != nil && err == nil {
			err = eerr
		}
	}
	return pending, err
}

// setupContainer is what only the container's first process does: the
// finishing rootfs work, sysctls, hostname and the session keyring.
func setupContainer(cfg *Config, pending *rootfs.Pending) error {
	s := cfg.Spec
	if err := rootfs.SetKernelNames(s); err != nil {
		return err
	}
	if cfg.MountNS {
		if err := rootfs.Finish(s, lsm.MountLabel(s, cfg.LSM), pending); err != nil {
			return err
		}
	} else if err := pending.MakeReadonly(); err != nil {
		return err
	}
	if !cfg.NoNewKeyring {
		return joinKeyring(cfg)
	}
	return nil
}

// joinKeyring gives the container a private session keyring, so it
// cannot read the host's keys; kernels without keys just skip it. Under
// SELinux the keyring carries the process label, as in runc.
func joinKeyring(cfg *Config) error {
	label := cfg.Spec.Process.SelinuxLabel
	if !cfg.LSM.SELinux {
		label = ""
	}
	if label != "" {
		if err := lsm.SetKeyCreate(label); err != nil {
			return err
		}
	}
	if _, err := unix.KeyctlJoinSessionKeyring("_ses." + cfg.ID); err != nil && !errors.Is(err, unix.ENOSYS) {
		return fmt.Errorf("join session keyring: %w", err)
	}
	if label != "" {
		return lsm.SetKeyCreate("")
	}
	return nil
}

func fifoFile(fd int) *os.File {
	if fd < 0 {
		return nil
	}
	return os.NewFile(uintptr(fd), "exec.fifo")
}

// wait blocks until `start` writes to the exec fifo (exec has none). The init opened the
// fifo read-write, so reading blocks (rather than seeing EOF) until then.
func (p *prepared) wait(cfg *Config) error {
	if p.fifo == nil {
		return nil
	}
	buf := make([]byte, 1)
	for {
		n, err := p.fifo.Read(buf)
		if n == 1 {
			break
		}
		if err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("wait for start: %w", err)
		}
	}
	p.fifo.Close()
	if h := p.spec.Hooks; h != nil && len(h.StartContainer) > 0 {
		// As in runc: the process's environment unless the hook has
		// one, and the state still says "created".
		if err := hooks.Run("startContainer", h.StartContainer, hookState(cfg, specs.StateCreated), hooks.Opts{Env: p.env}); err != nil {
			return err
		}
	}
	return nil
}

// execWaiter replaces the Go init by the C stage of the sealed binary
// (exeFD), which waits on the exec fifo and then execs the process: what
// waits between create and start is then a few pages, not a Go runtime.
// Every step is done by now; the execve of the process itself follows the
// same rules whether the waiting stage is Go or C (capabilities, no_new_privs
// and the seccomp filter carry over the intermediate execve unchanged).
// Returns only on failure.
func (p *prepared) execWaiter(exeFD int) error {
	restoreNofile(p.spec.Process)
	fifo := int(p.fifo.Fd())
	if _, err := unix.FcntlInt(uintptr(fifo), unix.F_SETFD, 0); err != nil {
		return fmt.Errorf("exec fifo: %w", err)
	}
	argv := append([]string{"hako-init", strconv.Itoa(fifo), p.path}, p.args...)
	argvp, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		return fmt.Errorf("process.args: %w", err)
	}
	envp, err := syscall.SlicePtrFromStrings(p.env)
	if err != nil {
		return fmt.Errorf("process.env: %w", err)
	}
	empty := []byte{0}
	// execveat, not execve: the sealed binary has no path in the container.
	_, _, errno := syscall.RawSyscall6(unix.SYS_EXECVEAT, uintptr(exeFD), uintptr(unsafe.Pointer(&empty[0])),
		uintptr(unsafe.Pointer(&argvp[0])), uintptr(unsafe.Pointer(&envp[0])), unix.AT_EMPTY_PATH, 0)
	return fmt.Errorf("exec the start waiter: %w", errno)
}

// restoreNofile gives back the RLIMIT_NOFILE the init started with (the Go
// runtime raised its soft limit, and only syscall.Exec would undo that),
// unless process.rlimits sets it: then the host has set it by pid.
func restoreNofile(p *specs.Process) {
	for _, r := range p.Rlimits {
		if r.Type == "RLIMIT_NOFILE" {
			return
		}
	}
	if cur, max, ok := nsenter.NofileAtStart(); ok {
		_ = unix.Setrlimit(unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: cur, Max: max})
	}
}

func (p *prepared) exec() error {
	defaultSignals()
	if err := unix.Exec(p.path, p.args, p.env); err != nil {
		return fmt.Errorf("exec %q: %w", p.args[0], err)
	}
	return nil
}

// loadSeccomp installs the host-compiled filter; a listener fd is handed
// to the host (which passes it on to listenerPath) before "ready".
func loadSeccomp(cfg *Config, conn *syncproto.Conn) error {
	fd, err := seccomp.Load(cfg.Seccomp)
	if err != nil {
		return fmt.Errorf("linux.seccomp: %w", err)
	}
	if fd < 0 {
		return nil
	}
	defer unix.Close(fd)
	return conn.Request(syncproto.Msg{Type: syncproto.Seccomp, FD: fd}, "send seccomp listener")
}

func hookState(cfg *Config, status specs.ContainerState) *specs.State {
	return &specs.State{
		Version: specs.Version, ID: cfg.ID, Status: status, Pid: unix.Getpid(),
		Bundle: cfg.Bundle, Annotations: cfg.Spec.Annotations,
	}
}

// closeExtraFDs marks every fd from first up close-on-exec, so nothing the
// hako process inherited or opened reaches the container (CVE-2024-21626).
func closeExtraFDs(first int) error {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return fmt.Errorf("list fds: %w", err)
	}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < first {
			continue
		}
		unix.CloseOnExec(fd)
	}
	return nil
}

// checkCwd refuses a working directory outside the container root, which
// is what an inherited directory fd used as cwd would give.
func checkCwd() error {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Getcwd(buf)
	if err != nil {
		return fmt.Errorf("process.cwd: getcwd: %w", err)
	}
	if n == 0 || buf[0] != '/' {
		return errors.New("process.cwd: current working directory is outside of the container root")
	}
	return nil
}

// kSigaction is the kernel's struct sigaction (x86_64, arm64).
type kSigaction struct{ handler, flags, restorer, mask uint64 }

// defaultSignals sets every signal the process ignores back to its
// default action before the execve of the container's process, as
// nsenter's hako_default_signals does for the C stages: the process starts
// so, as under runc, whatever hako's caller ignored (the Go runtime keeps
// SIGHUP and SIGINT ignored when they were at its start, and an ignored
// signal stays ignored across execve). The ones the runtime handles are
// reset by the execve itself.
func defaultSignals() {
	for sig := 1; sig <= 64; sig++ {
		if sig == int(unix.SIGKILL) || sig == int(unix.SIGSTOP) {
			continue
		}
		var old kSigaction
		if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0); e != 0 || old.handler != 1 {
			continue // 1: SIG_IGN
		}
		var dfl kSigaction
		_, _, _ = unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
	}
}
