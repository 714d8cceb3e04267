package main

import (
	"flag"

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
}

func runCreate(g *global, args []string) error {
	o := &libcontainer.CreateOpts{Root: g.root, Systemd: g.systemd, Log: g.log}
	fs := newFlags("create", "<container-id>")
	createFlags(fs, o)
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	o.ID = pos[0]
	c, err := libcontainer.Create(o)
	if err != nil {
		return err
	}
	c.Unlock()
	return nil
}
