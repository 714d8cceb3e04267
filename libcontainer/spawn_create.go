package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/cgroups"
	"github.com/hako-runtime/hako/internal/fault"
	"github.com/hako-runtime/hako/internal/fdpass"
	"github.com/hako-runtime/hako/libcontainer/hooks"
	"github.com/hako-runtime/hako/libcontainer/initproc"
	"github.com/hako-runtime/hako/libcontainer/intelrdt"
	"github.com/hako-runtime/hako/libcontainer/lsm"
	"github.com/hako-runtime/hako/libcontainer/rootfs"
	"github.com/hako-runtime/hako/libcontainer/syncproto"
	"github.com/hako-runtime/hako/libcontainer/validate"
	"github.com/hako-runtime/hako/nsenter"
)

// createInit drives the first process of a new container: the Go init,
// which makes the rootfs, then waits on the exec fifo for `start`.
type createInit struct {
	*spawner
	fifo   *os.File         // exec.fifo, read-write: the init's read blocks until start
	fifoFD int              // its number in the init
	exeFD  int              // the sealed binary in the init, when it waits in C; else -1
	mounts []rootfs.MountOp // rootfs.Plan of spec.Mounts
	// plan: the process is set up by nsenter's C applier and the rootfs
	// by a host thread (appliesInC, hostrootfs_linux.go).
	plan bool
	// rdt is linux.intelRdt's planned resctrl group, nil without one.
	rdt *intelrdt.Group
}

// newCreateInit makes the spawner of c's init; mounts is the plan of
// spec's mounts.
func newCreateInit(c *Container, o *CreateOpts, spec *specs.Spec, mounts []rootfs.MountOp) *createInit {
	d := &createInit{spawner: &spawner{c: c, o: o, spec: spec}, fifoFD: -1, exeFD: -1, mounts: mounts}
	d.d = d
	return d
}

func (d *createInit) files(add func(*os.File) int) error {
	fifoPath := filepath.Join(d.c.dir, fifoName)
	if err := unix.Mkfifo(fifoPath, 0o600); err != nil {
		return fmt.Errorf("create exec fifo: %w", err)
	}
	f, err := os.OpenFile(fifoPath, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open exec fifo: %w", err)
	}
	d.fifo = f
	d.fifoFD = add(f)
	d.plan = d.appliesInC()
	// The Go init of a container that `start` releases later waits in
	// the C stage of the same sealed binary, not in Go (see waitsInC).
	if !d.plan && d.waitsInC() {
		d.exeFD = add(d.exe.file)
	}
	return nil
}

// waitsInC says whether the init waits for `start` in the C stage of
// hako (nsenter's hako_wait: about 1.5 MB resident, where a Go runtime
// holds 8 MB) rather than in Go. Not for `run`, which starts the container
// at once and would only pay one more execve; not when startContainer
// hooks must run after the wait (they are run by the Go init); not when an
// LSM exec label is set, since it would take effect at the execve of the
// waiting stage (confining hako rather than the process, and an AppArmor
// profile would revoke the inherited exec fifo).
func (d *createInit) waitsInC() bool {
	p := d.spec.Process
	if d.o.StartNow || p.ApparmorProfile != "" || p.SelinuxLabel != "" || !staticSelf() {
		return false
	}
	return d.spec.Hooks == nil || len(d.spec.Hooks.StartContainer) == 0
}

// cgroupFD makes the container's cgroup first on cgroup v2 with the fs
// driver, so the init is cloned into it (see startInCgroup); a systemd
// scope needs a pid to start, and v1 is joined by pid.
func (d *createInit) cgroupFD() (int, error) {
	if d.c.st.Systemd || !cgroups.IsV2(cgroups.DefaultRoot) {
		return -1, nil
	}
	if err := d.joinCgroup(0); err != nil || d.c.st.NoCgroup {
		return -1, err
	}
	fd, err := d.cg.CgroupFD()
	if err != nil {
		return -1, fmt.Errorf("cgroup: %w", err)
	}
	return fd, nil
}

// joinCgroup creates the container's cgroup and puts pid in it (0: only
// creates it), recording its paths in the state.
func (d *createInit) joinCgroup(pid int) error {
	m, err := d.c.cgroup()
	if err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	d.cg = m
	// Recorded before it exists: a create killed from here on leaves a
	// cgroup that delete must find.
	d.c.st.CgroupPaths = m.Paths()
	if err := d.c.saveCreating(); err != nil {
		return err
	}
	if err := m.Apply(pid); errors.Is(err, cgroups.ErrRootless) {
		d.o.Log.Debugf("%v: it stays in the caller's cgroup", err)
		if !validate.HasNamespace(d.spec, specs.PIDNamespace) {
			// Nothing then finds what its processes fork and leave behind.
			d.o.Log.Warnf("a rootless container with no cgroup of its own and no pid namespace of its own: processes it leaves behind outlive delete")
		}
		d.c.st.NoCgroup, d.c.st.CgroupPaths = true, nil
		d.cg = noCgroup{d.c}
		return nil
	} else if err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	d.c.st.CgroupPaths = m.Paths()
	fault.Point("create.cgroup", pid)
	return nil
}

func (d *createInit) started(pid int) error {
	if err := setAffinity(pid, d.spec.Process, false); err != nil {
		// A reset that fails leaves the caller's affinity: runc only
		// warns too.
		d.o.Log.Warnf("%v: the container process may inherit hako's CPU affinity", err)
	}
	return nil
}

func (d *createInit) bootstrap() (*syncproto.Bootstrap, error) {
	if !d.plan {
		return bootstrap(d.spec, nil, nil), nil
	}
	p, err := d.processPlan(d.consoleFD)
	if err != nil {
		return nil, err
	}
	if p.Umask == nil {
		// a container's first process gets 0022 unless the spec says
		umask := uint32(0o022)
		p.Umask = &umask
	}
	p.Create = &nsenter.Create{FifoFD: uint32(d.fifoFD), ProcFS: uint32(procMounts(d.mounts))}
	if !d.o.NoNewKeyring {
		p.Create.Keyring = "_ses." + d.c.ID
	}
	raw, err := p.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return bootstrap(d.spec, nil, raw), nil
}

// pid records the init and sends it its Config.
func (d *createInit) pid(pid int) error {
	if joinsUserNS(d.spec) {
		if err := checkJoinedUserMaps(pid, d.spec); err != nil {
			return err
		}
	}
	if err := moveNetDevices(pid, d.spec.Linux.NetDevices); err != nil {
		return err
	}
	start, _, err := procStart(pid)
	if err != nil {
		return fmt.Errorf("read init start time: %w", err)
	}
	d.c.st.InitPid, d.c.st.InitStart = pid, start
	if d.rdt != nil {
		// Before the init runs anything of the container; its main
		// thread is the one that calls execve, and threads it makes
		// later inherit the group.
		if err := d.rdt.Apply(d.rdt.Root, pid); err != nil {
			return err
		}
		d.c.st.IntelRdt = d.rdt
	}
	// The init waits for its config: a create killed from here on leaves
	// it waiting (after ready, at the exec fifo), for delete to kill.
	if err := d.c.saveCreating(); err != nil {
		return err
	}
	if d.plan {
		return d.applierRootfs(pid)
	}
	cfg := &initproc.Config{
		ID: d.c.ID, Spec: d.spec, Mounts: d.mounts, Rootfs: d.c.st.Rootfs, Bundle: d.c.st.Bundle, Pid: pid,
		NoPivot: d.o.NoPivot, NoNewKeyring: d.o.NoNewKeyring, PreserveFDs: d.o.PreserveFDs,
		FifoFD: d.fifoFD, ExeFD: d.exeFD, ConsoleFD: d.consoleFD, ConsoleRelay: d.o.ConsoleConn != nil,
		MountNS:      validate.HasNamespace(d.spec, specs.MountNamespace),
		UserNS:       validate.HasNamespace(d.spec, specs.UserNamespace),
		Unprivileged: os.Geteuid() != 0,
		Seccomp:      d.seccomp,
		LSM:          lsm.Detect(),
	}
	return d.conn.SendConfig(cfg)
}

// applierRootfs lets the applier go on past its pid, takes its procfs
// contexts, makes the rootfs and answers it.
func (d *createInit) applierRootfs(pid int) error {
	if err := d.conn.Ack(syncproto.AckPid); err != nil {
		return err
	}
	m, fds, err := d.conn.RecvFDs(procMounts(d.mounts))
	if err != nil {
		if m.Type == syncproto.Error {
			return d.initError(err)
		}
		return fmt.Errorf("rootfs: receive procfs contexts: %w", err)
	}
	defer fdpass.Close(fds)
	if m.Type != syncproto.Rootfs {
		return fmt.Errorf("unexpected message %q from init", m.Type)
	}
	return d.conn.Reply(d.hostRootfs(pid, fds))
}

func (d *createInit) handle(m syncproto.Msg) (bool, error) {
	switch m.Type {
	case syncproto.HostRoot:
		d.c.st.HostRootMount = m.MountID
		if err := d.c.saveCreating(); err != nil {
			return true, err
		}
	case syncproto.MountSources:
		return true, sendMountSources(d.conn, d.initPid, d.spec, d.mounts)
	case syncproto.Hooks:
		return true, d.conn.Reply(d.hooksStep())
	default:
		return false, nil
	}
	return true, nil
}

// resourcesError names linux.resources in err, unless err names one of
// its fields already (the device rules say linux.resources.devices[i]).
func resourcesError(err error) error {
	if strings.HasPrefix(err.Error(), "linux.resources") {
		return err
	}
	return fmt.Errorf("linux.resources: %w", err)
}

// hooksStep is the host's part once the init has made its mounts: the
// cgroup gets its limits only now, when the init's own threads and forks
// exist (a pids limit of 1 is a limit on the container, not on hako),
// and before prestart hooks, which may rely on them (as in runc).
func (d *createInit) hooksStep() error {
	if r := effectiveResources(d.spec); r != nil {
		if err := d.cg.Set(r); err != nil {
			return resourcesError(err)
		}
	}
	if h := d.spec.Hooks; h != nil && len(h.Prestart)+len(h.CreateRuntime) > 0 {
		return d.hostHooks()
	}
	return nil
}

// hostHooks runs prestart and createRuntime hooks in the host namespaces,
// after the container's namespaces exist and before pivot_root.
func (d *createInit) hostHooks() error { return runCreateHooks(d.c, d.spec, d.initPid) }

// runCreateHooks runs spec's prestart and createRuntime hooks for c, in
// status "creating" with pid as the container's process: create's, and
// restore's once CRIU has made the namespaces (as runc does).
func runCreateHooks(c *Container, spec *specs.Spec, pid int) error {
	h := spec.Hooks
	if h == nil || len(h.Prestart)+len(h.CreateRuntime) == 0 {
		return nil
	}
	st := &specs.State{
		Version: specs.Version, ID: c.ID, Status: specs.StateCreating, Pid: pid,
		Bundle: c.st.Bundle, Annotations: spec.Annotations,
	}
	// runc runs them from the bundle (create and run change there) with
	// its own environment.
	o := hooks.Opts{Dir: c.st.Bundle}
	if err := hooks.Run("prestart", h.Prestart, st, o); err != nil {
		return err
	}
	return hooks.Run("createRuntime", h.CreateRuntime, st, o)
}

// close also closes the host's end of the exec fifo: `start` opens it
// by path.
func (d *createInit) close() {
	d.spawner.close()
	if d.fifo != nil {
		d.fifo.Close()
	}
}

// undo removes the cgroup and the host-namespace rootfs mount.
func (d *createInit) undo() {
	if d.cg != nil {
		d.cg.Destroy()
	}
	if g := d.c.st.IntelRdt; g != nil {
		g.Destroy("")
	}
	if d.c.st.HostRootMount != 0 {
		rootfs.UnmountHostRoot(d.c.st.Rootfs, d.c.st.HostRootMount)
	}
}
