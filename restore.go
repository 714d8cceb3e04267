package main

import (
	"github.com/urfave/cli/v2"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	register(&cli.Command{
		Name:      "restore",
		Usage:     "restore a container from a previous checkpoint (CRIU)",
		ArgsUsage: "<container-id>",
		Description: `Makes a container from the bundle, as "run" does, with its processes
restored by CRIU from --image-path instead of started. The id may differ
from the checkpointed one. Without -d, hako waits for the container,
relays stdio and signals, and deletes it once it exits.`,
		Flags: append(criuFlags("path to criu image files for restoring"),
			&cli.StringFlag{Name: "console-socket", Usage: "path of an AF_UNIX socket that receives the master end of the restored terminal"},
			&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "path to the bundle directory (holding config.json)"},
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once the container runs"},
			&cli.StringFlag{Name: "pid-file", Usage: "file to write the restored init's process id to"},
			&cli.BoolFlag{Name: "no-subreaper", Usage: "do not become a subreaper for the container's processes"},
			// CRIU rebuilds the container's mount namespace and root
			// itself: there is no pivot_root of hako's to avoid (runc
			// ignores it too).
			&cli.BoolFlag{Name: "no-pivot", Usage: "accepted for runc's command line; CRIU sets the root up itself"},
			&cli.StringFlag{Name: "lsm-profile", Usage: "LSM profile for the restored process, TYPE:NAME (apparmor:NAME or selinux:LABEL)"},
			&cli.StringFlag{Name: "lsm-mount-context", Usage: "LSM mount context for the restored mounts"},
		),
		Action: runRestore,
	})
}

// runRestore is "run" for a checkpoint: the container is made from the
// bundle and its processes restored by CRIU instead of started; without
// -d the caller waits for it, relays signals and stdio, and the
// container is deleted once it exits, as runc does.
func runRestore(ctx *cli.Context) error {
	if err := checkArgs(ctx, 1, 1); err != nil {
		return err
	}
	o := &libcontainer.RestoreOpts{
		CreateOpts: libcontainer.CreateOpts{Root: g.root, Systemd: g.systemd, Log: g.log, Rootless: g.rootlessCgroups, RootSticky: g.xdgRoot,
			ID:            ctx.Args().First(),
			Bundle:        ctx.String("bundle"),
			ConsoleSocket: ctx.String("console-socket"),
			PidFile:       ctx.String("pid-file"),
			NoPivot:       ctx.Bool("no-pivot"),
		},
		Criu:            criuOpts(ctx),
		LsmProfile:      ctx.String("lsm-profile"),
		LsmMountContext: ctx.String("lsm-mount-context"),
	}
	if ctx.Bool("detach") {
		c, err := libcontainer.Restore(o)
		if err != nil {
			return err
		}
		c.Unlock()
		return nil
	}
	return foreground(&o.CreateOpts, ctx.Bool("no-subreaper"), false, func() (*libcontainer.Container, error) {
		return libcontainer.Restore(o)
	}, nil)
}
