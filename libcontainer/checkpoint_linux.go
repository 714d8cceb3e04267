package libcontainer

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	criu "github.com/checkpoint-restore/go-criu/v7"
	"github.com/checkpoint-restore/go-criu/v7/rpc"
	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"

	"github.com/hako-runtime/hako/libcontainer/logs"
	rfs "github.com/hako-runtime/hako/libcontainer/rootfs"
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

// minCriu is the oldest CRIU whose RPC has everything used here (3.0
// brought swrk with fds; runc asks for the same).
const minCriu = 30000

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
	if o.LazyPages && o.PageServer == "" && o.StatusFD < 0 {
		return "", "", errors.New("--lazy-pages needs --page-server or --status-fd (someone must serve the pages)")
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

// criuAt checks that the criu binary exists and is recent enough and
// returns a client for it.
func criuAt(path string) (*criu.Criu, error) {
	if path == "" {
		path = "criu"
	}
	full, err := exec.LookPath(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint/restore needs CRIU (the criu package): %w", err)
	}
	c := criu.MakeCriu()
	c.SetCriuPath(full)
	v, err := c.GetCriuVersion()
	if err != nil {
		return nil, fmt.Errorf("criu %s: version check: %w", full, err)
	}
	if v < minCriu {
		return nil, fmt.Errorf("criu %s is version %d.%d.%d; at least 3.0 is needed", full, v/10000, v/100%100, v%100)
	}
	return c, nil
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
	image, work, err := o.check()
	if err != nil {
		return err
	}
	cr, err := criuAt(o.CriuPath)
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
	if err := c.writeDescriptors(image); err != nil {
		return err
	}
	logName := "dump.log"
	req := rpc.CriuReqType_DUMP
	if o.PreDump {
		logName, req = "pre-dump.log", rpc.CriuReqType_PRE_DUMP
	}
	opts := &rpc.CriuOpts{
		ImagesDirFd:     proto.Int32(int32(imageDir.Fd())),
		WorkDirFd:       proto.Int32(int32(workDir.Fd())),
		LogLevel:        proto.Int32(4),
		LogFile:         proto.String(logName),
		Root:            proto.String(c.st.Rootfs),
		Pid:             proto.Int32(int32(c.st.InitPid)),
		ManageCgroups:   proto.Bool(true),
		NotifyScripts:   proto.Bool(false),
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
	}
	if o.ParentPath != "" {
		opts.ParentImg = proto.String(o.ParentPath)
	}
	if o.PreDump {
		opts.TrackMem = proto.Bool(true)
	}
	if o.StatusFD >= 0 {
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
	opts.ExtMnt = append(externalMounts(spec), cgroupMounts(c.st.InitPid)...)
	opts.External = append(externalNamespaces(spec, c.st.InitPid), externalStdio(c.st.InitPid)...)
	log.Debugf("criu %v of %s into %s", req, c.ID, image)
	if err := criuDo(cr, req, opts); err != nil {
		return fmt.Errorf("criu failed: type %v: %w%s", req, oneLine{err}, criuLog(filepath.Join(work, logName)))
	}
	if o.LeaveRunning || o.PreDump {
		return nil
	}
	// The tasks are gone with the dump: the container is stopped and
	// removed (its poststop hooks run), as runc does.
	c.refresh()
	return c.Delete(true, log)
}

// criuDo runs one request on a criu swrk of its own. The answer decides:
// criu swrk may exit non-zero after a successful pre-dump (3.17 exits
// 255), which go-criu would report as a failure of the request.
func criuDo(cr *criu.Criu, req rpc.CriuReqType, opts *rpc.CriuOpts) error {
	if err := cr.Prepare(); err != nil {
		return err
	}
	var err error
	switch req {
	case rpc.CriuReqType_PRE_DUMP:
		err = cr.PreDump(opts, criu.NoNotify{})
	default:
		err = cr.Dump(opts, criu.NoNotify{})
	}
	var exit *exec.ExitError
	if cerr := cr.Cleanup(); err == nil && cerr != nil && !errors.As(cerr, &exit) {
		err = cerr
	}
	return err
}

// externalMounts tells CRIU which mounts come from outside the
// container's image: bind mounts (the engine's volumes, /etc/hosts...)
// and masked paths bound from /dev/null; restore binds them again by the
// same key (the destination).
func externalMounts(s *specs.Spec) []*rpc.ExtMountMap {
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
	if s.Linux != nil {
		for _, p := range s.Linux.MaskedPaths {
			add(p)
		}
	}
	return out
}

// cgroupMounts: the container's cgroup mounts that show a subtree of
// their hierarchy (its own cgroup, without a cgroup namespace: bound,
// not mounted) are external to CRIU, which refuses a mount whose root
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

// externalStdio marks the init's stdio files that live outside the
// container (the caller's /dev/null, a log file: `run -d </dev/null
// >log`) as external, `file[MNT_ID:INODE]` in hex as CRIU's files-reg.c
// keys them; CRIU cannot look them up in the container's mounts. Pipes,
// sockets and ttys are CRIU's own business.
func externalStdio(pid int) []string {
	var out []string
	for fd := 0; fd < 3; fd++ {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, fd))
		if err != nil || !strings.HasPrefix(l, "/") || strings.HasPrefix(l, "/dev/pts/") {
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
				if id, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil {
					out = append(out, fmt.Sprintf("file[%x:%x]", id, st.Ino))
				}
			}
		}
	}
	return out
}

// writeDescriptors saves where the init's stdio pointed (descriptors.json,
// runc's file) for restore to reconnect.
func (c *Container) writeDescriptors(image string) error {
	var fds []string
	for i := 0; i < 3; i++ {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", c.st.InitPid, i))
		if err != nil {
			l = "/dev/null"
		}
		fds = append(fds, l)
	}
	b, _ := json.Marshal(fds)
	if err := os.WriteFile(filepath.Join(image, "descriptors.json"), b, 0o600); err != nil {
		return fmt.Errorf("--image-path: %w", err)
	}
	return nil
}

// criuLog quotes the errors of CRIU's log (and the lines just before the
// first), so that the reason is in hako's own error.
func criuLog(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		lines = append(lines, s.Text())
	}
	first := -1
	for i, l := range lines {
		if strings.Contains(l, "Error (") {
			first = i
			break
		}
	}
	if first < 0 {
		if len(lines) > 5 {
			lines = lines[len(lines)-5:]
		}
		return fmt.Sprintf(" (%s: %s)", path, strings.Join(lines, " | "))
	}
	var errs []string
	for _, l := range lines[first:] {
		if strings.Contains(l, "Error (") {
			errs = append(errs, strings.TrimSpace(l))
		}
	}
	return fmt.Sprintf(" (%s: %s)", path, strings.Join(errs, " | "))
}

// oneLine keeps an error (go-criu's span lines) on one line, unwrapped
// to the same cause.
type oneLine struct{ err error }

func (e oneLine) Error() string {
	return strings.ReplaceAll(strings.TrimSpace(e.err.Error()), "\n", "; ")
}
func (e oneLine) Unwrap() error { return e.err }
