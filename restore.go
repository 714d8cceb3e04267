package main

import (
	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	verbs["restore"] = verb{"restore a container from a previous checkpoint (CRIU)", runRestore}
}

// runRestore is `run` for a checkpoint: the container is made from the
// bundle and its processes restored by CRIU instead of started; without
// -d the caller waits for it, relays signals and stdio, and the
// container is deleted once it exits, as runc does.
func runRestore(g *global, args []string) error {
	o := &libcontainer.RestoreOpts{
		CreateOpts: libcontainer.CreateOpts{Root: g.root, Systemd: g.systemd, Log: g.log, Rootless: g.rootlessCgroups, RootSticky: g.xdgRoot},
		Criu:       libcontainer.CheckpointOpts{StatusFD: -1, CriuPath: g.criu},
	}
	fs := newFlags("restore", "<container-id>")
	var emptyNS listFlag
	criuFlags(fs, &o.Criu, &emptyNS, "path to criu image files for restoring")
	fs.StringVar(&o.ConsoleSocket, "console-socket", "", "unix socket to send the pty master to")
	stringFlag(fs, &o.Bundle, []string{"bundle", "b"}, ".", "path to the root of the bundle directory")
	var detach, noSubreaper bool
	boolFlag(fs, &detach, []string{"detach", "d"}, "detach from the container's process")
	fs.StringVar(&o.PidFile, "pid-file", "", "file to write the process id to")
	fs.BoolVar(&noSubreaper, "no-subreaper", false, "do not become a subreaper for the container's processes")
	// CRIU rebuilds the container's mount namespace and root itself:
	// there is no pivot_root of hako's to avoid (runc ignores it too).
	fs.BoolVar(&o.NoPivot, "no-pivot", false, "accepted for runc's command line; CRIU sets up the root itself")
	fs.StringVar(&o.LsmProfile, "lsm-profile", "", "LSM profile for the restored process, TYPE:NAME (apparmor:NAME or selinux:LABEL)")
	fs.StringVar(&o.LsmMountContext, "lsm-mount-context", "", "LSM mount context for the restored mounts")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	o.ID = pos[0]
	o.Criu.EmptyNS = emptyNS
	if detach {
		c, err := libcontainer.Restore(o)
		if err != nil {
			return err
		}
		c.Unlock()
		return nil
	}
	return foreground(g, &o.CreateOpts, noSubreaper, false, func() (*libcontainer.Container, error) {
		return libcontainer.Restore(o)
	}, nil)
}
