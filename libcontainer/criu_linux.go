package libcontainer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	criu "github.com/checkpoint-restore/go-criu/v7"
	"github.com/checkpoint-restore/go-criu/v7/rpc"
	"github.com/moby/sys/userns"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"

	"github.com/hako-runtime/hako/internal/fault"
	"github.com/hako-runtime/hako/internal/fdpass"
)

// minCriu is the oldest CRIU whose RPC has everything used here (3.0
// brought swrk with fds; runc asks for the same).
const minCriu = 30000

// criuAt checks that the criu binary exists and is recent enough; it
// returns its full path and version (major*10000 + minor*100 + sublevel).
// CRIU dumps and restores as root of the initial user namespace (hako
// does not use its --unprivileged mode): anyone else is told so here,
// before anything is dumped or made.
func criuAt(path string) (string, int, error) {
	if os.Geteuid() != 0 || userns.RunningInUserNS() {
		return "", 0, errors.New("checkpoint and restore need root in the initial user namespace (CRIU runs as root; rootless checkpoint is not supported)")
	}
	return CriuVersion(path)
}

// CriuVersion finds the criu binary (path as --criu gives it, "" for
// "criu" on $PATH) and asks it for its version (major*10000 + minor*100 +
// sublevel); an error says what is missing or that it is older than 3.0.
// It does not check who the caller is (criuAt does): `hako doctor` uses it.
func CriuVersion(path string) (string, int, error) {
	if path == "" {
		path = "criu"
	}
	full, err := exec.LookPath(path)
	if err != nil {
		return "", 0, fmt.Errorf("checkpoint/restore needs CRIU (the criu package): %w", err)
	}
	c := criu.MakeCriu()
	c.SetCriuPath(full)
	v, err := c.GetCriuVersion()
	if err != nil {
		return "", 0, fmt.Errorf("criu %s: version check: %w", full, err)
	}
	if v < minCriu {
		return "", 0, fmt.Errorf("criu %s is version %d.%d.%d; at least 3.0 is needed", full, v/10000, v/100%100, v%100)
	}
	return full, v, nil
}

// swrk is one `criu swrk` worker and our end of its RPC socket
// (criu/rpc.proto; CRIU's Documentation/RPC). go-criu's Criu starts swrk
// with no files of ours, but a restore must hand it the new process's
// stdio (fds 0-2), the namespaces it joins (from fd 4) and take the pty
// master it sends back with a notification: so hako starts the worker
// itself and speaks the protocol with go-criu's messages.
type swrk struct {
	cmd  *exec.Cmd
	conn *os.File // SOCK_SEQPACKET: one message per request or answer
	// answered: the final answer came; criu's exit status no longer
	// matters (3.17 exits 255 after a good pre-dump).
	answered bool
	// release ends the no_new_privs thread that started the worker: it
	// lives as long as the worker, for the parent-death signal is the
	// thread's.
	release chan struct{}
	// opened: the directories dirs opened, closed with the worker
	opened []*os.File
}

// startSwrk starts criu swrk with stdio as its fds 0-2 (nil entries:
// /dev/null) and extra from fd 4 on; fd 3 is its end of the socket. A
// yard (an empty directory of hako's; "" for none) is where a tmpfs of
// the worker's own namespace is mounted for opts.CgroupYard. With
// nnp the worker starts with no_new_privs, which the tasks it forks for
// a restore inherit: CRIU 3.17 does not restore the flag itself, and a
// container with process.noNewPrivileges would come back without it.
func startSwrk(path string, stdio, extra []*os.File, nnp bool, yard string) (*swrk, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("criu socket: %w", err)
	}
	ours := os.NewFile(uintptr(fds[0]), "criu-rpc")
	theirs := os.NewFile(uintptr(fds[1]), "criu-rpc-swrk")
	defer theirs.Close()
	// Through this binary's hako-criu-ns stage (nsenter/nsenter.c): CRIU
	// in a mount namespace of its own, so that what it mounts while it
	// works goes with it if it is killed.
	if yard == "" {
		yard = "-"
	}
	cmd := &exec.Cmd{Path: "/proc/self/exe", Args: []string{"hako-criu-ns", "3", yard, path, "swrk", "3"}}
	for i, f := range stdio {
		switch i {
		case 0:
			cmd.Stdin = f
		case 1:
			cmd.Stdout = f
		case 2:
			cmd.Stderr = f
		}
	}
	cmd.ExtraFiles = append([]*os.File{theirs}, extra...)
	// A checkpoint or restore killed half-way must not leave CRIU working
	// on the container with nobody to answer it. The signal comes when
	// the forking thread ends: Go keeps its threads, and startNoNewPrivs
	// keeps its own until close.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	s := &swrk{cmd: cmd, conn: ours}
	if nnp {
		s.release = make(chan struct{})
		err = startNoNewPrivs(cmd, s.release)
	} else {
		err = cmd.Start()
	}
	if err != nil {
		ours.Close()
		return nil, fmt.Errorf("start criu swrk: %w", err)
	}
	// The stage's one message: its mount namespace is made, or why not.
	buf := make([]byte, 512)
	n, err := ours.Read(buf)
	if err == nil && string(buf[:n]) != "ok" {
		err = errors.New(string(buf[:n]))
	} else if errors.Is(err, io.EOF) {
		err = errors.New("criu mount namespace: the worker went away")
	}
	if err != nil {
		s.close()
		return nil, fmt.Errorf("start criu swrk: %w", err)
	}
	return s, nil
}

// dirs gives opts the image and work directories as CRIU must have them:
// CRIU opens them through /proc/<our pid>/fd/<n> (the socket's peer) and
// mounts its cgroup yard in the work directory, which fails (EINVAL) on a
// mount of another namespace than its own. So they are opened again
// through the worker's root, in its namespace, and must be the same
// directories (device and inode) as the ones checked, image and work.
func (s *swrk) dirs(opts *rpc.CriuOpts, image, work *os.File) error {
	in := func(f *os.File, what string) (*os.File, error) {
		p, err := filepath.Abs(f.Name())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		g, err := os.OpenFile(fmt.Sprintf("/proc/%d/root%s", s.Pid(), p), os.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			return nil, fmt.Errorf("%s: through criu's mount namespace: %w", what, err)
		}
		var a, b unix.Stat_t
		if err := unix.Fstat(int(f.Fd()), &a); err != nil {
			g.Close()
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if err := unix.Fstat(int(g.Fd()), &b); err != nil {
			g.Close()
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if a.Dev != b.Dev || a.Ino != b.Ino {
			g.Close()
			return nil, fmt.Errorf("%s: %s was replaced meanwhile", what, p)
		}
		s.opened = append(s.opened, g)
		return g, nil
	}
	i, err := in(image, "--image-path")
	if err != nil {
		return err
	}
	w, err := in(work, "--work-path")
	if err != nil {
		return err
	}
	opts.ImagesDirFd = proto.Int32(int32(i.Fd()))
	opts.WorkDirFd = proto.Int32(int32(w.Fd()))
	return nil
}

// startNoNewPrivs starts cmd from a thread of its own marked
// no_new_privs (prctl(2): the flag is per thread and inherited by what it
// forks). The thread is never unlocked: it ends with its goroutine, so
// the mark reaches nothing else hako runs; the goroutine waits for
// release first, for the worker's parent-death signal is this thread's.
func startNoNewPrivs(cmd *exec.Cmd, release <-chan struct{}) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			errc <- fmt.Errorf("no_new_privs: %w", err)
			return
		}
		err := cmd.Start()
		errc <- err
		if err == nil {
			<-release
		}
	}()
	return <-errc
}

// Pid is the worker's pid (a restore puts it in the container's cgroup
// first: the tasks it forks are born there).
func (s *swrk) Pid() int { return s.cmd.Process.Pid }

// call sends req and answers criu's notifications with notify (given the
// notification and the fds that came with it, which it owns) until the
// final answer, which must be a success.
func (s *swrk) call(req *rpc.CriuReq, notify func(*rpc.CriuNotify, []int) error) (*rpc.CriuResp, error) {
	buf := make([]byte, 64<<10)
	want := req.GetType()
	for {
		b, err := proto.Marshal(req)
		if err != nil {
			return nil, err
		}
		if _, err := s.conn.Write(b); err != nil {
			return nil, fmt.Errorf("criu rpc: %w", err)
		}
		// CRIU has the request and works on the container (a dump sends
		// no notification unless hooks need one).
		fault.Point("criu.request", s.Pid())
		n, fds, err := fdpass.Recv(s.conn, buf, 4)
		if err != nil {
			return nil, fmt.Errorf("criu rpc: %w", err)
		}
		if n == 0 {
			fdpass.Close(fds)
			return nil, errors.New("criu rpc: criu went away without an answer")
		}
		resp := &rpc.CriuResp{}
		if err := proto.Unmarshal(buf[:n], resp); err != nil {
			fdpass.Close(fds)
			return nil, fmt.Errorf("criu rpc: %w", err)
		}
		if !resp.GetSuccess() {
			fdpass.Close(fds)
			msg := resp.GetCrErrmsg()
			if msg == "" {
				msg = "see the log"
			}
			return resp, fmt.Errorf("%s (errno %d)", msg, resp.GetCrErrno())
		}
		if resp.GetType() != rpc.CriuReqType_NOTIFY {
			fdpass.Close(fds)
			if resp.GetType() != want {
				return resp, fmt.Errorf("criu rpc: answer %v to request %v", resp.GetType(), want)
			}
			s.answered = true
			return resp, nil
		}
		// CRIU is at work on the container: a checkpoint killed here
		// must not leave it so (the worker's parent-death signal).
		fault.Point("criu."+resp.GetNotify().GetScript(), s.Pid())
		if notify != nil {
			err = notify(resp.GetNotify(), fds)
		} else {
			fdpass.Close(fds)
		}
		if err != nil {
			return resp, err
		}
		t := rpc.CriuReqType_NOTIFY
		req = &rpc.CriuReq{Type: &t, NotifySuccess: proto.Bool(true)}
	}
}

// close ends the conversation and waits for the worker; its exit status
// is an error only when no answer came.
func (s *swrk) close() error {
	s.conn.Close()
	closeFiles(s.opened)
	s.opened = nil
	err := s.cmd.Wait()
	if s.release != nil {
		close(s.release)
	}
	var exit *exec.ExitError
	if s.answered && errors.As(err, &exit) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("criu swrk: %w", err)
	}
	return nil
}

// criuLog quotes the errors of CRIU's log (or its last lines when none
// says "Error"), so that the reason is in hako's own error.
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
	var errs []string
	for _, l := range lines {
		if strings.Contains(l, "Error (") {
			errs = append(errs, strings.TrimSpace(l))
		}
	}
	if len(errs) == 0 {
		if len(lines) > 5 {
			lines = lines[len(lines)-5:]
		}
		errs = lines
	}
	return fmt.Sprintf(" (%s: %s)", path, strings.Join(errs, " | "))
}

// oneLine keeps an error on one line, unwrapped to the same cause.
type oneLine struct{ err error }

func (e oneLine) Error() string {
	return strings.ReplaceAll(strings.TrimSpace(e.err.Error()), "\n", "; ")
}
func (e oneLine) Unwrap() error { return e.err }
