package libcontainer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/internal/fault"
	"github.com/hako-runtime/hako/libcontainer/caps"
	"github.com/hako-runtime/hako/libcontainer/intelrdt"
	"github.com/hako-runtime/hako/libcontainer/logs"
	"github.com/hako-runtime/hako/libcontainer/lsm"
	rfs "github.com/hako-runtime/hako/libcontainer/rootfs"
	"github.com/hako-runtime/hako/libcontainer/trace"
	"github.com/hako-runtime/hako/libcontainer/validate"
)

// CreateOpts are the create-time flags of `create` and `run`.
type CreateOpts struct {
	Root          string
	ID            string
	Bundle        string
	PidFile       string
	ConsoleSocket string
	NoPivot       bool
	NoNewKeyring  bool
	PreserveFDs   int
	Systemd       bool
	// Rootless is --rootless resolved: a cgroup the caller may not make
	// or join is tolerated when no limit needs it (cgroups.Config).
	Rootless bool
	// RootSticky: Root is the default one under XDG_RUNTIME_DIR.
	RootSticky bool
	// ConsoleConn, when set, is used as the console socket instead of
	// dialling ConsoleSocket (foreground `run -t` receives the pty itself).
	ConsoleConn *os.File
	// Foreground keeps the init as this process's child (for `run`).
	Foreground bool
	// StartNow says `start` follows at once (`run`, detached or not).
	StartNow bool
	Log      *logs.Logger
	// Spec, when set, is the already parsed config.json of Bundle (run
	// reads it once to learn about the terminal).
	Spec *specs.Spec
	// NotifySocket is the caller's NOTIFY_SOCKET: the container gets a
	// socket of its own, proxied by start (see notify.go).
	NotifySocket string
	// ListenFDs is the number of socket-activation fds (LISTEN_FDS) the
	// caller got from its own activator; they are passed at fd 3 onwards,
	// before the --preserve-fds ones, with LISTEN_FDS/LISTEN_PID set.
	ListenFDs int
	// PidfdSocket receives a pidfd of the container process.
	PidfdSocket string
	// Stdio, when set, is the process's stdin, stdout and stderr instead
	// of ours (foreground `run` gives pipes, as runc does).
	Stdio []*os.File
}

// LoadSpec reads bundle/config.json; a syntax error names line and column.
func LoadSpec(bundle string) (*specs.Spec, error) {
	p := filepath.Join(bundle, "config.json")
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var s specs.Spec
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&s); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line, col := lineCol(b, se.Offset)
			return nil, fmt.Errorf("parse %s: line %d, column %d: %w", p, line, col, err)
		case errors.As(err, &te):
			line, col := lineCol(b, te.Offset)
			return nil, fmt.Errorf("parse %s: field %s: line %d, column %d: %w", p, te.Field, line, col, err)
		}
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	return &s, nil
}

func lineCol(b []byte, off int64) (int, int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	pre := b[:off]
	line := bytes.Count(pre, []byte("\n")) + 1
	return line, int(off) - bytes.LastIndexByte(pre, '\n')
}

// CheckRootless refuses, as runc does, a config without a user namespace
// from a caller that is not root (in any user namespace): nothing else
// it asks for could be made. run calls it before making stdio pipes.
func CheckRootless(s *specs.Spec) error {
	if os.Geteuid() != 0 && s.Linux != nil && !validate.HasNamespace(s, specs.UserNamespace) {
		return fmt.Errorf("linux.namespaces: a rootless container needs a user namespace (hako runs as uid %d; see spec --rootless)", os.Geteuid())
	}
	return nil
}

// prepared is a bundle checked for create or restore, before anything
// is made.
type prepared struct {
	bundle, rootfs string
	spec           *specs.Spec
	mounts         []rfs.MountOp // rfs.Plan of spec.Mounts
	rdt            *intelrdt.Group
}

// prepare reads and checks o's bundle: the config, the rootfs, the
// mounts, resctrl and the console options. It makes nothing.
func prepare(o *CreateOpts) (*prepared, error) {
	if err := validate.ID(o.ID); err != nil {
		return nil, err
	}
	bundle, err := filepath.Abs(o.Bundle)
	if err != nil {
		return nil, err
	}
	o.Log.Debugf("creating container %s from bundle %s", o.ID, bundle)
	spec := o.Spec
	if spec == nil {
		if spec, err = LoadSpec(bundle); err != nil {
			return nil, err
		}
	}
	if err := validate.Spec(spec); err != nil {
		return nil, err
	}
	if _, unknown := caps.FromSpec(spec.Process.Capabilities); len(unknown) > 0 {
		o.Log.Warnf("%s", caps.UnknownWarning(unknown))
	}
	if w := validate.PersonalityWarning(spec.Linux.Personality); w != "" {
		o.Log.Warnf("%s", w)
	}
	if err := lsm.CheckSpec(spec, lsm.Detect()); err != nil {
		return nil, err
	}
	if err := checkNamespacePaths(spec); err != nil {
		return nil, err
	}
	if err := CheckRootless(spec); err != nil {
		return nil, err
	}
	p := &prepared{bundle: bundle, spec: spec}
	// resctrl is checked before anything is made; the group is made
	// once the init's pid is known (createInit.pid).
	if spec.Linux.IntelRdt != nil {
		if p.rdt, err = intelrdt.Plan(spec.Linux.IntelRdt, o.ID); err != nil {
			return nil, err
		}
		if p.rdt.Root, err = intelrdt.Detect(); err != nil {
			return nil, err
		}
	}
	trace.Mark("spec validated")
	rootfs := spec.Root.Path
	if !filepath.IsAbs(rootfs) {
		// Relative to the bundle as the kernel names it (runc chdirs
		// into the bundle and asks getcwd), so a symlink on the way to
		// the bundle is fine; one inside root.path is not (below).
		realBundle, err := filepath.EvalSymlinks(bundle)
		if err != nil {
			return nil, fmt.Errorf("bundle %s: %w", bundle, err)
		}
		rootfs = filepath.Join(realBundle, rootfs)
	}
	if st, err := os.Stat(rootfs); err != nil {
		return nil, fmt.Errorf("root.path: rootfs %s: %w", rootfs, err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("root.path: rootfs %s is not a directory", rootfs)
	}
	// As runc's config validation: the rootfs is named without symlinks,
	// so what was checked is what gets mounted (a swapped link cannot
	// move the container onto another tree).
	if real, err := filepath.EvalSymlinks(rootfs); err != nil {
		return nil, fmt.Errorf("root.path: %w", err)
	} else if real != filepath.Clean(rootfs) {
		return nil, fmt.Errorf("root.path: rootfs %s is a symlink or passes through one (to %s): invalid rootfs", rootfs, real)
	}
	p.rootfs = filepath.Clean(rootfs)
	// A relative bind source is relative to the bundle, as in runc, not
	// to wherever hako was started from.
	spec.Mounts = append([]specs.Mount(nil), spec.Mounts...)
	for i := range spec.Mounts {
		if m := &spec.Mounts[i]; rfs.IsBind(m) && !filepath.IsAbs(m.Source) {
			m.Source = filepath.Join(bundle, m.Source)
		}
	}
	// The mounts are checked and planned here, before anything is made;
	// the init only applies the plan.
	if p.mounts, err = rfs.Plan(spec); err != nil {
		return nil, err
	}
	if spec.Process.Terminal && o.ConsoleSocket == "" && o.ConsoleConn == nil {
		return nil, errors.New("cannot allocate tty if hako will detach without setting console socket")
	}
	// A foreground run relays its own terminal: a socket makes no sense.
	if (!spec.Process.Terminal || o.Foreground) && o.ConsoleSocket != "" {
		return nil, errors.New("cannot use console socket if hako will not detach or allocate tty")
	}
	return p, nil
}

// makeLockedDir makes the state directory dir, in root, and returns its
// lock, taken before dir has its name: a directory made there and locked
// after was briefly unlocked and empty, which another command read as the
// debris of a killed create (stopped, no config: exec panicked on it,
// delete would have removed it under its creator; found by make stress).
// It is made under a temporary name no container ID can have ("@" is
// not an ID character), locked and renamed into place, never replacing
// (os.ErrExist when the ID is taken). A file system without
// RENAME_NOREPLACE gets the plain mkdir-then-lock.
func makeLockedDir(root, dir string) (int, error) {
	var tmp string
	for i := 0; ; i++ {
		tmp = filepath.Join(root, fmt.Sprintf(".new@%d.%d", os.Getpid(), time.Now().UnixNano()))
		err := unix.Mkdir(tmp, 0o711)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EEXIST) || i == 8 {
			return -1, fmt.Errorf("create state dir: %w", &os.PathError{Op: "mkdir", Path: tmp, Err: err})
		}
	}
	lock, err := lockDir(tmp, false)
	if err != nil {
		os.Remove(tmp)
		return -1, fmt.Errorf("lock state dir: %w", err)
	}
	err = unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_NOREPLACE)
	if err == nil {
		return lock, nil
	}
	unix.Close(lock)
	os.Remove(tmp)
	if errors.Is(err, unix.EEXIST) {
		return -1, os.ErrExist
	}
	if !errors.Is(err, unix.EINVAL) {
		return -1, fmt.Errorf("create state dir: %w", &os.LinkError{Op: "rename", Old: tmp, New: dir, Err: err})
	}
	if err := os.Mkdir(dir, 0o711); err != nil {
		if errors.Is(err, os.ErrExist) {
			return -1, os.ErrExist
		}
		return -1, fmt.Errorf("create state dir: %w", err)
	}
	if lock, err = lockDir(dir, false); err != nil {
		os.RemoveAll(dir)
		return -1, fmt.Errorf("lock state dir: %w", err)
	}
	return lock, nil
}

// newContainer makes and locks the state directory of a container that
// is being created (Load says it does not exist until state.json is
// written).
func newContainer(o *CreateOpts, p *prepared) (*Container, error) {
	if err := EnsureRoot(o.Root, o.RootSticky); err != nil {
		return nil, err
	}
	dir := filepath.Join(o.Root, o.ID)
	lock, err := makeLockedDir(o.Root, dir)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("container %s: %w", o.ID, ErrExist)
	} else if err != nil {
		return nil, err
	}
	trace.Mark("state dir locked")
	c := &Container{ID: o.ID, dir: dir, lock: lock, Status: Creating, HookDir: p.bundle}
	c.st = persisted{
		ID: o.ID, Bundle: p.bundle, Rootfs: p.rootfs, Created: time.Now().UTC(),
		Annotations: p.spec.Annotations, Config: p.spec, CgroupPath: p.spec.Linux.CgroupsPath, Systemd: o.Systemd,
		Rootless: o.Rootless,
	}
	return c, nil
}

// Create builds the container up to the start barrier. On any failure it
// removes everything it made: state directory, cgroup, processes.
func Create(o *CreateOpts) (c *Container, err error) {
	p, err := prepare(o)
	if err != nil {
		return nil, err
	}
	spec, mounts, dir := p.spec, p.mounts, ""
	nc, err := newContainer(o, p)
	if err != nil {
		return nil, err
	}
	c, dir = nc, nc.dir
	fault.Point("create.state-dir", 0)
	sp := newCreateInit(c, o, spec, mounts)
	sp.rdt = p.rdt
	defer sp.close()
	defer func() {
		if err != nil {
			sp.abort()
			removeStateDir(dir)
			nc.Unlock()
			c = nil
		}
	}()
	if err := c.checkCgroupUnused(); err != nil {
		return nil, err
	}
	pidfdSock, err := dialPidfdSocket(o.PidfdSocket)
	if err != nil {
		return nil, err
	}
	defer pidfdSock.close()
	if o.NotifySocket != "" || o.ListenFDs > 0 {
		// What the caller's environment adds is for this process only:
		// the persisted config (which exec starts from) stays as given.
		run, proc := *spec, *spec.Process
		proc.Env = append([]string(nil), proc.Env...)
		run.Mounts = append([]specs.Mount(nil), spec.Mounts...)
		run.Process = &proc
		sp.spec = &run
		if o.NotifySocket != "" {
			if err := c.setupNotify(&run); err != nil {
				return nil, err
			}
			// the socket's bind mount joins the plan
			if sp.mounts, err = rfs.Plan(&run); err != nil {
				return nil, err
			}
		}
		if o.ListenFDs > 0 {
			proc.Env = append(proc.Env, "LISTEN_FDS="+strconv.Itoa(o.ListenFDs), "LISTEN_PID=1")
			o.PreserveFDs += o.ListenFDs
		}
	}
	if err := sp.run(); err != nil {
		return nil, err
	}
	if err := pidfdSock.send(c.st.InitPid); err != nil {
		return nil, err
	}
	if err := c.save(); err != nil {
		return nil, fmt.Errorf("save state: %w", err)
	}
	fault.Point("create.saved", c.st.InitPid)
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, c.st.InitPid); err != nil {
			return nil, err
		}
	}
	c.Status = Created
	trace.Mark("created")
	if o.Log != nil {
		o.Log.Debugf("container %s created: init pid %d", o.ID, c.st.InitPid)
	}
	return c, nil
}

func writePidFile(path string, pid int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(abs, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		// The error names the temporary file next to it: name the
		// one the caller gave.
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("--pid-file %s: %w", abs, err)
	}
	return nil
}

// mapsFor renders a spec id mapping as /proc/pid/[ug]id_map text.
func mapsFor(m []specs.LinuxIDMapping) []byte {
	var b strings.Builder
	for _, e := range m {
		fmt.Fprintf(&b, "%d %d %d\n", e.ContainerID, e.HostID, e.Size)
	}
	return []byte(b.String())
}
