package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	verbs["exec"] = verb{"run a new process inside a running container", runExec}
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runExec(g *global, args []string) error {
	fs := newFlags("exec", "<container-id> <command> [args...]")
	var (
		procFile, cwd, user, consoleSocket, pidFile, apparmor, label, cgroup, pidfdSocket string
		tty, detach, nnp, ignorePaused                                                    bool
		env, gids, capsAdd                                                                listFlag
		preserve                                                                          int
	)
	stringFlag(fs, &procFile, []string{"process", "p"}, "", "path to a process.json (OCI process)")
	fs.StringVar(&cwd, "cwd", "", "working directory in the container")
	stringFlag(fs, &user, []string{"user", "u"}, "", "uid[:gid]")
	fs.Var(&env, "env", "NAME=value (repeatable)")
	fs.Var(&env, "e", "NAME=value (repeatable)")
	fs.Var(&gids, "additional-gids", "additional gid (repeatable)")
	fs.Var(&gids, "g", "additional gid (repeatable)")
	fs.Var(&capsAdd, "cap", "add a capability (repeatable)")
	boolFlag(fs, &tty, []string{"tty", "t"}, "allocate a pseudo-terminal")
	boolFlag(fs, &detach, []string{"detach", "d"}, "do not wait for the process")
	fs.StringVar(&consoleSocket, "console-socket", "", "unix socket to send the pty master to")
	fs.StringVar(&pidFile, "pid-file", "", "file to write the process id to")
	fs.BoolVar(&nnp, "no-new-privs", false, "set no_new_privs")
	fs.StringVar(&apparmor, "apparmor", "", "AppArmor profile")
	fs.StringVar(&label, "process-label", "", "SELinux label")
	fs.StringVar(&cgroup, "cgroup", "", "sub-cgroup to join")
	fs.StringVar(&pidfdSocket, "pidfd-socket", "", "unix socket to send a pidfd of the process to")
	fs.BoolVar(&ignorePaused, "ignore-paused", false, "exec even if the container is paused")
	fs.IntVar(&preserve, "preserve-fds", 0, "pass N extra fds (from 3)")
	// Flags stop at the container id: what follows is the command.
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) < 1 {
		return errors.New("exec: container id expected")
	}
	if cgroup != "" || pidfdSocket != "" {
		return errors.New("exec: --cgroup and --pidfd-socket are not supported by hako yet")
	}
	c, err := libcontainer.Load(g.root, rest[0])
	if err != nil {
		return err
	}
	var p *specs.Process
	if procFile != "" {
		b, err := os.ReadFile(procFile)
		if err != nil {
			c.Unlock()
			return fmt.Errorf("--process: %w", err)
		}
		p = &specs.Process{}
		if err := json.Unmarshal(b, p); err != nil {
			c.Unlock()
			return fmt.Errorf("--process: parse %s: %w", procFile, err)
		}
	} else {
		if len(rest) < 2 {
			c.Unlock()
			return errors.New("exec: command expected after the container id")
		}
		base := *c.Config().Process
		p = &base
		p.Args = rest[1:]
		p.Terminal = tty
		p.Env = append(append([]string{}, base.Env...), env...)
		if cwd != "" {
			p.Cwd = cwd
		}
		if user != "" {
			u, gs, _ := strings.Cut(user, ":")
			uid, err := strconv.ParseUint(u, 10, 32)
			if err != nil {
				c.Unlock()
				return fmt.Errorf("--user: invalid uid %q", u)
			}
			p.User.UID = uint32(uid)
			if gs != "" {
				gid, err := strconv.ParseUint(gs, 10, 32)
				if err != nil {
					c.Unlock()
					return fmt.Errorf("--user: invalid gid %q", gs)
				}
				p.User.GID = uint32(gid)
			}
		}
		for _, gstr := range gids {
			gid, err := strconv.ParseUint(gstr, 10, 32)
			if err != nil {
				c.Unlock()
				return fmt.Errorf("--additional-gids: invalid gid %q", gstr)
			}
			p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(gid))
		}
		if len(capsAdd) > 0 {
			cp := specs.LinuxCapabilities{}
			if base.Capabilities != nil {
				cp = *base.Capabilities
			}
			cp.Bounding = append(append([]string{}, cp.Bounding...), capsAdd...)
			cp.Effective = append(append([]string{}, cp.Effective...), capsAdd...)
			cp.Permitted = append(append([]string{}, cp.Permitted...), capsAdd...)
			p.Capabilities = &cp
		}
		if nnp {
			p.NoNewPrivileges = true
		}
		p.ApparmorProfile, p.SelinuxLabel = apparmor, label
	}
	o := &libcontainer.ExecOpts{Process: p, ConsoleSocket: consoleSocket, PidFile: pidFile, PreserveFDs: preserve, IgnorePaused: ignorePaused}
	var sigs chan os.Signal
	var proxy *ttyProxy
	if !detach {
		sigs = make(chan os.Signal, 128)
		signal.Notify(sigs)
		defer signal.Stop(sigs)
		if p.Terminal && consoleSocket == "" {
			if proxy, err = newTTYProxy(); err != nil {
				c.Unlock()
				return err
			}
			defer proxy.close()
			o.ConsoleConn = proxy.remote
		}
	}
	pid, err := c.Exec(o)
	c.Unlock()
	if err != nil || detach {
		return err
	}
	if proxy != nil {
		if err := proxy.attach(); err != nil {
			return err
		}
	}
	return &exitError{code: waitInit(pid, sigs, proxy)}
}
