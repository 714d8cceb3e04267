package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/urfave/cli/v2"

	"github.com/hako-runtime/hako/internal/fault"
	"github.com/hako-runtime/hako/libcontainer"
	"github.com/hako-runtime/hako/libcontainer/trace"
)

func init() {
	register(&cli.Command{
		Name:      "exec",
		Usage:     "run a new process inside a running container",
		ArgsUsage: "<container-id> <command> [args...]  ||  -p process.json <container-id>",
		Description: `Runs <command> in every namespace and the cgroup of the container's init,
with the init's process settings (user, env, capabilities, LSM labels,
seccomp) unless the flags or a --process JSON (a runtime-spec process)
say otherwise. Flags come before <container-id>; what follows it is the
command. hako exits with the command's status, or 255 when exec itself
fails.

    # hako exec -t web01 sh
    # hako exec -u 1000:1000 -e DEBUG=1 web01 ls -l /data`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "console-socket", Usage: "path of an AF_UNIX socket that receives the master end of the process's terminal (with -t -d)"},
			&cli.StringFlag{Name: "pidfd-socket", Usage: "path of an AF_UNIX socket that receives a pidfd of the process"},
			&cli.StringFlag{Name: "cwd", Usage: "working directory in the container"},
			listFlag("env", []string{"e"}, "NAME=value to set in the environment; repeatable"),
			&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pseudo-terminal"},
			&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "user to run as: <uid>[:<gid>]"},
			listFlag("additional-gids", []string{"g"}, "additional group id; repeatable"),
			&cli.StringFlag{Name: "process", Aliases: []string{"p"}, Usage: "path of a process.json (runtime-spec process) to run instead"},
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once the process runs"},
			&cli.StringFlag{Name: "pid-file", Usage: "file to write the process id to"},
			&cli.StringFlag{Name: "process-label", Usage: "SELinux label for the process"},
			&cli.StringFlag{Name: "apparmor", Usage: "AppArmor profile for the process"},
			&cli.BoolFlag{Name: "no-new-privs", Usage: "set no_new_privs for the process (--no-new-privs=false clears the container's)"},
			listFlag("cap", []string{"c"}, "capability to add to the process; repeatable"),
			&cli.UintFlag{Name: "preserve-fds", Usage: "pass N more file descriptors, from 3, to the process"},
			listFlag("cgroup", nil, "run in this existing sub-cgroup of the container: [controller[,controller...]:]path; repeatable"),
			&cli.BoolFlag{Name: "ignore-paused", Usage: "exec even if the container is paused"},
		},
		BashComplete: completeIDs,
		Action: func(ctx *cli.Context) error {
			return execFailed(runExec(ctx))
		},
	})
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
	if err == nil || errors.As(err, &ee) {
		return err
	}
	if errors.As(err, &ue) {
		return ue.error
	}
	return &codeError{err: fmt.Errorf("exec failed: %w", err), code: 255}
}

func runExec(ctx *cli.Context) error {
	if err := checkArgs(ctx, 1, -1); err != nil {
		return usageError{err}
	}
	var (
		procFile, cwd, user    = ctx.String("process"), ctx.String("cwd"), ctx.String("user")
		consoleSocket, pidFile = ctx.String("console-socket"), ctx.String("pid-file")
		apparmor, label        = ctx.String("apparmor"), ctx.String("process-label")
		pidfdSocket            = ctx.String("pidfd-socket")
		tty, detach            = ctx.Bool("tty"), ctx.Bool("detach")
		ignorePaused           = ctx.Bool("ignore-paused")
		env, gids, capsAdd     = listOf(ctx, "env"), listOf(ctx, "additional-gids"), listOf(ctx, "cap")
		cgroups                = listOf(ctx, "cgroup")
		preserve               = int(ctx.Uint("preserve-fds")) // a count, as in runc
		nnp                    = optBool{v: ctx.Bool("no-new-privs"), set: ctx.IsSet("no-new-privs")}
		rest                   = ctx.Args().Slice()
	)
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
	// The state first (runc's words for a stopped container; the debris
	// of a killed create, stopped too, has no config to start from).
	if err := c.Require(libcontainer.OpExec); err != nil && !(ignorePaused && c.Status == libcontainer.Paused) {
		c.Unlock()
		return err
	}
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
	fault.Point("exec.waiting", pid)
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
	env, gids, caps                      []string
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

// optBool is a boolean flag and whether it was given, so that
// --no-new-privs=false can clear what the container's process sets.
type optBool struct{ v, set bool }

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
