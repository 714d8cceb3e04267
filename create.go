package main

import (
	"flag"
	"os"
	"strconv"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	verbs["create"] = verb{"create a container (the process waits for start)", runCreate}
}

// createFlags are shared by create and run.
func createFlags(fs *flag.FlagSet, o *libcontainer.CreateOpts) {
	stringFlag(fs, &o.Bundle, []string{"bundle", "b"}, ".", "path to the bundle directory")
	fs.StringVar(&o.PidFile, "pid-file", "", "file to write the init process id to")
	fs.StringVar(&o.ConsoleSocket, "console-socket", "", "unix socket to send the pty master to")
	fs.BoolVar(&o.NoPivot, "no-pivot", false, "use MS_MOVE+chroot instead of pivot_root")
	fs.BoolVar(&o.NoNewKeyring, "no-new-keyring", false, "keep the caller's session keyring")
	fs.IntVar(&o.PreserveFDs, "preserve-fds", 0, "pass N extra fds (from 3) to the container")
	fs.StringVar(&o.PidfdSocket, "pidfd-socket", "", "unix socket to send a pidfd of the container process to")
}

// activationOpts takes what the caller's environment asks for: an
// sd_notify socket to proxy, and socket-activation fds addressed to this
// very process (LISTEN_PID), which the container inherits.
func activationOpts(o *libcontainer.CreateOpts) {
	o.NotifySocket = os.Getenv("NOTIFY_SOCKET")
	if os.Getenv("LISTEN_PID") == strconv.Itoa(os.Getpid()) {
		if n, err := strconv.Atoi(os.Getenv("LISTEN_FDS")); err == nil && n > 0 {
			o.ListenFDs = n
		}
	}
}

func runCreate(g *global, args []string) error {
	o := &libcontainer.CreateOpts{Root: g.root, Systemd: g.systemd, Log: g.log, Rootless: g.rootlessCgroups, RootSticky: g.xdgRoot}
	fs := newFlags("create", "<container-id>")
	createFlags(fs, o)
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	o.ID = pos[0]
	activationOpts(o)
	c, err := libcontainer.Create(o)
	if err != nil {
		return err
	}
	c.Unlock()
	return nil
}
