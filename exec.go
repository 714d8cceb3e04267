package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hako-runtime/hako/libcontainer"
	"github.com/hako-runtime/hako/libcontainer/trace"
)

func init() {
	verbs["exec"] = verb{"run a new process inside a running container", func(g *global, args []string) error {
		return execFailed(runExec(g, args))
	}}
}

// usageError is a command-line mistake: exit status 1 (as runc's).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// execFailed gives every failure of exec itself, once its command line
// is understood, runc's form: "exec failed: ..." and exit status 255, so
// that callers can tell it from the status of the program run.
func execFailed(err error) error {
	var ee *exitError
	var ue usageError
	if err == nil || errors.As(err, &ee) || errors.Is(err, flag.ErrHelp) {
		return err
	}
	if errors.As(err, &ue) {
		return ue.error
	}
	return &codeError{err: fmt.Errorf("exec failed: %w", err), code: 255}
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runExec(g *global, args []string) error {
	fs := newFlags("exec", "<container-id> <command> [args...]")
	var (
		procFile, cwd, user, consoleSocket, pidFile, apparmor, label, pidfdSocket string
		tty, detach, ignorePaused                                                 bool
		nnp                                                                       optBool
		env, gids, capsAdd, cgroups                                               listFlag
		preserve                                                                  int
	)
	stringFlag(fs, &procFile, []string{"process", "p"}, "", "path to a process.json (OCI process)")
	fs.StringVar(&cwd, "cwd", "", "working directory in the container")
	stringFlag(fs, &user, []string{"user", "u"}, "", "uid[:gid]")
	fs.Var(&env, "env", "NAME=value (repeatable)")
	fs.Var(&env, "e", "NAME=value (repeatable)")
	fs.Var(&gids, "additional-gids", "additional gid (repeatable)")
	fs.Var(&gids, "g", "additional gid (repeatable)")
	fs.Var(&capsAdd, "cap", "add a capability (repeatable)")
	fs.Var(&capsAdd, "c", "add a capability (repeatable)")
	boolFlag(fs, &tty, []string{"tty", "t"}, "allocate a pseudo-terminal")
	boolFlag(fs, &detach, []string{"detach", "d"}, "do not wait for the process")
	fs.StringVar(&consoleSocket, "console-socket", "", "unix socket to send the pty master to")
	fs.StringVar(&pidFile, "pid-file", "", "file to write the process id to")
	fs.Var(&nnp, "no-new-privs", "set no_new_privs (--no-new-privs=false clears the container's)")
	fs.StringVar(&apparmor, "apparmor", "", "AppArmor profile")
	fs.StringVar(&label, "process-label", "", "SELinux label")
	fs.Var(&cgroups, "cgroup", "[controller[,controller...]:]path of an existing sub-cgroup to run in (repeatable)")
	fs.StringVar(&pidfdSocket, "pidfd-socket", "", "unix socket to send a pidfd of the process to")
	fs.BoolVar(&ignorePaused, "ignore-paused", false, "exec even if the container is paused")
	fs.IntVar(&preserve, "preserve-fds", 0, "pass N extra fds (from 3)")
	// Flags stop at the container id: what follows is the command.
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	rest := fs.Args()
	if len(rest) < 1 {
		return usageError{errors.New("exec: container id expected")}
	}
	sub, err := parseSubCgroups(cgroups)
	if err != nil {
		return err
	}
	var sigs *signalCatcher
	if !detach {
		sigs = catchSignals()
		defer sigs.stop()
	}
	c, err := libcontainer.Load(g.root, rest[0])
	if err != nil {
		return err
	}
	trace.Mark("state loaded")
	f := execFlags{procFile: procFile, cwd: cwd, user: user, apparmor: apparmor, label: label,
		tty: tty, nnp: nnp, env: env, gids: gids, caps: capsAdd, args: rest[1:]}
	spec, err := c.Config()
	if err != nil {
		c.Unlock()
		return err
	}
	p, err := f.process(spec.Process)
	if err != nil {
		c.Unlock()
		return err
	}
	o := &libcontainer.ExecOpts{Process: p, ConsoleSocket: consoleSocket, PidFile: pidFile, PreserveFDs: preserve,
		IgnorePaused: ignorePaused, PidfdSocket: pidfdSocket, SubCgroups: sub, Log: g.log}
	// runc's rules: a console socket only for a detached terminal.
	if (!detach || !p.Terminal) && consoleSocket != "" {
		c.Unlock()
		return errors.New("cannot use console socket if hako will not detach or allocate tty")
	}
	var proxy *ttyProxy
	var pipes *stdioPipes
	if !detach {
		if p.Terminal {
			if proxy, err = newTTYProxy(); err != nil {
				c.Unlock()
				return err
			}
			defer proxy.close()
			o.ConsoleConn = proxy.remote
		} else {
			if pipes, err = newStdioPipes(spec); err != nil {
				c.Unlock()
				return err
			}
			defer pipes.close()
			o.Stdio = pipes.child
		}
	}
	sigs.wait()
	pid, err := c.Exec(o)
	c.Unlock()
	if pipes != nil {
		pipes.started()
	}
	if err != nil || detach {
		return err
	}
	if proxy != nil {
		if err := proxy.attach(); err != nil {
			return err
		}
	}
	status := waitInit(pid, sigs.C, proxy)
	if proxy != nil {
		proxy.close()
	}
	if pipes != nil {
		pipes.wait()
	}
	return &exitError{code: status}
}

// execFlags are the exec options that shape the process.
type execFlags struct {
	procFile, cwd, user, apparmor, label string
	tty                                  bool
	nnp                                  optBool
	env, gids, caps                      listFlag
	args                                 []string
}

// process is the --process JSON as given, or the container's own process
// with the command-line overrides (runc's rules).
func (f *execFlags) process(base *specs.Process) (*specs.Process, error) {
	if f.procFile != "" {
		b, err := os.ReadFile(f.procFile)
		if err != nil {
			return nil, fmt.Errorf("--process: %w", err)
		}
		p := &specs.Process{}
		if err := json.Unmarshal(b, p); err != nil {
			return nil, fmt.Errorf("--process: parse %s: %w", f.procFile, err)
		}
		return p, nil
	}
	if len(f.args) == 0 {
		return nil, errors.New("exec: command expected after the container id")
	}
	p := *base
	p.Args = f.args
	p.Terminal = f.tty
	p.Env = append(append([]string{}, base.Env...), f.env...)
	if f.cwd != "" {
		p.Cwd = f.cwd
	}
	if f.user != "" {
		u, g, hasGid := strings.Cut(f.user, ":")
		uid, err := parseID("--user", u)
		if err != nil {
			return nil, err
		}
		p.User.UID = uid
		if hasGid {
			if p.User.GID, err = parseID("--user", g); err != nil {
				return nil, err
			}
		}
	}
	p.User.AdditionalGids = append([]uint32{}, p.User.AdditionalGids...)
	for _, g := range f.gids {
		gid, err := parseID("--additional-gids", g)
		if err != nil {
			return nil, err
		}
		p.User.AdditionalGids = append(p.User.AdditionalGids, gid)
	}
	if len(f.caps) > 0 {
		cp := specs.LinuxCapabilities{}
		if base.Capabilities != nil {
			cp = *base.Capabilities
		}
		add := func(l []string) []string { return append(append([]string{}, l...), f.caps...) }
		cp.Bounding, cp.Effective, cp.Permitted = add(cp.Bounding), add(cp.Effective), add(cp.Permitted)
		// As runc: not to the inheritable set, so ambient (which needs
		// it) only when the container has inheritable capabilities; an
		// added one outside them is then a warning, not an error.
		if len(cp.Inheritable) > 0 {
			cp.Ambient = add(cp.Ambient)
		}
		p.Capabilities = &cp
	}
	if f.nnp.set {
		p.NoNewPrivileges = f.nnp.v
	}
	// Unset flags keep the container's labels: an exec'd process must not
	// escape the confinement of the container it joins.
	if f.apparmor != "" {
		p.ApparmorProfile = f.apparmor
	}
	if f.label != "" {
		p.SelinuxLabel = f.label
	}
	return &p, nil
}

// optBool is a boolean flag that knows whether it was given, so that
// --no-new-privs=false can clear what the container's process sets.
type optBool struct{ v, set bool }

func (b *optBool) String() string   { return strconv.FormatBool(b.v) }
func (b *optBool) IsBoolFlag() bool { return true }
func (b *optBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.v, b.set = v, true
	return nil
}

// parseSubCgroups reads --cgroup values, runc's syntax: "path" for every
// controller (the only form on cgroup v2), or "ctr1,ctr2:path".
func parseSubCgroups(vals []string) (map[string]string, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, v := range vals {
		ctrs, path, ok := strings.Cut(v, ":")
		if !ok {
			ctrs, path = "", v
		}
		if path == "" {
			return nil, fmt.Errorf("--cgroup: empty path in %q", v)
		}
		for _, c := range strings.Split(ctrs, ",") {
			if _, dup := out[c]; dup {
				return nil, fmt.Errorf("--cgroup: %q given twice", c)
			}
			out[c] = path
		}
	}
	return out, nil
}

func parseID(flag, s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%s: invalid id %q", flag, s)
	}
	return uint32(v), nil
}
