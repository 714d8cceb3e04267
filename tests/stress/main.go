// Command stress drives a runtime through the container lifecycle at scale,
// with other workers running every read and control verb on the same ids at
// the same time, then checks that nothing hung, no state was corrupt and
// nothing was left behind (issue 15; `make stress`, and a short run in
// `make test`).
//
//	stress -runtime ./hako -n 1000 -workers 8 -chaos 4
//
// Each of the -n containers goes create, start, exec, kill, wait for
// stopped, delete, in one of -workers lifecycle workers. The -chaos workers
// pick ids in flight and run list, state, ps, events --stats, pause +
// resume, update and, rarely, delete --force. One more container runs in
// the foreground (`run`, with NOTIFY_SOCKET) for the whole run and is the
// chaos workers' target too: its hako process is the long-lived one whose
// fds and pidfds must not grow.
//
// Every command runs under -timeout; a timeout is a hang, a failure. A
// failing command must say why (one `level=error` line); an error on a
// container that no chaos worker force-deleted is a failure unless it is a
// race the runtime reports truthfully (the container was paused, or already
// stopped, by another worker). Output is TAP, one line per property, then
// the figures.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var (
	runtimeBin = flag.String("runtime", "./hako", "runtime binary")
	n          = flag.Int("n", 200, "containers through the lifecycle")
	workers    = flag.Int("workers", 8, "lifecycle workers")
	chaos      = flag.Int("chaos", 4, "workers running other verbs on the same ids")
	timeout    = flag.Duration("timeout", 60*time.Second, "bound of one command: longer is a hang")
	keep       = flag.Bool("keep", false, "keep the work directory")
	rootfsDir  = flag.String("rootfs", "", "an existing rootfs to use (read-only) instead of making one with tests/integration/mkbundle.sh")
	systemd    = flag.Bool("systemd-cgroup", false, "pass --systemd-cgroup (the containers' cgroups are systemd scopes)")
)

// globals are the runtime's global flags for every command.
func globals(root string) []string {
	g := []string{"--root", root}
	if *systemd {
		g = append(g, "--systemd-cgroup")
	}
	return g
}

const tagVar = "HAKO_STRESS_TAG"

type result struct {
	verb    string
	id      string
	err     string // the error line, "" on success
	status  int
	hung    bool
	dur     time.Duration
	stdout  []byte
	unclear bool // failed without one level=error line
}

// stats are the run's figures and findings, shared by the workers.
type stats struct {
	mu       sync.Mutex
	ops      map[string]int
	errs     map[string]int // verb: message -> count
	hangs    []string
	unclear  []string
	failures []string
	corrupt  []string
	maxDur   map[string]time.Duration
}

func (s *stats) add(r result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops[r.verb]++
	if r.dur > s.maxDur[r.verb] {
		s.maxDur[r.verb] = r.dur
	}
	if r.hung {
		s.hangs = append(s.hangs, fmt.Sprintf("%s %s", r.verb, r.id))
	}
	if r.unclear {
		if strings.Contains(r.err, "\n") {
			s.unclear = append(s.unclear, fmt.Sprintf("%s %s: status %d:\n%s", r.verb, r.id, r.status, r.err))
		} else {
			s.unclear = append(s.unclear, fmt.Sprintf("%s %s: status %d: %q", r.verb, r.id, r.status, r.err))
		}
	}
	if r.err != "" {
		s.errs[r.verb+": "+normalise(r.err, r.id)]++
	}
}

func (s *stats) fail(format string, a ...any) {
	s.mu.Lock()
	s.failures = append(s.failures, fmt.Sprintf(format, a...))
	s.mu.Unlock()
}

// normalise replaces the id and numbers so that messages group.
func normalise(msg, id string) string {
	if id != "" {
		msg = strings.ReplaceAll(msg, id, "ID")
	}
	var b strings.Builder
	digit := false
	for _, r := range msg {
		if r >= '0' && r <= '9' {
			if !digit {
				b.WriteByte('N')
			}
			digit = true
			continue
		}
		digit = false
		b.WriteRune(r)
	}
	return b.String()
}

type env struct {
	root, bundle, work string
	tag                string
	st                 *stats
	// forced: ids a chaos worker force-deleted (their lifecycle may fail).
	forced sync.Map
	// inflight: ids a lifecycle worker is working on, for chaos to pick.
	mu       sync.Mutex
	inflight []string
}

// run runs the runtime with --root and --log-format json, stdout and stderr
// to files (a container started here inherits them: pipes would keep Wait
// waiting for the container).
func (e *env) run(w int, id string, args ...string) result {
	verb := args[0]
	r := result{verb: verb, id: id}
	outF, err := os.CreateTemp(e.work, fmt.Sprintf("w%d-out-", w))
	if err != nil {
		panic(err)
	}
	errF, err := os.CreateTemp(e.work, fmt.Sprintf("w%d-err-", w))
	if err != nil {
		panic(err)
	}
	defer os.Remove(outF.Name())
	defer os.Remove(errF.Name())
	defer outF.Close()
	defer errF.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, *runtimeBin, append(append(globals(e.root), "--log-format", "json"), args...)...)
	cmd.Stdout, cmd.Stderr = outF, errF
	cmd.Env = append(os.Environ(), tagVar+"="+e.tag)
	t0 := time.Now()
	err = cmd.Run()
	r.dur = time.Since(t0)
	if ctx.Err() != nil {
		r.hung = true
	}
	r.stdout, _ = os.ReadFile(outF.Name())
	stderr, _ := os.ReadFile(errF.Name())
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.status = ee.ExitCode()
		} else {
			r.status = -1
		}
		r.err, r.unclear = errorLine(stderr)
		if verb == "exec" && r.status > 0 && len(bytes.TrimSpace(stderr)) == 0 {
			// exec's status is its process's: killed with its container
			// (137) by a lifecycle worker, it is no runtime error.
			r.err, r.unclear = fmt.Sprintf("the process exited %d", r.status), false
		}
		if r.hung {
			r.err = "timed out after " + timeout.String()
		}
	}
	e.st.add(r)
	return r
}

// errorLine is the one level=error message of a failed command; unclear
// when there is none, more than one, or a panic.
func errorLine(stderr []byte) (string, bool) {
	var msgs []string
	for _, l := range bytes.Split(stderr, []byte("\n")) {
		if bytes.HasPrefix(l, []byte("panic:")) || bytes.HasPrefix(l, []byte("fatal error:")) {
			// the whole stack: where it is is what needs fixing
			return strings.TrimSpace(string(stderr[bytes.Index(stderr, l):])), true
		}
		var m struct{ Level, Msg string }
		if json.Unmarshal(l, &m) == nil && m.Level == "error" {
			msgs = append(msgs, m.Msg)
		}
	}
	if len(msgs) != 1 || strings.TrimSpace(msgs[0]) == "" {
		return strings.TrimSpace(string(stderr)), true
	}
	return msgs[0], false
}

// tolerated: failures that are the truth of a race with a chaos worker.
func tolerated(r result) bool {
	for _, s := range []string{"paused", "is not running", "container not running", "has stopped", "stopped container"} {
		if strings.Contains(r.err, s) {
			return true
		}
	}
	return false
}

func (e *env) lifecycle(w int, id string) {
	e.mu.Lock()
	e.inflight = append(e.inflight, id)
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		for i, x := range e.inflight {
			if x == id {
				e.inflight = append(e.inflight[:i], e.inflight[i+1:]...)
				break
			}
		}
		e.mu.Unlock()
	}()
	check := func(r result, ok func(result) bool) bool {
		if r.err == "" || r.hung {
			return r.err == ""
		}
		if _, f := e.forced.Load(id); f {
			return false
		}
		if ok == nil || !ok(r) {
			e.st.fail("%s %s: %s", r.verb, id, r.err)
		}
		return false
	}
	if !check(e.run(w, id, "create", "--bundle", e.bundle, id), nil) {
		e.cleanup(w, id)
		return
	}
	if !check(e.run(w, id, "start", id), tolerated) {
		e.cleanup(w, id)
		return
	}
	r := e.run(w, id, "exec", id, "sh", "-c", "echo ok")
	if check(r, tolerated) && strings.TrimSpace(string(r.stdout)) != "ok" {
		e.st.fail("exec %s: output %q", id, r.stdout)
	}
	check(e.run(w, id, "kill", id, "KILL"), tolerated)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		r := e.run(w, id, "state", id)
		if r.err != "" {
			break
		}
		if s, ok := e.checkState(id, r.stdout); !ok || s == "stopped" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !check(e.run(w, id, "delete", id), tolerated) {
		e.cleanup(w, id)
	}
}

// cleanup force-deletes after a lifecycle step failed; its own failure is a
// finding unless the container is already gone.
func (e *env) cleanup(w int, id string) {
	r := e.run(w, id, "delete", "--force", id)
	if r.err != "" && !strings.Contains(r.err, "does not exist") {
		e.st.fail("cleanup delete --force %s: %s", id, r.err)
	}
}

var statuses = map[string]bool{"creating": true, "created": true, "running": true, "paused": true, "stopped": true}

// checkState parses a state document; a corrupt one is a finding.
func (e *env) checkState(id string, b []byte) (string, bool) {
	var s struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Pid    int    `json:"pid"`
	}
	if err := json.Unmarshal(b, &s); err != nil || s.ID != id || !statuses[s.Status] || (s.Status == "stopped") != (s.Pid == 0) {
		e.st.mu.Lock()
		e.st.corrupt = append(e.st.corrupt, fmt.Sprintf("state %s: %q", id, b))
		e.st.mu.Unlock()
		return "", false
	}
	return s.Status, true
}

func (e *env) pick(rng *rand.Rand, fg string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.inflight) == 0 || rng.Intn(8) == 0 {
		return fg
	}
	return e.inflight[rng.Intn(len(e.inflight))]
}

func (e *env) chaos(w int, stop <-chan struct{}, fg string) {
	rng := rand.New(rand.NewSource(int64(w) + time.Now().UnixNano()))
	for {
		select {
		case <-stop:
			return
		default:
		}
		id := e.pick(rng, fg)
		switch k := rng.Intn(100); {
		case k < 15:
			r := e.run(w, "", "list", "--format", "json")
			if r.err == "" {
				var l []json.RawMessage
				if json.Unmarshal(r.stdout, &l) != nil && strings.TrimSpace(string(r.stdout)) != "null" {
					e.st.mu.Lock()
					e.st.corrupt = append(e.st.corrupt, fmt.Sprintf("list: %q", r.stdout))
					e.st.mu.Unlock()
				}
			}
		case k < 40:
			if r := e.run(w, id, "state", id); r.err == "" {
				e.checkState(id, r.stdout)
			}
		case k < 50:
			e.run(w, id, "ps", id)
		case k < 60:
			e.run(w, id, "events", "--stats", id)
		case k < 75:
			if e.run(w, id, "pause", id).err == "" {
				// A pause is always undone: the lifecycle's kill waits.
				if r := e.run(w, id, "resume", id); r.err != "" && !strings.Contains(r.err, "does not exist") && !strings.Contains(r.err, "not paused") {
					e.st.fail("resume %s after its pause: %s", id, r.err)
				}
			}
		case k < 85:
			e.run(w, id, "update", "--pids-limit", fmt.Sprint(100+rng.Intn(100)), id)
		case k < 95:
			e.run(w, id, "exec", id, "true")
		default:
			if id != fg && rng.Intn(3) == 0 {
				e.forced.Store(id, true)
				e.run(w, id, "delete", "--force", id)
			}
		}
	}
}

// fdsOf counts a process's open fds and pidfds.
func fdsOf(pid int) (fds, pidfds int) {
	d := fmt.Sprintf("/proc/%d/fd", pid)
	ents, _ := os.ReadDir(d)
	for _, ent := range ents {
		if l, err := os.Readlink(filepath.Join(d, ent.Name())); err == nil && l == "anon_inode:[pidfd]" {
			pidfds++
		}
	}
	return len(ents), pidfds
}

// foreground starts the long-lived `run` with an sd_notify socket it relays.
func (e *env) foreground(id string) (*exec.Cmd, *net.UnixConn, error) {
	sock := filepath.Join(e.work, "notify.sock")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(*runtimeBin, append(globals(e.root), "run", "--bundle", e.bundle, id)...)
	cmd.Env = append(os.Environ(), tagVar+"="+e.tag, "NOTIFY_SOCKET="+sock)
	null, _ := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	if err := cmd.Start(); err != nil {
		ln.Close()
		return nil, nil, err
	}
	null.Close()
	return cmd, ln, nil
}

func waitStatus(e *env, id, want string, d time.Duration) bool {
	for t := time.Now().Add(d); time.Now().Before(t); time.Sleep(50 * time.Millisecond) {
		r := e.run(0, id, "state", id)
		if r.err == "" {
			if s, _ := e.checkState(id, r.stdout); s == want {
				return true
			}
		}
	}
	return false
}

func main() {
	flag.Parse()
	abs, err := filepath.Abs(*runtimeBin)
	if err != nil {
		fatal(err)
	}
	*runtimeBin = abs
	work, err := os.MkdirTemp("", "hako-stress.")
	if err != nil {
		fatal(err)
	}
	os.Chmod(work, 0o755)
	e := &env{root: filepath.Join(work, "state"), bundle: filepath.Join(work, "bundle"), work: work,
		tag: filepath.Base(work), st: &stats{ops: map[string]int{}, errs: map[string]int{}, maxDur: map[string]time.Duration{}}}
	prefix := "st" + strings.TrimPrefix(filepath.Base(work), "hako-stress.")
	// os.Exit runs no deferred call: every exit goes through exit.
	workDir = work
	if err := makeBundle(e); err != nil {
		fatal(err)
	}

	fg := prefix + "-fg"
	fgCmd, notify, err := e.foreground(fg)
	if err != nil {
		fatal(err)
	}
	go func() { // drain the relayed notifications
		b := make([]byte, 4096)
		for {
			if _, err := notify.Read(b); err != nil {
				return
			}
		}
	}()
	if !waitStatus(e, fg, "running", 30*time.Second) {
		fgCmd.Process.Kill()
		fgCmd.Wait()
		fatal(fmt.Errorf("the foreground container never ran (removed: %v)", leftovers(e, prefix)))
	}
	time.Sleep(200 * time.Millisecond)
	fds0, pidfds0 := fdsOf(fgCmd.Process.Pid)

	t0 := time.Now()
	ids := make(chan string)
	var wg sync.WaitGroup
	var done atomic.Int64
	for w := 1; w <= *workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for id := range ids {
				e.lifecycle(w, id)
				if d := done.Add(1); d%100 == 0 {
					fmt.Printf("# %d containers done in %s\n", d, time.Since(t0).Round(time.Second))
				}
			}
		}(w)
	}
	stop := make(chan struct{})
	var cw sync.WaitGroup
	for w := 1; w <= *chaos; w++ {
		cw.Add(1)
		go func(w int) { defer cw.Done(); e.chaos(100+w, stop, fg) }(w)
	}
	for i := 0; i < *n; i++ {
		ids <- fmt.Sprintf("%s-%d", prefix, i)
	}
	close(ids)
	wg.Wait()
	close(stop)
	cw.Wait()
	elapsed := time.Since(t0)

	// The long-lived process, after thousands of commands on its container.
	time.Sleep(200 * time.Millisecond)
	fds1, pidfds1 := fdsOf(fgCmd.Process.Pid)
	r := e.run(0, fg, "kill", fg, "KILL")
	fgDone := make(chan error, 1)
	go func() { fgDone <- fgCmd.Wait() }()
	select {
	case <-fgDone:
	case <-time.After(*timeout):
		e.st.hangs = append(e.st.hangs, "foreground run after kill: "+r.err)
		fgCmd.Process.Kill()
		<-fgDone
	}
	notify.Close()
	// run deletes its container once it exits.
	leftIDs := leftovers(e, prefix)

	// TAP
	st := e.st
	total := 0
	for _, c := range st.ops {
		total += c
	}
	tap := 0
	report := func(ok bool, name string, detail []string) {
		tap++
		word := "ok"
		if !ok {
			word = "not ok"
		}
		fmt.Printf("%s %d %s\n", word, tap, name)
		for i, d := range detail {
			if i == 20 {
				fmt.Printf("#   ... %d more\n", len(detail)-20)
				break
			}
			// a panic's stack is one entry of many lines
			fmt.Printf("#   %s\n", strings.ReplaceAll(d, "\n", "\n#     "))
		}
	}
	fmt.Printf("1..6\n")
	report(len(st.hangs) == 0, fmt.Sprintf("stress: %d commands, none hung (bound %s)", total, *timeout), st.hangs)
	report(len(st.unclear) == 0, "stress: every failed command said why in one error line", st.unclear)
	report(len(st.failures) == 0, fmt.Sprintf("stress: %d containers through create/start/exec/kill/delete", *n), st.failures)
	report(len(st.corrupt) == 0, "stress: no state or list output corrupt", st.corrupt)
	report(fds1 <= fds0 && pidfds1 <= pidfds0, fmt.Sprintf("stress: the foreground run's fds %d -> %d, pidfds %d -> %d", fds0, fds1, pidfds0, pidfds1), nil)
	report(len(leftIDs) == 0, "stress: nothing left: state dirs, cgroups, processes, mounts", leftIDs)

	fmt.Printf("# %d containers (+1 foreground), %d lifecycle + %d chaos workers, %s, %d commands\n", *n, *workers, *chaos, elapsed.Round(time.Second), total)
	verbs := make([]string, 0, len(st.ops))
	for v := range st.ops {
		verbs = append(verbs, v)
	}
	sort.Strings(verbs)
	for _, v := range verbs {
		fmt.Printf("#   %-8s %6d  slowest %s\n", v, st.ops[v], st.maxDur[v].Round(time.Millisecond))
	}
	msgs := make([]string, 0, len(st.errs))
	for m := range st.errs {
		msgs = append(msgs, m)
	}
	sort.Slice(msgs, func(i, j int) bool { return st.errs[msgs[i]] > st.errs[msgs[j]] })
	fmt.Printf("# errors by message (races the runtime reported):\n")
	for _, m := range msgs {
		fmt.Printf("#   %5d  %s\n", st.errs[m], m)
	}
	if len(st.hangs)+len(st.unclear)+len(st.failures)+len(st.corrupt)+len(leftIDs) > 0 || fds1 > fds0 || pidfds1 > pidfds0 {
		exit(1)
	}
	exit(0)
}

// workDir is removed by exit (unless -keep).
var workDir string

func exit(code int) {
	if workDir != "" && !*keep {
		os.RemoveAll(workDir)
	}
	os.Exit(code)
}

// leftovers lists what the run left: state dirs, cgroups named after its
// ids, tagged processes, mounts under the work dir. It removes what it
// finds, so that a failing run does not leave the machine dirty.
func leftovers(e *env, prefix string) []string {
	var out []string
	if ents, err := os.ReadDir(e.root); err == nil {
		for _, ent := range ents {
			if strings.HasPrefix(ent.Name(), prefix) {
				out = append(out, "state dir "+ent.Name())
				exec.Command(*runtimeBin, append(globals(e.root), "delete", "--force", ent.Name())...).Run()
			}
		}
	}
	filepath.WalkDir("/sys/fs/cgroup", func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		// a systemd scope is <prefix>-<id>.scope
		if strings.HasPrefix(d.Name(), prefix) || strings.Contains(d.Name(), "-"+prefix+"-") {
			out = append(out, "cgroup "+p)
			killCgroup(p)
			return filepath.SkipDir
		}
		if strings.Count(p, "/") > 8 {
			return filepath.SkipDir
		}
		return nil
	})
	procs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, f := range procs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(b, []byte{0}) {
			if string(kv) == tagVar+"="+e.tag {
				pid := strings.Split(f, "/")[2]
				if pid == fmt.Sprint(os.Getpid()) {
					break
				}
				comm, _ := os.ReadFile("/proc/" + pid + "/comm")
				out = append(out, fmt.Sprintf("process %s (%s)", pid, strings.TrimSpace(string(comm))))
				if p, err := os.FindProcess(atoi(pid)); err == nil {
					p.Kill()
				}
			}
		}
	}
	if *systemd {
		// units systemd still knows (a failed scope stays listed)
		out2, _ := exec.Command("systemctl", "list-units", "--all", "--plain", "--no-legend").Output()
		for _, l := range strings.Split(string(out2), "\n") {
			if strings.Contains(l, prefix) {
				out = append(out, "systemd unit "+strings.TrimSpace(l))
				if f := strings.Fields(l); len(f) > 0 {
					exec.Command("systemctl", "stop", f[0]).Run()
					exec.Command("systemctl", "reset-failed", f[0]).Run()
				}
			}
		}
	}
	if f, err := os.Open("/proc/self/mountinfo"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			if strings.Contains(s.Text(), e.work) {
				out = append(out, "mount "+s.Text())
			}
		}
		f.Close()
	}
	return out
}

func killCgroup(p string) {
	filepath.WalkDir(p, func(q string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "cgroup.procs" {
			b, _ := os.ReadFile(q)
			for _, pid := range strings.Fields(string(b)) {
				if pr, err := os.FindProcess(atoi(pid)); err == nil {
					pr.Kill()
				}
			}
		}
		return nil
	})
	time.Sleep(100 * time.Millisecond)
	var dirs []string
	filepath.WalkDir(p, func(q string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, q)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Remove(dirs[i])
	}
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

// makeBundle: the busybox rootfs of the bats suite, read-only and shared by
// every container, and the runtime's own `spec` made non-interactive.
func makeBundle(e *env) error {
	if *rootfsDir == "" {
		here, _ := os.Getwd()
		mk := filepath.Join(here, "tests/integration/mkbundle.sh")
		if out, err := exec.Command(mk, e.bundle).CombinedOutput(); err != nil {
			return fmt.Errorf("mkbundle: %v: %s", err, out)
		}
	} else if err := os.MkdirAll(e.bundle, 0o755); err != nil {
		return err
	}
	cmd := exec.Command(*runtimeBin, "spec")
	cmd.Dir = e.bundle
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("spec: %v: %s", err, out)
	}
	p := filepath.Join(e.bundle, "config.json")
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	proc := s["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = []string{"sleep", "600"}
	proc["env"] = append(proc["env"].([]any), tagVar+"="+e.tag)
	s["root"].(map[string]any)["readonly"] = true
	if *rootfsDir != "" {
		abs, err := filepath.Abs(*rootfsDir)
		if err != nil {
			return err
		}
		s["root"].(map[string]any)["path"] = abs
	}
	b, _ = json.MarshalIndent(s, "", "  ")
	return os.WriteFile(p, b, 0o644)
}

func fatal(err error) {
	fmt.Printf("1..1\nnot ok 1 stress: %v\n", err)
	exit(1)
}
