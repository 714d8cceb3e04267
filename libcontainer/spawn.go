package libcontainer

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/cgroups"
	"github.com/hako-runtime/hako/internal/fault"
	"github.com/hako-runtime/hako/libcontainer/caps"
	"github.com/hako-runtime/hako/libcontainer/syncproto"
	"github.com/hako-runtime/hako/libcontainer/trace"
	"github.com/hako-runtime/hako/libcontainer/validate"
	"github.com/hako-runtime/hako/seccomp"
)

// spawner starts "hako init" and drives it through the sync protocol
// (syncproto): the bootstrap for nsenter, then the init's requests until
// it is ready. What differs between the first process of a new container
// and a process joining a running one (exec) is its driver's: createInit
// (spawn_create.go) and execInit (spawn_exec.go).
type spawner struct {
	c       *Container
	o       *CreateOpts
	spec    *specs.Spec
	d       driver
	cmd     *exec.Cmd
	conn    *syncproto.Conn
	exe     *initExe // the sealed hako binary the init runs
	initPid int
	cg      cgroups.Manager
	seccomp *seccomp.Program
	// consoleFD is the console socket's fd in the init, -1 without one.
	consoleFD int
}

// driver is what a spawn does for its kind of process. Its methods are
// called in this order, undo only after a failure.
type driver interface {
	// files adds the driver's fds to the init's (add returns the number
	// each one gets there).
	files(add func(*os.File) int) error
	// cgroupFD is the cgroup to clone the init into, or -1: then
	// joinCgroup moves it there by pid, before it runs anything.
	cgroupFD() (int, error)
	joinCgroup(pid int) error
	// started: the init runs, and waits for the bootstrap.
	started(pid int) error
	bootstrap() (*syncproto.Bootstrap, error)
	// pid: the nsenter stage said the init's pid (the common work on it
	// is done); the driver answers it.
	pid(pid int) error
	// handle answers a message only this driver's init sends; false
	// for one it does not expect.
	handle(m syncproto.Msg) (bool, error)
	// undo removes what the driver made, after a failure.
	undo()
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

// run starts the init and answers it until it is ready. When the init
// died meanwhile (the OOM killer, a kill -9 from outside) the error says
// so: the broken sync socket alone names no cause.
func (sp *spawner) run() error {
	err := sp.steps()
	if err != nil {
		if why := sp.death(); why != "" {
			err = fmt.Errorf("%s: %w", why, err)
		}
	}
	return err
}

// death says how the init (or nsenter's first stage, before the init's
// pid is known) ended, "" while it lives. Both are our children, not yet
// reaped: the pid is still theirs, and /proc/<pid>/stat of the zombie
// holds its wait status (field 52, exit_code). abort reaps them.
func (sp *spawner) death() string {
	pid := sp.initPid
	if pid <= 0 {
		if sp.cmd == nil || sp.cmd.Process == nil {
			return ""
		}
		pid = sp.cmd.Process.Pid
	}
	f, err := statFields(pid)
	if err != nil || len(f) < 50 || f[0] != "Z" {
		return ""
	}
	code, err := strconv.Atoi(f[49])
	if err != nil {
		return ""
	}
	ws := unix.WaitStatus(code)
	// An exec'd process joins a cgroup whose OOM count may be anyone's.
	who, create := "container process", false
	if _, ok := sp.d.(*createInit); ok {
		who, create = "container init", true
	}
	switch {
	case create && ws.Signaled() && ws.Signal() == unix.SIGKILL && sp.oomKilled():
		return who + " was OOM-killed (memory limit too low?)"
	case ws.Signaled():
		return fmt.Sprintf("%s was killed by signal %s", who, unix.SignalName(ws.Signal()))
	case ws.Exited():
		return fmt.Sprintf("%s exited with status %d", who, ws.ExitStatus())
	}
	return ""
}

// oomKilled reports whether the container's memory cgroup counted an
// OOM kill.
func (sp *spawner) oomKilled() bool {
	if sp.cg == nil {
		return false
	}
	st, err := sp.cg.Stats()
	return err == nil && st != nil && st.Memory.EventCount.OOMKill > 0
}

// steps is run's work.
func (sp *spawner) steps() error {
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
	if err := sp.start(); err != nil {
		return err
	}
	sp.point("spawned")
	boot, err := sp.d.bootstrap()
	if err != nil {
		return err
	}
	if err := sp.conn.SendBootstrap(boot); err != nil {
		return err
	}
	stage0 := sp.cmd.Process.Pid
	for {
		msg, err := sp.conn.Recv()
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
			if err := sp.conn.Ack(syncproto.AckMaps); err != nil {
				return err
			}
		case syncproto.Timens:
			if err := writeTimeOffsets(stage0, sp.spec.Linux.TimeOffsets); err != nil {
				return err
			}
			if err := sp.conn.Ack(syncproto.AckTimens); err != nil {
				return err
			}
		case syncproto.Pid:
			sp.initPid = msg.Pid
			// Written by the host through its own /proc: an exec'd process
			// would otherwise go through the container's /proc, which the
			// container can over-mount (CVE-2025-52881 class).
			if adj := sp.spec.Process.OOMScoreAdj; adj != nil {
				p := fmt.Sprintf("/proc/%d/oom_score_adj", msg.Pid)
				if err := os.WriteFile(p, []byte(strconv.Itoa(*adj)), 0); err != nil {
					return fmt.Errorf("process.oomScoreAdj: %w", err)
				}
			}
			if msg.Pid != stage0 {
				// nsenter forked the init and exits: reap it.
				if err := sp.cmd.Wait(); err != nil {
					return fmt.Errorf("nsenter stage: %w", err)
				}
			}
			if err := sp.d.pid(msg.Pid); err != nil {
				return err
			}
			sp.point("pid")
		case syncproto.Limits:
			if err := sp.conn.Reply(applyLimits(sp.initPid, sp.spec.Process)); err != nil {
				return err
			}
		case syncproto.Seccomp:
			if err := sp.conn.Reply(sp.passListener(msg.FD)); err != nil {
				return err
			}
		case syncproto.Warn:
			sp.o.Log.Warnf("%s", msg.Msg)
		case syncproto.Ambient:
			sp.o.Log.Warnf("%s", caps.AmbientWarning(msg.Cap, unix.Errno(msg.Errno)))
		case syncproto.Ready:
			sp.point("ready")
			return nil
		default:
			ok, err := sp.d.handle(msg)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("unexpected message %q from init", msg.Type)
			}
		}
	}
}

// point is a crash point of the spawn (internal/fault): create.X for a
// container's init, exec.X for a process joining it; the pid a test may
// kill there is the container's init.
func (sp *spawner) point(step string) {
	if !fault.Enabled {
		return
	}
	kind, pid := "exec.", sp.c.st.InitPid
	if _, ok := sp.d.(*createInit); ok {
		kind, pid = "create.", sp.initPid
	}
	fault.Point(kind+step, pid)
}

// start starts "hako init" in its cgroup, waiting for the bootstrap.
func (sp *spawner) start() error {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("create sync socket: %w", err)
	}
	sp.conn = syncproto.NewConn(os.NewFile(uintptr(fds[0]), "sync-parent"))
	child := os.NewFile(uintptr(fds[1]), "sync-child")
	defer child.Close()

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
	// A count past the caller's open fds would fail at fork as a bare
	// EBADF naming /proc/.../fd/N.
	for i := 0; i < sp.o.PreserveFDs; i++ {
		if _, err := unix.FcntlInt(uintptr(3+i), unix.F_GETFD, 0); err != nil {
			return fmt.Errorf("--preserve-fds %d: fd %d is not open", sp.o.PreserveFDs, 3+i)
		}
	}
	extra := make([]*os.File, 0, sp.o.PreserveFDs+4)
	for i := 0; i < sp.o.PreserveFDs; i++ {
		extra = append(extra, os.NewFile(uintptr(3+i), "preserved"))
	}
	add := func(f *os.File) int {
		extra = append(extra, f)
		return 3 + len(extra) - 1
	}
	syncFD := add(child)
	sp.consoleFD = -1
	if console != nil {
		sp.consoleFD = add(console)
	}
	// Never the host's hako file: see exeguard_linux.go (CVE-2019-5736).
	if sp.exe, err = sealedExe(sp.o.Root); err != nil {
		return err
	}
	if err := sp.d.files(add); err != nil {
		return err
	}
	env := []string{"_HAKO_SYNCFD=" + strconv.Itoa(syncFD)}
	if tf := trace.File(); tf != nil {
		env = append(env, "_HAKO_TRACEFD="+strconv.Itoa(add(tf)))
	}
	stdio := []*os.File{os.Stdin, os.Stdout, os.Stderr}
	if len(sp.o.Stdio) == 3 {
		stdio = sp.o.Stdio
	}
	sp.cmd = &exec.Cmd{
		Path:       sp.exe.Path,
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
	return sp.d.started(sp.cmd.Process.Pid)
}

// close releases what run holds once the init is ready or gone.
func (sp *spawner) close() {
	if sp.conn != nil {
		sp.conn.Close()
	}
	if sp.exe != nil {
		sp.exe.Close()
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

// initError keeps the init's own error text (the root cause) in front.
func (sp *spawner) initError(err error) error {
	return fmt.Errorf("unable to start container process: %w", err)
}

// abort kills whatever was started, reaps our children and undoes what
// the driver made.
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
	sp.d.undo()
}
