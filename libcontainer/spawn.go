package libcontainer

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/cgroups"
	"github.com/hako-runtime/hako/libcontainer/caps"
	"github.com/hako-runtime/hako/libcontainer/hooks"
	"github.com/hako-runtime/hako/libcontainer/initproc"
	"github.com/hako-runtime/hako/libcontainer/lsm"
	"github.com/hako-runtime/hako/libcontainer/rootfs"
	"github.com/hako-runtime/hako/libcontainer/syncproto"
	"github.com/hako-runtime/hako/libcontainer/trace"
	"github.com/hako-runtime/hako/libcontainer/validate"
	"github.com/hako-runtime/hako/seccomp"
)

// spawner starts "hako init" and drives it through the sync protocol:
// bootstrap text for nsenter, uid/gid maps, the init Config, host hooks,
// and finally "ready" (the init waits on the exec fifo).
type spawner struct {
	c       *Container
	o       *CreateOpts
	spec    *specs.Spec
	cmd     *exec.Cmd
	initPid int
	execPid int // exec: the container's init, whose namespaces are joined
	// execNS: exec: the init's namespaces, opened by Exec under the lock.
	execNS  map[specs.LinuxNamespaceType]*os.File
	cg      cgroups.Manager
	seccomp *seccomp.Program
	// subCgroups: exec --cgroup (see joinSubCgroups).
	subCgroups map[string]string
}

// bootstrap says what nsenter does (see syncproto.Bootstrap). With
// execNS set (exec), every namespace of the container is joined through
// the path given for its type instead, and nothing is created.
func bootstrap(s *specs.Spec, execNS map[specs.LinuxNamespaceType]string, plan []byte) *syncproto.Bootstrap {
	b := &syncproto.Bootstrap{Plan: plan}
	for _, ns := range s.Linux.Namespaces {
		f := validate.NamespaceFlags[ns.Type]
		switch {
		case execNS != nil:
			b.Joins = append(b.Joins, syncproto.Join{Flag: f, Path: execNS[ns.Type]})
		case ns.Path == "":
			b.Clone |= f
		default:
			b.Joins = append(b.Joins, syncproto.Join{Flag: f, Path: ns.Path})
		}
	}
	b.Maps = b.Clone&unix.CLONE_NEWUSER != 0
	// Offsets only for a time namespace made here: one that exists (an
	// exec's, or one joined by path) has them already, and they cannot
	// change once a process is in it.
	b.Timens = b.Clone&unix.CLONE_NEWTIME != 0 && len(s.Linux.TimeOffsets) > 0
	return b
}

func (sp *spawner) run() error {
	if err := pinInitialAffinity(sp.spec.Process, sp.execPid != 0); err != nil {
		return err
	}
	if sc := sp.spec.Linux.Seccomp; sc != nil {
		// Compiled here, on the host, and cached by profile hash: the
		// init only loads finished BPF.
		prog, err := seccomp.CompileCached(sc, filepath.Join(sp.o.Root, cacheDir, "seccomp"))
		if err != nil {
			return err
		}
		sp.seccomp = prog
		trace.Mark("seccomp compiled")
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("create sync socket: %w", err)
	}
	parent := os.NewFile(uintptr(fds[0]), "sync-parent")
	child := os.NewFile(uintptr(fds[1]), "sync-child")
	defer parent.Close()
	defer child.Close()

	var fifo *os.File
	if sp.execPid == 0 {
		fifoPath := filepath.Join(sp.c.dir, fifoName)
		if err := unix.Mkfifo(fifoPath, 0o600); err != nil {
			return fmt.Errorf("create exec fifo: %w", err)
		}
		// Read-write, so the init's read blocks until `start` writes.
		f, err := os.OpenFile(fifoPath, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("open exec fifo: %w", err)
		}
		defer f.Close()
		fifo = f
	}

	var console *os.File
	switch {
	case sp.o.ConsoleConn != nil:
		console = sp.o.ConsoleConn
	case sp.o.ConsoleSocket != "":
		conn, err := net.Dial("unix", sp.o.ConsoleSocket)
		if err != nil {
			return fmt.Errorf("connect to console socket %s: %w", sp.o.ConsoleSocket, err)
		}
		console, err = conn.(*net.UnixConn).File()
		conn.Close()
		if err != nil {
			return err
		}
		defer console.Close()
	}

	// Whatever else hako's caller left open must not reach the init, not
	// even until the init's own sweep: it would be visible in the waiting
	// init (/proc/<pid>/fd) from create to start. hako's own fds are
	// close-on-exec already.
	if err := closeExecFrom(3 + sp.o.PreserveFDs); err != nil {
		return err
	}
	// fds 3..3+N-1 are the caller's preserved fds, in place; hako's own
	// follow and are close-on-exec inside the init.
	extra := make([]*os.File, 0, sp.o.PreserveFDs+3)
	for i := 0; i < sp.o.PreserveFDs; i++ {
		extra = append(extra, os.NewFile(uintptr(3+i), "preserved"))
	}
	n := len(extra)
	extra = append(extra, child)
	fifoFD, consoleFD := -1, -1
	if fifo != nil {
		fifoFD = 3 + len(extra)
		extra = append(extra, fifo)
	}
	if console != nil {
		consoleFD = 3 + len(extra)
		extra = append(extra, console)
	}
	// exec joins the namespaces Exec opened, through the stage's own fds
	// (nsenter opens every path before its first setns).
	var execNS map[specs.LinuxNamespaceType]string
	if sp.execPid != 0 {
		execNS = map[specs.LinuxNamespaceType]string{}
		for _, ns := range sp.spec.Linux.Namespaces {
			f, ok := sp.execNS[ns.Type]
			if !ok {
				return fmt.Errorf("exec: namespace %s of the container not open", ns.Type)
			}
			execNS[ns.Type] = fmt.Sprintf("/proc/self/fd/%d", 3+len(extra))
			extra = append(extra, f)
		}
	}
	// Never the host's hako file: see exeguard_linux.go (CVE-2019-5736).
	exe, err := sealedExe(sp.o.Root)
	if err != nil {
		return err
	}
	defer exe.Close()
	// The init of a container that `start` releases later waits in the
	// C stage of the same sealed binary, not in Go (see waitsInC).
	exeFD := -1
	if fifo != nil && sp.waitsInC() {
		exeFD = 3 + len(extra)
		extra = append(extra, exe.file)
	}
	env := []string{"_HAKO_SYNCFD=" + strconv.Itoa(3+n)}
	if tf := trace.File(); tf != nil {
		env = append(env, "_HAKO_TRACEFD="+strconv.Itoa(3+len(extra)))
		extra = append(extra, tf)
	}
	stdio := []*os.File{os.Stdin, os.Stdout, os.Stderr}
	if len(sp.o.Stdio) == 3 {
		stdio = sp.o.Stdio
	}
	sp.cmd = &exec.Cmd{
		Path:       exe.Path,
		Args:       []string{"hako", "init"},
		Env:        env,
		Stdin:      stdio[0],
		Stdout:     stdio[1],
		Stderr:     stdio[2],
		ExtraFiles: extra,
	}
	// Started inside its cgroup, or moved there before nsenter runs (it
	// waits for the bootstrap): the init and a new cgroup namespace start
	// inside it either way (cgroup.go).
	trace.Mark("init spawning")
	if err := sp.startInCgroup(); err != nil {
		return err
	}
	trace.Mark("init started in its cgroup")
	child.Close()
	if err := setAffinity(sp.cmd.Process.Pid, sp.spec.Process, sp.execPid != 0); err != nil {
		// A reset that fails leaves the caller's affinity: runc only
		// warns too. An asked-for final affinity is an error.
		if a := sp.spec.Process.ExecCPUAffinity; sp.execPid != 0 && a != nil && a.Final != "" {
			return err
		}
		sp.o.Log.Warnf("%v: the container process may inherit hako's CPU affinity", err)
	}

	// An exec's process is set up by nsenter's C applier, from this plan,
	// unless it needs the Go init (see appliesInC).
	var plan []byte
	if sp.appliesInC() {
		p, err := sp.execPlan(consoleFD)
		if err == nil {
			plan, err = p.MarshalBinary()
		}
		if err != nil {
			return err
		}
	}
	conn := syncproto.NewConn(parent)
	if err := conn.SendBootstrap(bootstrap(sp.spec, execNS, plan)); err != nil {
		return err
	}
	stage0 := sp.cmd.Process.Pid
	for {
		msg, err := conn.Recv()
		if err != nil {
			return sp.initError(err)
		}
		trace.Mark("init says " + string(msg.Type))
		switch msg.Type {
		case syncproto.Error:
			return sp.initError(msg.Err())
		case syncproto.Maps:
			if err := writeMaps(stage0, sp.spec.Linux); err != nil {
				return err
			}
			if err := conn.Ack(syncproto.AckMaps); err != nil {
				return err
			}
		case syncproto.HostRoot:
			sp.c.st.HostRootMount = msg.MountID
		case syncproto.Timens:
			if err := writeTimeOffsets(stage0, sp.spec.Linux.TimeOffsets); err != nil {
				return err
			}
			if err := conn.Ack(syncproto.AckTimens); err != nil {
				return err
			}
		case syncproto.Pid:
			sp.initPid = msg.Pid
			if sp.execPid == 0 && joinsUserNS(sp.spec) {
				if err := checkJoinedUserMaps(msg.Pid, sp.spec); err != nil {
					return err
				}
			}
			// Written by the host through its own /proc: an exec'd process
			// would otherwise go through the container's /proc, which the
			// container can over-mount (CVE-2025-52881 class).
			if adj := sp.spec.Process.OOMScoreAdj; adj != nil {
				p := fmt.Sprintf("/proc/%d/oom_score_adj", msg.Pid)
				if err := os.WriteFile(p, []byte(strconv.Itoa(*adj)), 0); err != nil {
					return fmt.Errorf("process.oomScoreAdj: %w", err)
				}
			}
			if sp.execPid == 0 {
				if err := moveNetDevices(msg.Pid, sp.spec.Linux.NetDevices); err != nil {
					return err
				}
			}
			if msg.Pid != stage0 {
				// nsenter forked the init and exits: reap it.
				if err := sp.cmd.Wait(); err != nil {
					return fmt.Errorf("nsenter stage: %w", err)
				}
			}
			start, _, err := procStart(msg.Pid)
			if err != nil {
				return fmt.Errorf("read init start time: %w", err)
			}
			if sp.execPid == 0 {
				sp.c.st.InitPid, sp.c.st.InitStart = msg.Pid, start
			}
			if plan != nil {
				// the applier goes on once the pid is seen
				if err := conn.Ack(syncproto.AckPid); err != nil {
					return err
				}
				continue
			}
			cfg := &initproc.Config{
				ID: sp.c.ID, Spec: sp.spec, Rootfs: sp.c.st.Rootfs, Bundle: sp.c.st.Bundle, Pid: msg.Pid,
				NoPivot: sp.o.NoPivot, NoNewKeyring: sp.o.NoNewKeyring, PreserveFDs: sp.o.PreserveFDs,
				FifoFD: fifoFD, ExeFD: exeFD, ConsoleFD: consoleFD, ConsoleRelay: sp.o.ConsoleConn != nil, Exec: sp.execPid != 0, MountNS: validate.HasNamespace(sp.spec, specs.MountNamespace), UserNS: validate.HasNamespace(sp.spec, specs.UserNamespace),
				Seccomp: sp.seccomp,
				LSM:     lsm.Detect(),
			}
			if err := conn.SendConfig(cfg); err != nil {
				return err
			}
		case syncproto.Hooks:
			if err := conn.Reply(sp.hooksStep()); err != nil {
				return err
			}
		case syncproto.Limits:
			if err := conn.Reply(applyLimits(sp.initPid, sp.spec.Process)); err != nil {
				return err
			}
		case syncproto.Warn:
			sp.o.Log.Warnf("%s", msg.Msg)
		case syncproto.Ambient:
			sp.o.Log.Warnf("%s", caps.AmbientWarning(msg.Cap, unix.Errno(msg.Errno)))
		case syncproto.MountSources:
			if err := sendMountSources(conn, sp.initPid, sp.spec); err != nil {
				return err
			}
		case syncproto.Seccomp:
			if err := conn.Reply(sp.passListener(msg.FD)); err != nil {
				return err
			}
		case syncproto.Ready:
			return nil
		default:
			return fmt.Errorf("unexpected message %q from init", msg.Type)
		}
	}
}

// staticSelf says whether the running hako is statically linked (`make
// build`): only then can it be exec'd inside the container's mount
// namespace, where the host's dynamic loader and libraries are not. The
// kernel passes the loader's base as AT_BASE, 0 when there is none; no
// file is read.
func staticSelf() bool {
	auxv, err := unix.Auxv()
	if err != nil {
		return false
	}
	for _, kv := range auxv {
		if kv[0] == atBase {
			return kv[1] == 0
		}
	}
	return true
}

// atBase is AT_BASE of <elf.h>: the program interpreter's base address.
const atBase = 7

// waitsInC says whether the init waits for `start` in the C stage of
// hako (nsenter's hako_wait: about 1.5 MB resident, where a Go runtime
// holds 8 MB) rather than in Go. Not for `run`, which starts the container
// at once and would only pay one more execve; not when startContainer
// hooks must run after the wait (they are run by the Go init); not when an
// LSM exec label is set, since it would take effect at the execve of the
// waiting stage (confining hako rather than the process, and an AppArmor
// profile would revoke the inherited exec fifo).
func (sp *spawner) waitsInC() bool {
	p := sp.spec.Process
	if sp.o.StartNow || p.ApparmorProfile != "" || p.SelinuxLabel != "" || !staticSelf() {
		return false
	}
	return sp.spec.Hooks == nil || len(sp.spec.Hooks.StartContainer) == 0
}

func (sp *spawner) joinCgroup(pid int) error {
	m, err := sp.c.cgroup()
	if err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	sp.cg = m
	if sp.execPid != 0 && len(sp.subCgroups) > 0 {
		return joinSubCgroups(m.Paths(), sp.subCgroups, pid)
	}
	if err := m.Apply(pid); err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	if sp.execPid != 0 {
		return nil
	}
	sp.c.st.CgroupPaths = m.Paths()
	return nil
}

// hooksStep is the host's part once the init has made its mounts: the
// cgroup gets its limits only now, when the init's own threads and forks
// exist (a pids limit of 1 is a limit on the container, not on hako),
// and before prestart hooks, which may rely on them (as in runc).
func (sp *spawner) hooksStep() error {
	if r := effectiveResources(sp.spec); r != nil {
		if err := sp.cg.Set(r); err != nil {
			return fmt.Errorf("linux.resources: %w", err)
		}
	}
	if h := sp.spec.Hooks; h != nil && len(h.Prestart)+len(h.CreateRuntime) > 0 {
		return sp.hostHooks()
	}
	return nil
}

// passListener takes the init's seccomp listener fd and hands it to the
// agent at listenerPath with the container state (runc's protocol).
func (sp *spawner) passListener(fdInInit int) error {
	pidfd, err := unix.PidfdOpen(sp.initPid, 0)
	if err != nil {
		return fmt.Errorf("seccomp listener: %w", err)
	}
	defer unix.Close(pidfd)
	fd, err := unix.PidfdGetfd(pidfd, fdInInit, 0)
	if err != nil {
		return fmt.Errorf("seccomp listener: take fd from init: %w", err)
	}
	defer unix.Close(fd)
	st := specs.State{
		Version: specs.Version, ID: sp.c.ID, Status: specs.StateCreating, Pid: sp.initPid,
		Bundle: sp.c.st.Bundle, Annotations: sp.spec.Annotations,
	}
	return seccomp.SendListener(sp.seccomp.ListenerPath, fd, st, sp.seccomp.ListenerMetadata)
}

// closeExecFrom marks every fd of this process from first up close-on-exec.
func closeExecFrom(first int) error {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return fmt.Errorf("list fds: %w", err)
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd >= first {
			unix.CloseOnExec(fd)
		}
	}
	return nil
}

// procNSName is the /proc/<pid>/ns entry of each namespace type.
var procNSName = map[specs.LinuxNamespaceType]string{
	specs.PIDNamespace: "pid", specs.NetworkNamespace: "net", specs.MountNamespace: "mnt",
	specs.IPCNamespace: "ipc", specs.UTSNamespace: "uts", specs.UserNamespace: "user",
	specs.CgroupNamespace: "cgroup", specs.TimeNamespace: "time",
}

// hostHooks runs prestart and createRuntime hooks in the host namespaces,
// after the container's namespaces exist and before pivot_root.
func (sp *spawner) hostHooks() error {
	st := &specs.State{
		Version: specs.Version, ID: sp.c.ID, Status: specs.StateCreating, Pid: sp.initPid,
		Bundle: sp.c.st.Bundle, Annotations: sp.spec.Annotations,
	}
	// runc runs them from the bundle (create and run change there) with
	// its own environment.
	o := hooks.Opts{Dir: sp.c.st.Bundle}
	if err := hooks.Run("prestart", sp.spec.Hooks.Prestart, st, o); err != nil {
		return err
	}
	return hooks.Run("createRuntime", sp.spec.Hooks.CreateRuntime, st, o)
}

// initError keeps the init's own error text (the root cause) in front.
func (sp *spawner) initError(err error) error {
	return fmt.Errorf("unable to start container process: %w", err)
}

func writeMaps(pid int, l *specs.Linux) error {
	for _, f := range []struct {
		name string
		m    []specs.LinuxIDMapping
	}{{"uid_map", l.UIDMappings}, {"gid_map", l.GIDMappings}} {
		p := fmt.Sprintf("/proc/%d/%s", pid, f.name)
		if err := os.WriteFile(p, mapsFor(f.m), 0); err != nil {
			return fmt.Errorf("linux.%sMappings: write %s: %w", strings.TrimSuffix(f.name, "_map"), p, err)
		}
	}
	return nil
}

// abort kills whatever was started and reaps our children.
func (sp *spawner) abort() {
	if sp.initPid > 0 {
		unix.Kill(sp.initPid, unix.SIGKILL)
	}
	if sp.cmd != nil && sp.cmd.Process != nil {
		sp.cmd.Process.Kill()
		sp.cmd.Wait()
	}
	if sp.initPid > 0 {
		var ws unix.WaitStatus
		unix.Wait4(sp.initPid, &ws, 0, nil)
	}
	if sp.cg != nil && sp.execPid == 0 {
		sp.cg.Destroy()
	}
	if sp.execPid == 0 && sp.c.st.HostRootMount != 0 {
		rootfs.UnmountHostRoot(sp.c.st.Rootfs, sp.c.st.HostRootMount)
	}
}
