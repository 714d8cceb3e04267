package libcontainer

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/checkpoint-restore/go-criu/v7/rpc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"

	"github.com/hako-runtime/hako/cgroups"
	"github.com/hako-runtime/hako/internal/fdpass"
	"github.com/hako-runtime/hako/libcontainer/intelrdt"
	rfs "github.com/hako-runtime/hako/libcontainer/rootfs"
	"github.com/hako-runtime/hako/libcontainer/validate"
)

// RestoreOpts are runc's `restore` flags (runc-restore(8)): the new
// container's, as create's (Bundle, PidFile, ConsoleSocket or
// ConsoleConn, Stdio ...), and CRIU's, as checkpoint's (ImagePath,
// WorkPath, TCPEstablished, ExtUnixSk, ShellJob, FileLocks,
// ManageCgroupsMode, EmptyNS, AutoDedup, LazyPages, CriuPath).
type RestoreOpts struct {
	CreateOpts
	Criu CheckpointOpts
	// LsmProfile ("apparmor:NAME" or "selinux:LABEL") and
	// LsmMountContext replace the dumped ones (CRIU >= 3.16).
	LsmProfile, LsmMountContext string
}

// minCriuLSM: older CRIUs cannot set another LSM profile (runc's check).
const minCriuLSM = 31600

// minCriuYard is the first CRIU that takes a cgroup yard over RPC
// (cgroup_yard).
const minCriuYard = 31500

// checkRestore refuses bad arguments before anything is made: the image
// directory must hold a checkpoint.
func (o *RestoreOpts) checkRestore() (image, work string, err error) {
	image, work, err = o.Criu.check()
	if err != nil {
		return "", "", err
	}
	if _, err := os.Stat(filepath.Join(image, "inventory.img")); err != nil {
		return "", "", fmt.Errorf("--image-path %s: no checkpoint there: %w", image, err)
	}
	if p := o.LsmProfile; p != "" && !strings.HasPrefix(p, "apparmor:") && !strings.HasPrefix(p, "selinux:") {
		return "", "", fmt.Errorf("--lsm-profile %q: want apparmor:NAME or selinux:LABEL", p)
	}
	return image, work, nil
}

// Restore makes container o.ID from the bundle and restores into it the
// processes CRIU dumped in the image directory: under any ID, in a new
// cgroup (its limits set before CRIU forks anything into it), with the
// bundle's bind mounts, namespaces joined by path and the restore
// caller's stdio (o.Stdio, else ours) in place of the dumped pipes and
// outside files. A terminal's new pty master goes to the console socket.
// On failure nothing is left: no state, cgroup, mount or process, and
// the error quotes CRIU's log.
func Restore(o *RestoreOpts) (c *Container, err error) {
	if err := validate.ID(o.ID); err != nil {
		return nil, err
	}
	image, work, err := o.checkRestore()
	if err != nil {
		return nil, err
	}
	p, err := prepare(&o.CreateOpts)
	if err != nil {
		return nil, err
	}
	spec := p.spec
	criuPath, version, err := criuAt(o.Criu.CriuPath)
	if err != nil {
		return nil, err
	}
	if (o.LsmProfile != "" || o.LsmMountContext != "") && version < minCriuLSM {
		return nil, errors.New("--lsm-profile and --lsm-mount-context need at least CRIU 3.16")
	}
	stdio, err := readStdio(image)
	if err != nil {
		return nil, err
	}
	nsFiles, nsOpts, err := restoreNamespaces(spec)
	if err != nil {
		return nil, err
	}
	defer closeFiles(nsFiles)
	if err := os.MkdirAll(work, 0o700); err != nil {
		return nil, fmt.Errorf("--work-path: %w", err)
	}
	imageDir, err := os.Open(image)
	if err != nil {
		return nil, fmt.Errorf("--image-path: %w", err)
	}
	defer imageDir.Close()
	workDir, err := os.Open(work)
	if err != nil {
		return nil, fmt.Errorf("--work-path: %w", err)
	}
	defer workDir.Close()

	nc, err := newContainer(&o.CreateOpts, p)
	if err != nil {
		return nil, err
	}
	c = nc
	r := &restorer{c: c, o: o, spec: spec, rdt: p.rdt}
	defer func() {
		if err != nil {
			r.undo()
			removeStateDir(nc.dir)
			nc.Unlock()
			c = nil
		}
	}()
	if err := c.checkCgroupUnused(); err != nil {
		return nil, err
	}
	// CRIU wants its root to be a mount point whose parent is not
	// over-mounted: a bind of the rootfs in the state directory, gone
	// once the restored tasks have their own mount namespace.
	criuRoot := filepath.Join(c.dir, criuRootName)
	if err := os.Mkdir(criuRoot, 0o700); err != nil {
		return nil, fmt.Errorf("criu root: %w", err)
	}
	if err := unix.Mount(p.rootfs, criuRoot, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return nil, fmt.Errorf("criu root: bind %s: %w", p.rootfs, err)
	}
	defer func() {
		unix.Unmount(criuRoot, unix.MNT_DETACH)
		os.Remove(criuRoot)
	}()
	if err := rfs.RestoreMountpoints(p.rootfs, p.mounts); err != nil {
		return nil, err
	}
	if spec.Root.Readonly {
		// CRIU takes the restored root mount as this bind is: without
		// this, root.readonly would be lost across a checkpoint.
		if err := unix.Mount("", criuRoot, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
			return nil, fmt.Errorf("root.readonly: criu root: %w", err)
		}
	}

	opts := &rpc.CriuOpts{
		LogLevel:        proto.Int32(4),
		LogFile:         proto.String("restore.log"),
		Root:            proto.String(criuRoot),
		ManageCgroups:   proto.Bool(true),
		NotifyScripts:   proto.Bool(true),
		RstSibling:      proto.Bool(true), // the restored init is our child, not criu's
		EvasiveDevices:  proto.Bool(true),
		TcpEstablished:  proto.Bool(o.Criu.TCPEstablished),
		ExtUnixSk:       proto.Bool(o.Criu.ExtUnixSk),
		ShellJob:        proto.Bool(o.Criu.ShellJob),
		FileLocks:       proto.Bool(o.Criu.FileLocks),
		AutoDedup:       proto.Bool(o.Criu.AutoDedup),
		LazyPages:       proto.Bool(o.Criu.LazyPages),
		OrphanPtsMaster: proto.Bool(spec.Process.Terminal),
		ConfigFile:      criuConfigFile(spec.Annotations),
		JoinNs:          nsOpts.JoinNs,
		InheritFd:       nsOpts.InheritFd,
	}
	if m, ok := manageCgroupsModes[o.Criu.ManageCgroupsMode]; ok {
		opts.ManageCgroupsMode = &m
	}
	for _, ns := range o.Criu.EmptyNS {
		if ns == "network" {
			opts.EmptyNs = proto.Uint32(unix.CLONE_NEWNET)
		}
	}
	if o.LsmProfile != "" {
		opts.LsmProfile = proto.String(o.LsmProfile)
	}
	if o.LsmMountContext != "" {
		opts.LsmMountContext = proto.String(o.LsmMountContext)
	}
	opts.ExtMnt = restoreMounts(spec)
	files := o.Stdio
	if files == nil {
		files = []*os.File{os.Stdin, os.Stdout, os.Stderr}
	}
	files, opened, err := stdio.standIns(files, opts)
	if err != nil {
		return nil, err
	}
	defer closeFiles(opened)
	// CRIU's cgroup yard: a tmpfs of its own mount namespace on an empty
	// directory of ours (CRIU >= 3.15 takes one), so that a restore killed
	// half-way leaves nothing in the work directory either.
	yard := ""
	if version >= minCriuYard {
		yard = filepath.Join(c.dir, criuYardName)
		if err := os.Mkdir(yard, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("criu cgroup yard: %w", err)
		}
		defer os.Remove(yard)
		opts.CgroupYard = proto.String(yard)
	}
	w, err := startSwrk(criuPath, files, nsFiles, spec.Process.NoNewPrivileges, yard)
	if err != nil {
		return nil, err
	}
	r.w = w
	if err := w.dirs(opts, imageDir, workDir); err != nil {
		return nil, err
	}
	if err := r.cgroup(w.Pid(), opts); err != nil {
		return nil, err
	}
	t := rpc.CriuReqType_RESTORE
	o.Log.Debugf("criu restore of %s from %s", c.ID, image)
	_, err = w.call(&rpc.CriuReq{Type: &t, Opts: opts}, r.notify)
	if cerr := w.close(); err == nil {
		err = cerr
	}
	r.w = nil
	if r.notifyErr != nil {
		// hako's own part failed (a hook, the console socket): CRIU
		// only aborted because of it
		return nil, r.notifyErr
	}
	if err != nil {
		return nil, fmt.Errorf("criu failed: type RESTORE: %w%s", oneLine{err}, criuLog(filepath.Join(work, "restore.log")))
	}
	if c.st.InitPid == 0 {
		return nil, errors.New("criu restored nothing: no post-restore notification")
	}
	r.timeNamespace()
	if err := c.save(); err != nil {
		return nil, fmt.Errorf("save state: %w", err)
	}
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, c.st.InitPid); err != nil {
			return nil, err
		}
	}
	c.refresh()
	o.Log.Debugf("container %s restored: init pid %d", c.ID, c.st.InitPid)
	return c, nil
}

// restorer is what Restore has made so far, for its notifications and
// for undo.
type restorer struct {
	c    *Container
	o    *RestoreOpts
	spec *specs.Spec
	rdt  *intelrdt.Group // linux.intelRdt's planned group, nil without one
	w    *swrk
	cg   cgroups.Manager
	// notifyErr is hako's own failure while answering CRIU.
	notifyErr error
}

// cgroup makes the container's cgroup with its limits and puts the
// worker in it (and in the resctrl group): the tasks CRIU forks are born
// there. CRIU is told it is the root of the dumped cgroup tree
// (--cgroup-root), and what the cgroup mounts of a container without a
// cgroup namespace show.
func (r *restorer) cgroup(pid int, opts *rpc.CriuOpts) error {
	c := r.c
	m, err := c.cgroup()
	if err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	// Recorded before it exists, as create does: a restore killed from
	// here on leaves a cgroup that delete must find.
	c.st.CgroupPaths = m.Paths()
	if err := c.saveCreating(); err != nil {
		return err
	}
	if err := m.Apply(pid); errors.Is(err, cgroups.ErrRootless) {
		c.st.NoCgroup, c.st.CgroupPaths = true, nil
	} else if err != nil {
		return fmt.Errorf("cgroup: %w", err)
	} else {
		r.cg = m
		c.st.CgroupPaths = m.Paths()
		if res := effectiveResources(r.spec); res != nil {
			if err := m.Set(res); err != nil {
				return fmt.Errorf("linux.resources: %w", err)
			}
		}
	}
	if rdt := r.rdt; rdt != nil {
		if err := rdt.Apply(rdt.Root, pid); err != nil {
			return err
		}
		c.st.IntelRdt = rdt
	}
	if c.st.NoCgroup {
		return nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 {
			opts.CgRoot = append(opts.CgRoot, &rpc.CgroupRoot{Ctrl: proto.String(parts[1]), Path: proto.String(parts[2])})
		}
	}
	if validate.HasNamespace(r.spec, specs.CgroupNamespace) {
		return nil
	}
	for _, op := range r.spec.Mounts {
		if op.Type != "cgroup" && op.Type != "cgroup2" {
			continue
		}
		srcs, err := rfs.CgroupSources(rfs.Dest(&op), pid)
		if err != nil {
			return fmt.Errorf("cgroup mounts: %w", err)
		}
		for dest, src := range srcs {
			opts.ExtMnt = append(opts.ExtMnt, &rpc.ExtMountMap{Key: proto.String(dest), Val: proto.String(src)})
		}
	}
	return nil
}

// notify answers CRIU's notifications during the restore; its own
// failure is kept in notifyErr.
func (r *restorer) notify(n *rpc.CriuNotify, fds []int) error {
	err := r.answer(n, fds)
	if err != nil {
		r.notifyErr = err
	}
	return err
}

func (r *restorer) answer(n *rpc.CriuNotify, fds []int) error {
	defer fdpass.Close(fds)
	switch n.GetScript() {
	case "setup-namespaces":
		// The namespaces exist and nothing of the container runs yet:
		// where create runs prestart and createRuntime hooks (runc too).
		return runCreateHooks(r.c, r.spec, int(n.GetPid()))
	case "post-restore":
		pid := int(n.GetPid())
		start, _, err := procStart(pid)
		if err != nil {
			return fmt.Errorf("restored init %d: %w", pid, err)
		}
		r.c.st.InitPid, r.c.st.InitStart = pid, start
		r.c.st.Created = time.Now().UTC()
		if err := r.c.saveCreating(); err != nil {
			return err
		}
	case "orphan-pts-master":
		if len(fds) != 1 {
			return errors.New("criu sent no pty master")
		}
		return r.sendConsole(fds[0])
	}
	return nil
}

// sendConsole passes the restored terminal's pty master on as create
// does: over the console socket (or run's own relay), with the slave's
// name as the payload.
func (r *restorer) sendConsole(master int) error {
	name := "/dev/ptmx"
	if n, err := unix.IoctlGetUint32(master, unix.TIOCGPTN); err == nil {
		name = fmt.Sprintf("/dev/pts/%d", n)
	}
	if r.o.ConsoleConn != nil {
		_, err := fdpass.Send(r.o.ConsoleConn, []byte(name), master)
		return err
	}
	s, err := net.Dial("unix", r.o.ConsoleSocket)
	if err != nil {
		return fmt.Errorf("connect to console socket %s: %w", r.o.ConsoleSocket, err)
	}
	defer s.Close()
	if _, err := fdpass.Send(s.(*net.UnixConn), []byte(name), master); err != nil {
		return fmt.Errorf("send pty master over console socket: %w", err)
	}
	return nil
}

// timeNamespace: CRIU restores the tasks into a time namespace of its
// own (keeping their monotonic clocks); exec must join it, so the
// persisted config says the container has one, as runc does.
func (r *restorer) timeNamespace() {
	if validate.HasNamespace(r.spec, specs.TimeNamespace) {
		return
	}
	ours, err1 := os.Readlink("/proc/self/ns/time")
	theirs, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/time", r.c.st.InitPid))
	if err1 == nil && err2 == nil && ours != theirs {
		r.spec.Linux.Namespaces = append(r.spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
	}
}

// undo removes what a failed restore made: the worker, the restored
// processes, the cgroup and the resctrl group.
func (r *restorer) undo() {
	if r.w != nil {
		r.w.cmd.Process.Kill()
		r.w.close()
	}
	if pid := r.c.st.InitPid; pid > 0 && r.c.st.initAlive() {
		unix.Kill(pid, unix.SIGKILL)
	}
	if r.cg != nil {
		r.c.destroyCgroup()
	}
	if g := r.c.st.IntelRdt; g != nil {
		g.Destroy("")
	}
}

// restoreNamespaces: namespaces the spec joins by path. A network or
// pid namespace was dumped as external (externalNamespaces) and is handed
// to CRIU as an open file under the same key; others are joined by CRIU
// (JoinNs). CRIU cannot join a cgroup namespace.
func restoreNamespaces(s *specs.Spec) ([]*os.File, *rpc.CriuOpts, error) {
	opts := &rpc.CriuOpts{}
	var files []*os.File
	for _, ns := range s.Linux.Namespaces {
		if ns.Path == "" {
			continue
		}
		field := fmt.Sprintf("linux.namespaces: %s path %s", ns.Type, ns.Path)
		switch ns.Type {
		case specs.NetworkNamespace, specs.PIDNamespace:
			f, err := os.Open(ns.Path)
			if err != nil {
				closeFiles(files)
				return nil, nil, fmt.Errorf("%s: %w", field, err)
			}
			key := "extRootNetNS"
			if ns.Type == specs.PIDNamespace {
				key = "extRootPidNS"
			}
			// fd 3 is the worker's socket, 4 onwards these files
			opts.InheritFd = append(opts.InheritFd, &rpc.InheritFd{Key: proto.String(key), Fd: proto.Int32(int32(4 + len(files)))})
			files = append(files, f)
		case specs.CgroupNamespace:
			closeFiles(files)
			return nil, nil, fmt.Errorf("%s: CRIU cannot restore into a cgroup namespace joined by path", field)
		default:
			opts.JoinNs = append(opts.JoinNs, &rpc.JoinNamespace{Ns: proto.String(procNSName[ns.Type]), NsFile: proto.String(ns.Path)})
		}
	}
	return files, opts, nil
}

func closeFiles(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// restoreMounts maps the external mounts of a dump (externalMounts,
// keyed by destination; masked files all as "/dev/null", as runc keys
// them) to what is bound there now: bind sources from the bundle being
// restored, the host's device nodes (/dev/null among them).
func restoreMounts(s *specs.Spec) []*rpc.ExtMountMap {
	var out []*rpc.ExtMountMap
	add := func(key, val string) {
		out = append(out, &rpc.ExtMountMap{Key: proto.String(filepath.Clean(key)), Val: proto.String(val)})
	}
	for i := range s.Mounts {
		if m := &s.Mounts[i]; rfs.IsBind(m) {
			add(m.Destination, m.Source)
		}
	}
	for _, d := range devicePaths(s) {
		add(d, d)
	}
	return out
}

// standIns says what CRIU gives the restored process in place of the
// dumped stdio it cannot restore by itself (opts.InheritFd, keyed as the
// dump keyed them), at the worker's fds 0-2, and returns those files.
// A pipe is replaced by the restore's own stdio (ours), as runc does. A
// file outside the container is replaced by ours when that is a file of
// the same type and mode: CRIU checks those, and the size as at the dump,
// so in practice the same file, unchanged (`restore -d >>log`); a dumped
// /dev/null by /dev/null when ours is something else. Otherwise the
// restore is refused before CRIU runs, saying what to give. The dumped file is never opened by its
// path: the path comes from the image, and an image must not choose
// which host file a process it restores may write.
func (s *stdioInfo) standIns(ours []*os.File, opts *rpc.CriuOpts) (files, opened []*os.File, err error) {
	files = append([]*os.File(nil), ours...)
	for len(files) < 3 {
		files = append(files, nil)
	}
	for i := 0; i < 3; i++ {
		e := s.External[i]
		key := e.Key
		switch {
		case strings.HasPrefix(s.Links[i], "pipe:"):
			key = s.Links[i]
		case key == "" || sameMode(files[i], e.Mode):
		case e.Mode&unix.S_IFMT == unix.S_IFCHR && e.Rdev == unix.Mkdev(1, 3):
			f, err := os.OpenFile("/dev/null", os.O_RDWR, 0)
			if err != nil {
				closeFiles(opened)
				return nil, nil, err
			}
			opened = append(opened, f)
			files[i] = f
		default:
			closeFiles(opened)
			return nil, nil, fmt.Errorf("stdio fd %d of the checkpoint was %s (mode %#o), outside the container: CRIU needs that file, unchanged since the dump, as restore's own fd %d (%d>>%s)", i, s.Links[i], e.Mode, i, i, s.Links[i])
		}
		if key != "" {
			opts.InheritFd = append(opts.InheritFd, &rpc.InheritFd{Key: proto.String(key), Fd: proto.Int32(int32(i))})
		}
	}
	return files, opened, nil
}

// sameMode says whether f is open on a file of type and permissions mode.
func sameMode(f *os.File, mode uint32) bool {
	var st unix.Stat_t
	return f != nil && unix.Fstat(int(f.Fd()), &st) == nil && st.Mode == mode
}
