package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hako-runtime/hako/internal/fault"
	"github.com/hako-runtime/hako/libcontainer/caps"
	"github.com/hako-runtime/hako/libcontainer/logs"
	"github.com/hako-runtime/hako/libcontainer/lsm"
	"github.com/hako-runtime/hako/libcontainer/trace"
	"github.com/hako-runtime/hako/libcontainer/validate"
)

// ExecOpts describe a process joining a running container.
type ExecOpts struct {
	Process       *specs.Process
	ConsoleSocket string
	ConsoleConn   *os.File
	PidFile       string
	PreserveFDs   int
	IgnorePaused  bool
	// PidfdSocket receives a pidfd of the process.
	PidfdSocket string
	// Log receives warnings (unknown capabilities, ambient ones that
	// cannot be raised).
	Log *logs.Logger
	// SubCgroups are existing sub-cgroups of the container's to run in,
	// by controller ("" = every controller; the only key on cgroup v2).
	SubCgroups map[string]string
	// Stdio, when set, replaces our stdio for the process (see CreateOpts).
	Stdio []*os.File
}

// Exec starts o.Process inside the container's namespaces and cgroup and
// returns its host pid once it has been exec'd (it is a child of the
// calling process). The container's seccomp profile applies to it.
//
// Exec releases the container's lock before it starts the process: the
// process may sit in a frozen cgroup (--ignore-paused) until `resume`,
// and the console socket and pidfd socket are the engine's to answer.
// The namespaces are opened while the lock is held and the init is
// verified alive, so a pid recycled meanwhile cannot be joined.
func (c *Container) Exec(o *ExecOpts) (int, error) {
	if err := c.Require(OpExec); err != nil && !(o.IgnorePaused && c.Status == Paused) {
		return 0, err
	}
	p := o.Process
	if p == nil || (len(p.Args) == 0 && p.CommandLine == "") {
		return 0, errors.New("process.args: must not be empty")
	}
	if p.Cwd == "" {
		p.Cwd = "/"
	}
	if !filepath.IsAbs(p.Cwd) {
		return 0, fmt.Errorf("process.cwd: must be an absolute path, got %q", p.Cwd)
	}
	if _, unknown := caps.FromSpec(p.Capabilities); len(unknown) > 0 {
		o.Log.Warnf("%s", caps.UnknownWarning(unknown))
	}
	if _, _, err := validate.Env(p.Env); err != nil {
		return 0, err
	}
	if err := validate.ProcessAttrs(p); err != nil {
		return 0, err
	}
	if err := lsm.Check(p, lsm.Detect()); err != nil {
		return 0, err
	}
	trace.Mark("process checked")
	if p.Terminal && o.ConsoleSocket == "" && o.ConsoleConn == nil {
		return 0, errors.New("cannot allocate tty if hako will detach without setting console socket")
	}
	base, err := c.spec()
	if err != nil {
		return 0, err
	}
	spec := *base
	// oom_score_adj is the container's, whatever the process JSON says:
	// runc writes the container's for every process that joins it.
	// So is the umask (runc takes it from the container's config too).
	pp := *p
	pp.OOMScoreAdj = base.Process.OOMScoreAdj
	pp.User.Umask = base.Process.User.Umask
	spec.Process = &pp
	spec.Hooks = nil
	nsFiles, err := c.openNamespaces(spec.Linux.Namespaces)
	if err != nil {
		return 0, err
	}
	trace.Mark("namespaces opened")
	defer func() {
		for _, f := range nsFiles {
			f.Close()
		}
	}()
	c.Unlock()
	fault.Point("exec.unlocked", c.st.InitPid)
	pidfdSock, err := dialPidfdSocket(o.PidfdSocket)
	if err != nil {
		return 0, err
	}
	defer pidfdSock.close()
	sp := newExecInit(c, &CreateOpts{
		Root: filepath.Dir(c.dir), ID: c.ID, ConsoleSocket: o.ConsoleSocket, ConsoleConn: o.ConsoleConn,
		PreserveFDs: o.PreserveFDs, Log: o.Log, Stdio: o.Stdio,
	}, &spec, nsFiles, o.SubCgroups)
	defer sp.close()
	if err := sp.run(); err != nil {
		sp.abort()
		return 0, fmt.Errorf("container %s: %w", c.ID, err)
	}
	if err := pidfdSock.send(sp.initPid); err != nil {
		return sp.initPid, err
	}
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, sp.initPid); err != nil {
			return sp.initPid, err
		}
	}
	return sp.initPid, nil
}

// procNSName is the /proc/<pid>/ns entry of each namespace type.
var procNSName = map[specs.LinuxNamespaceType]string{
	specs.PIDNamespace: "pid", specs.NetworkNamespace: "net", specs.MountNamespace: "mnt",
	specs.IPCNamespace: "ipc", specs.UTSNamespace: "uts", specs.UserNamespace: "user",
	specs.CgroupNamespace: "cgroup", specs.TimeNamespace: "time",
}

// openNamespaces opens the init's namespaces of the given types (the
// container's set), then checks that the init is still the process the
// container recorded: the files then are the container's namespaces.
func (c *Container) openNamespaces(nss []specs.LinuxNamespace) (map[specs.LinuxNamespaceType]*os.File, error) {
	out := map[specs.LinuxNamespaceType]*os.File{}
	fail := func(err error) (map[specs.LinuxNamespaceType]*os.File, error) {
		for _, f := range out {
			f.Close()
		}
		return nil, err
	}
	for _, ns := range nss {
		p := fmt.Sprintf("/proc/%d/ns/%s", c.st.InitPid, procNSName[ns.Type])
		f, err := os.Open(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ESRCH) {
				return fail(errors.New("cannot exec in a stopped container"))
			}
			return fail(fmt.Errorf("open namespace %s: %w", p, err))
		}
		out[ns.Type] = f
	}
	if !c.st.initAlive() {
		return fail(errors.New("cannot exec in a stopped container"))
	}
	return out, nil
}

// joinSubCgroups puts an exec'd process into sub-cgroups of the
// container's (exec --cgroup). Each is opened beneath the container's
// directory with no symlinks, so "../.." cannot leave the container's
// tree. A hierarchy with no sub-cgroup named gets the container's own.
func joinSubCgroups(paths, sub map[string]string, pid int) error {
	_, unified := paths[""]
	v2 := unified && len(paths) == 1 // a hybrid host has "" beside the v1 controllers
	for ctrl := range sub {
		if ctrl == "" {
			continue
		}
		if v2 {
			return fmt.Errorf("--cgroup %s:...: controller-specific sub-cgroups need cgroup v1", ctrl)
		}
		if _, ok := paths[ctrl]; !ok {
			return fmt.Errorf("--cgroup %s:...: the container has no %s cgroup", ctrl, ctrl)
		}
	}
	for ctrl, dir := range paths {
		rel, ok := sub[ctrl]
		if !ok {
			rel, ok = sub[""]
		}
		if !ok {
			rel = "."
		}
		if err := writeProcsBeneath(dir, rel, pid); err != nil {
			return fmt.Errorf("--cgroup: %w", err)
		}
	}
	return nil
}

func writeProcsBeneath(dir, rel string, pid int) error {
	d, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	defer unix.Close(d)
	fd, err := unix.Openat2(d, filepath.Join(rel, "cgroup.procs"), &unix.OpenHow{
		Flags:   unix.O_WRONLY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV,
	})
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("sub-cgroup %s of %s does not exist", rel, dir)
		}
		if errors.Is(err, unix.EXDEV) {
			return fmt.Errorf("sub-cgroup %s is outside the container's cgroup %s", rel, dir)
		}
		return fmt.Errorf("open %s/%s: %w", dir, rel, err)
	}
	defer unix.Close(fd)
	if _, err := unix.Write(fd, []byte(strconv.Itoa(pid))); err != nil {
		return fmt.Errorf("join %s/%s: %w", dir, rel, err)
	}
	return nil
}
