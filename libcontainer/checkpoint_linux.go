package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/checkpoint-restore/go-criu/v7/rpc"
	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"

	"github.com/hako-runtime/hako/cgroups"
	"github.com/hako-runtime/hako/internal/fdpass"
	"github.com/hako-runtime/hako/libcontainer/logs"
	rfs "github.com/hako-runtime/hako/libcontainer/rootfs"
	"github.com/hako-runtime/hako/libcontainer/validate"
)

// CheckpointOpts are runc's `checkpoint` flags (runc's man page
// runc-checkpoint(8); CRIU's RPC, criu/rpc.proto, says what each does).
type CheckpointOpts struct {
	CriuPath   string // the criu binary (global --criu)
	ImagePath  string // where the images go; made if missing
	WorkPath   string // logs and work files; ImagePath when empty
	ParentPath string // a previous pre-dump, relative to ImagePath
	// PageServer is "ADDRESS:PORT": pages go to a criu page-server.
	PageServer string
	// ManageCgroupsMode is soft, full, strict or ignore ("" is CRIU's
	// default, soft).
	ManageCgroupsMode string
	// EmptyNS names namespaces CRIU makes empty instead of dumping
	// ("network": the engine sets it up again at restore).
	EmptyNS []string
	// StatusFD, when >= 0, is an fd of ours CRIU writes \0 to once the
	// dump is done (lazy pages: the source may then be stopped).
	StatusFD int

	LeaveRunning, TCPEstablished, TCPSkipInFlight, LinkRemap, ExtUnixSk bool
	ShellJob, FileLocks, PreDump, AutoDedup, LazyPages                  bool
}

var manageCgroupsModes = map[string]rpc.CriuCgMode{
	"soft": rpc.CriuCgMode_SOFT, "full": rpc.CriuCgMode_FULL,
	"strict": rpc.CriuCgMode_STRICT, "ignore": rpc.CriuCgMode_IGNORE,
}

// check refuses bad arguments before CRIU runs; it returns the resolved
// image and work directories.
func (o *CheckpointOpts) check() (image, work string, err error) {
	if o.ImagePath == "" {
		cwd, err := os.Getwd()
		if err != nil {
			return "", "", err
		}
		o.ImagePath = filepath.Join(cwd, "checkpoint")
	}
	image, err = filepath.Abs(o.ImagePath)
	if err != nil {
		return "", "", fmt.Errorf("--image-path: %w", err)
	}
	work = image
	if o.WorkPath != "" {
		if work, err = filepath.Abs(o.WorkPath); err != nil {
			return "", "", fmt.Errorf("--work-path: %w", err)
		}
	}
	if o.ParentPath != "" {
		if filepath.IsAbs(o.ParentPath) {
			return "", "", errors.New("--parent-path must be relative (to --image-path)")
		}
		if st, err := os.Stat(filepath.Join(image, o.ParentPath)); err != nil || !st.IsDir() {
			return "", "", fmt.Errorf("--parent-path %s: no such directory under %s", o.ParentPath, image)
		}
	}
	if o.ManageCgroupsMode != "" {
		if _, ok := manageCgroupsModes[o.ManageCgroupsMode]; !ok {
			return "", "", fmt.Errorf("--manage-cgroups-mode: invalid value %q (want soft, full, strict or ignore)", o.ManageCgroupsMode)
		}
	}
	if o.PageServer != "" {
		if _, _, err := splitPageServer(o.PageServer); err != nil {
			return "", "", err
		}
	}
	for _, ns := range o.EmptyNS {
		if ns != "network" {
			return "", "", fmt.Errorf("--empty-ns: %q is not supported (only network)", ns)
		}
	}
	return image, work, nil
}

// checkDump is check for a dump: lazy pages must be served from here.
func (o *CheckpointOpts) checkDump() (image, work string, err error) {
	if image, work, err = o.check(); err != nil {
		return "", "", err
	}
	if o.LazyPages && o.PageServer == "" && o.StatusFD < 0 {
		return "", "", errors.New("--lazy-pages needs --page-server or --status-fd (someone must serve the pages)")
	}
	if o.LazyPages && o.StatusFD >= 0 {
		// CRIU would only find out once the dump is done and waits for
		// its pages to be taken; nobody would hear that it is ready.
		// (Without --lazy-pages the flag means nothing, as in runc.)
		fl, err := unix.FcntlInt(uintptr(o.StatusFD), unix.F_GETFL, 0)
		if err != nil {
			return "", "", fmt.Errorf("--status-fd %d: %w", o.StatusFD, err)
		}
		if fl&unix.O_ACCMODE == unix.O_RDONLY {
			return "", "", fmt.Errorf("--status-fd %d: not open for writing", o.StatusFD)
		}
	}
	return image, work, nil
}

func splitPageServer(s string) (string, int32, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("--page-server %q: want ADDRESS:PORT: %w", s, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return "", 0, fmt.Errorf("--page-server %q: bad port", s)
	}
	return host, int32(p), nil
}

// Checkpoint dumps the running container with CRIU (pre-dumps it with
// o.PreDump). A failed dump leaves the container running (CRIU resumes
// the tasks it froze) and the error carries CRIU's own log lines; a
// complete dump without --leave-running ends the container, which is
// then deleted, as runc does.
func (c *Container) Checkpoint(o *CheckpointOpts, log *logs.Logger) error {
	if c.Status != Running && c.Status != Paused {
		// runc's words ("Container cannot be checkpointed in created state")
		return fmt.Errorf("container cannot be checkpointed in %s state", c.Status)
	}
	image, work, err := o.checkDump()
	if err != nil {
		return err
	}
	criuPath, version, err := criuAt(o.CriuPath)
	if err != nil {
		return err
	}
	spec, err := c.spec()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(image, 0o700); err != nil {
		return fmt.Errorf("--image-path: %w", err)
	}
	if err := os.MkdirAll(work, 0o700); err != nil {
		return fmt.Errorf("--work-path: %w", err)
	}
	imageDir, err := os.Open(image)
	if err != nil {
		return fmt.Errorf("--image-path: %w", err)
	}
	defer imageDir.Close()
	workDir, err := os.Open(work)
	if err != nil {
		return fmt.Errorf("--work-path: %w", err)
	}
	defer workDir.Close()
	// The init's stdio is read with the tasks frozen, as CRIU will dump
	// them: a running process may point fd 1 elsewhere for a moment
	// (sh's `echo $i >file`), and a snapshot taken while it runs mixed
	// one file's link with another's mount, or disagreed with the dump,
	// and the restore was refused (seen under podman in
	// tests/vm/checkpoint.sh). CRIU leaves a cgroup it found frozen
	// frozen, so the tasks are thawed here once it is done.
	var frozen cgroups.Manager
	thaw := func() {
		if frozen != nil {
			if err := frozen.Thaw(); err != nil {
				log.Warnf("thaw after the dump: %v", err)
			}
			frozen = nil
		}
	}
	defer thaw()
	if c.Status == Running {
		if m, err := c.cgroup(); err == nil && m.Path("freezer") != "" {
			if err := m.Freeze(); err != nil {
				return fmt.Errorf("freeze the container for the dump: %w", err)
			}
			frozen = m
		}
	}
	stdio := initStdio(c.st.InitPid)
	if !o.PreDump {
		if err := stdio.write(image); err != nil {
			return err
		}
	}
	logName := "dump.log"
	t := rpc.CriuReqType_DUMP
	if o.PreDump {
		logName, t = "pre-dump.log", rpc.CriuReqType_PRE_DUMP
	}
	opts := &rpc.CriuOpts{
		LogLevel:        proto.Int32(4),
		LogFile:         proto.String(logName),
		Root:            proto.String(c.st.Rootfs),
		Pid:             proto.Int32(int32(c.st.InitPid)),
		ManageCgroups:   proto.Bool(true),
		LeaveRunning:    proto.Bool(o.LeaveRunning || o.PreDump),
		TcpEstablished:  proto.Bool(o.TCPEstablished),
		TcpSkipInFlight: proto.Bool(o.TCPSkipInFlight),
		LinkRemap:       proto.Bool(o.LinkRemap),
		ExtUnixSk:       proto.Bool(o.ExtUnixSk),
		ShellJob:        proto.Bool(o.ShellJob),
		FileLocks:       proto.Bool(o.FileLocks),
		AutoDedup:       proto.Bool(o.AutoDedup),
		LazyPages:       proto.Bool(o.LazyPages),
		OrphanPtsMaster: proto.Bool(spec.Process != nil && spec.Process.Terminal),
		ConfigFile:      criuConfigFile(spec.Annotations),
	}
	if o.ParentPath != "" {
		opts.ParentImg = proto.String(o.ParentPath)
	}
	if o.PreDump || o.ParentPath != "" {
		opts.TrackMem = proto.Bool(true)
	}
	// A lazy dump ends when the restore elsewhere has taken every page:
	// that is the restorer's doing, so the container's lock is released
	// once CRIU says the dump is done and it serves the pages
	// ("status-ready", CRIU >= 3.15), and taken again for the delete.
	var notify func(*rpc.CriuNotify, []int) error
	released := false
	if o.LazyPages && version >= 31500 {
		opts.NotifyScripts = proto.Bool(true)
		notify = func(n *rpc.CriuNotify, fds []int) error {
			fdpass.Close(fds)
			if n.GetScript() != "status-ready" || released {
				return nil
			}
			if o.StatusFD >= 0 {
				if _, err := unix.Write(o.StatusFD, []byte{0}); err != nil {
					log.Warnf("--status-fd %d: %v", o.StatusFD, err)
				}
				unix.Close(o.StatusFD)
			}
			c.Unlock()
			released = true
			return nil
		}
	} else if o.LazyPages && o.StatusFD >= 0 {
		opts.StatusFd = proto.Int32(int32(o.StatusFD))
	}
	if m, ok := manageCgroupsModes[o.ManageCgroupsMode]; ok {
		opts.ManageCgroupsMode = &m
	}
	if o.PageServer != "" {
		host, port, _ := splitPageServer(o.PageServer)
		opts.Ps = &rpc.CriuPageServerInfo{Address: proto.String(host), Port: proto.Int32(port)}
	}
	for _, ns := range o.EmptyNS {
		if ns == "network" {
			opts.EmptyNs = proto.Uint32(unix.CLONE_NEWNET)
		}
	}
	// CRIU freezes the tasks with the container's freezer rather than
	// ptrace alone: a paused container stays paused, and nothing forks
	// away meanwhile.
	if m, err := c.cgroup(); err == nil {
		if p := m.Path("freezer"); p != "" {
			opts.FreezeCgroup = proto.String(p)
		}
	}
	opts.ExtMnt = externalMounts(spec, c.st.InitPid)
	if !validate.HasNamespace(spec, specs.CgroupNamespace) {
		// In a cgroup namespace the cgroup mounts are fresh ones
		// CRIU restores itself, relative to the namespace's root.
		opts.ExtMnt = append(opts.ExtMnt, cgroupMounts(c.st.InitPid)...)
	}
	opts.External = append(externalNamespaces(spec, c.st.InitPid), stdio.external()...)
	log.Debugf("criu %v of %s into %s", t, c.ID, image)
	err = criuRun(criuPath, &rpc.CriuReq{Type: &t, Opts: opts}, imageDir, workDir, notify)
	thaw()
	if err != nil {
		return fmt.Errorf("criu failed: type %v: %w%s", t, oneLine{err}, criuLog(filepath.Join(work, logName)))
	}
	if o.LeaveRunning || o.PreDump {
		return nil
	}
	if released {
		d, err := Load(filepath.Dir(c.dir), c.ID)
		if errors.Is(err, ErrNotExist) {
			return nil // deleted meanwhile
		} else if err != nil {
			return err
		}
		defer d.Unlock()
		c = d
	}
	// The tasks are gone with the dump: the container is stopped and
	// removed (its poststop hooks run), as runc does. Once it is gone, a
	// failing poststop hook is a warning, as in runc: the checkpoint
	// itself succeeded.
	c.refresh()
	if err := c.Delete(true, log); err != nil {
		if _, serr := os.Stat(c.dir); !errors.Is(serr, os.ErrNotExist) {
			return err
		}
		log.Warnf("%v", err)
	}
	return nil
}

// criuRun runs one request on a worker of its own (see swrk) with the
// image and work directories (swrk.dirs), notify for its notifications.
func criuRun(path string, req *rpc.CriuReq, image, work *os.File, notify func(*rpc.CriuNotify, []int) error) error {
	w, err := startSwrk(path, nil, nil, false, "")
	if err != nil {
		return err
	}
	if err := w.dirs(req.Opts, image, work); err != nil {
		w.close()
		return err
	}
	_, err = w.call(req, notify)
	if cerr := w.close(); err == nil {
		err = cerr
	}
	return err
}

// criuConfigFile is the CRIU configuration file for a container: the
// org.criu.config annotation when set (empty: none at all), else
// /etc/criu/hako.conf, read only if it exists (as runc does with its
// /etc/criu/runc.conf). Settings there override the RPC's.
func criuConfigFile(annotations map[string]string) *string {
	if f, ok := annotations["org.criu.config"]; ok {
		if f == "" {
			return nil
		}
		return proto.String(f)
	}
	return proto.String("/etc/criu/hako.conf")
}

// externalMounts tells CRIU which mounts come from outside the
// container's image, keyed by their destination: bind mounts (the
// engine's volumes, /etc/hosts...), masked files bound from /dev/null
// (masked directories are read-only tmpfs CRIU dumps itself), and device
// nodes, which are bind mounts where hako may not mknod. Restore binds
// the same keys again from their sources (restoreMounts).
func externalMounts(s *specs.Spec, pid int) []*rpc.ExtMountMap {
	var out []*rpc.ExtMountMap
	seen := map[string]bool{}
	add := func(dest string) {
		if dest = filepath.Clean(dest); !seen[dest] {
			seen[dest] = true
			out = append(out, &rpc.ExtMountMap{Key: proto.String(dest), Val: proto.String(dest)})
		}
	}
	for i := range s.Mounts {
		if rfs.IsBind(&s.Mounts[i]) {
			add(s.Mounts[i].Destination)
		}
	}
	for _, p := range maskedFiles(s, pid) {
		// runc's key: every masked file is the one external mount
		// "/dev/null", which runc's restore (and ours) binds from
		// the host's /dev/null
		if !seen[p] {
			seen[p] = true
			out = append(out, &rpc.ExtMountMap{Key: proto.String(p), Val: proto.String("/dev/null")})
		}
	}
	for _, d := range devicePaths(s) {
		add(d)
	}
	return out
}

// maskedFiles are linux.maskedPaths that are files in the container
// (/proc/<pid>/root: what the init sees), bound from /dev/null.
func maskedFiles(s *specs.Spec, pid int) []string {
	var out []string
	for _, p := range s.Linux.MaskedPaths {
		var st unix.Stat_t
		if unix.Stat(fmt.Sprintf("/proc/%d/root%s", pid, p), &st) == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			out = append(out, filepath.Clean(p))
		}
	}
	return out
}

// devicePaths are the device nodes hako gives a container: its default
// ones and linux.devices.
func devicePaths(s *specs.Spec) []string {
	var out []string
	for _, d := range append(append([]specs.LinuxDevice{}, rfs.DefaultDevices...), s.Linux.Devices...) {
		out = append(out, filepath.Clean(d.Path))
	}
	return out
}

// cgroupMounts: the cgroup mounts of a container without a cgroup
// namespace show a subtree of their hierarchy (its own cgroup: bound,
// not mounted) and are external to CRIU, which refuses a mount whose root
// is not mounted too ("doesn't have a proper root mount"). Read from the
// init's mountinfo, in the container's view.
func cgroupMounts(pid int) []*rpc.ExtMountMap {
	f, err := os.Open(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		return nil
	}
	defer f.Close()
	ms, err := mountinfo.GetMountsFromReader(f, func(m *mountinfo.Info) (skip, stop bool) {
		return (m.FSType != "cgroup" && m.FSType != "cgroup2") || m.Root == "/", false
	})
	if err != nil {
		return nil
	}
	var out []*rpc.ExtMountMap
	for _, m := range ms {
		out = append(out, &rpc.ExtMountMap{Key: proto.String(m.Mountpoint), Val: proto.String(m.Mountpoint)})
	}
	return out
}

// externalNamespaces: a network or pid namespace joined by path belongs
// to someone else (an engine's pod): CRIU records it as external instead
// of dumping it, keyed as runc keys it.
func externalNamespaces(s *specs.Spec, pid int) []string {
	var out []string
	for _, ns := range s.Linux.Namespaces {
		var key, name string
		switch ns.Type {
		case specs.NetworkNamespace:
			key, name = "extRootNetNS", "net"
		case specs.PIDNamespace:
			key, name = "extRootPidNS", "pid"
		default:
			continue
		}
		if ns.Path == "" {
			continue
		}
		var st unix.Stat_t
		if unix.Stat(fmt.Sprintf("/proc/%d/ns/%s", pid, name), &st) == nil {
			out = append(out, fmt.Sprintf("%s[%d]:%s", name, st.Ino, key))
		}
	}
	return out
}

// stdioInfo is where the init's fds 0-2 point at a dump: the links
// (/proc/<pid>/fd) runc saves as descriptors.json, and each file that
// lives outside the container (the caller's /dev/null, a log file: `run
// -d </dev/null >log`), which CRIU cannot find in the container's mounts:
// it is dumped as external under the key CRIU's files-reg.c gives it,
// `file[MNT_ID:INODE]` in hex, and restore must hand CRIU a file of the
// same type and mode for it (CRIU checks). Pipes, sockets and ttys are
// CRIU's own business (a zero entry there).
type stdioInfo struct {
	Links    [3]string       `json:"-"`
	External [3]externalFile `json:"external"`
}

// externalFile is one outside file of the init's stdio.
type externalFile struct {
	Key  string `json:"key,omitempty"`
	Mode uint32 `json:"mode,omitempty"` // st_mode: type and permissions
	Rdev uint64 `json:"rdev,omitempty"` // the device, for a device node
}

const (
	descriptorsFile = "descriptors.json" // runc's name and format
	stdioFile       = "hako-stdio.json"
)

func initStdio(pid int) *stdioInfo {
	s := &stdioInfo{}
	own := mountIDs(pid)
	for fd := 0; fd < 3; fd++ {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, fd))
		if err != nil {
			l = "/dev/null"
		}
		s.Links[fd] = l
		if !strings.HasPrefix(l, "/") || strings.HasPrefix(l, "/dev/pts/") {
			continue
		}
		var st unix.Stat_t
		if unix.Stat(fmt.Sprintf("/proc/%d/fd/%d", pid, fd), &st) != nil {
			continue
		}
		info, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%d", pid, fd))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "mnt_id:"); ok {
				// a file on one of the container's own mounts (its
				// rootfs, a volume) is CRIU's to dump and restore
				if id, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil && !own[int(id)] {
					s.External[fd] = externalFile{Key: fmt.Sprintf("file[%x:%x]", id, st.Ino), Mode: st.Mode, Rdev: st.Rdev}
				}
			}
		}
	}
	return s
}

// mountIDs are the ids of the mounts in pid's mount namespace.
func mountIDs(pid int) map[int]bool {
	out := map[int]bool{}
	f, err := os.Open(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		return out
	}
	defer f.Close()
	ms, _ := mountinfo.GetMountsFromReader(f, nil)
	for _, m := range ms {
		out[m.ID] = true
	}
	return out
}

// external is the --external list of the files outside the container.
func (s *stdioInfo) external() []string {
	var out []string
	for _, e := range s.External {
		if e.Key != "" {
			out = append(out, e.Key)
		}
	}
	return out
}

// write saves descriptors.json and hako-stdio.json into the image.
func (s *stdioInfo) write(image string) error {
	links, _ := json.Marshal(s.Links[:])
	ext, _ := json.Marshal(s)
	for name, b := range map[string][]byte{descriptorsFile: links, stdioFile: ext} {
		if err := os.WriteFile(filepath.Join(image, name), b, 0o600); err != nil {
			return fmt.Errorf("--image-path: %w", err)
		}
	}
	return nil
}

// readStdio reads what write saved (hako-stdio.json is absent in runc's
// images: no external files then).
func readStdio(image string) (*stdioInfo, error) {
	s := &stdioInfo{}
	b, err := os.ReadFile(filepath.Join(image, descriptorsFile))
	if err != nil {
		return nil, fmt.Errorf("--image-path: %w", err)
	}
	var links []string
	if err := json.Unmarshal(b, &links); err != nil {
		return nil, fmt.Errorf("--image-path: %s: %w", descriptorsFile, err)
	}
	copy(s.Links[:], links)
	if b, err = os.ReadFile(filepath.Join(image, stdioFile)); err == nil {
		if err := json.Unmarshal(b, s); err != nil {
			return nil, fmt.Errorf("--image-path: %s: %w", stdioFile, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("--image-path: %w", err)
	}
	return s, nil
}
