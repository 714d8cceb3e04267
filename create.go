package main

import (
	"os"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	register(&cli.Command{
		Name:      "create",
		Usage:     "create a container",
		ArgsUsage: "<container-id>",
		Description: `Sets the container up from the bundle's config.json: namespaces, root
filesystem, cgroups. The container's process is made and waits; "start"
runs the program config.json names, "delete" removes it.

"<container-id>" names the container and must be unique on this host.`,
		Flags: createFlags(),
		Action: func(ctx *cli.Context) error {
			if err := checkArgs(ctx, 1, 1); err != nil {
				return err
			}
			o := createOpts(ctx)
			c, err := libcontainer.Create(o)
			if err != nil {
				return err
			}
			c.Unlock()
			return nil
		},
	})
}

// createFlags are shared by create and run.
func createFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "path to the bundle directory (holding config.json)"},
		&cli.StringFlag{Name: "console-socket", Usage: "path of an AF_UNIX socket that receives the master end of the container's terminal (process.terminal)"},
		&cli.StringFlag{Name: "pidfd-socket", Usage: "path of an AF_UNIX socket that receives a pidfd of the container's process"},
		&cli.StringFlag{Name: "pid-file", Usage: "file to write the container process's id to"},
		&cli.BoolFlag{Name: "no-pivot", Usage: "enter the root filesystem with MS_MOVE and chroot instead of pivot_root (for a rootfs on a ramdisk)"},
		&cli.BoolFlag{Name: "no-new-keyring", Usage: "keep the caller's session keyring instead of making a new one"},
		&cli.UintFlag{Name: "preserve-fds", Usage: "pass N more file descriptors, from 3 (after stdio and $LISTEN_FDS), to the container"},
	}
}

// createOpts reads create's and run's flags and the global ones, and the
// caller's activation environment (see activationOpts).
func createOpts(ctx *cli.Context) *libcontainer.CreateOpts {
	o := &libcontainer.CreateOpts{Root: g.root, Systemd: g.systemd, Log: g.log, Rootless: g.rootlessCgroups, RootSticky: g.xdgRoot,
		ID:            ctx.Args().First(),
		Bundle:        ctx.String("bundle"),
		PidFile:       ctx.String("pid-file"),
		ConsoleSocket: ctx.String("console-socket"),
		NoPivot:       ctx.Bool("no-pivot"),
		NoNewKeyring:  ctx.Bool("no-new-keyring"),
		PreserveFDs:   int(ctx.Uint("preserve-fds")), // a count: a negative one is a parse error, as in runc
		PidfdSocket:   ctx.String("pidfd-socket"),
	}
	activationOpts(o)
	return o
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
