package main

import (
	"github.com/urfave/cli/v2"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	register(&cli.Command{
		Name:      "checkpoint",
		Usage:     "checkpoint a running container (CRIU)",
		ArgsUsage: "<container-id>",
		Description: `Dumps the container's processes to image files with CRIU (--criu), to be
brought back by "restore", here or on another host. The container stops
unless --leave-running or --pre-dump.

    # hako checkpoint --image-path /var/lib/ckpt/web01 web01`,
		Flags: append(criuFlags("path for saving criu image files"),
			&cli.StringFlag{Name: "parent-path", Usage: "path of the images of a previous --pre-dump (relative to --image-path)"},
			&cli.BoolFlag{Name: "leave-running", Usage: "leave the container running after the dump"},
			&cli.BoolFlag{Name: "tcp-skip-in-flight", Usage: "skip in-flight tcp connections"},
			&cli.BoolFlag{Name: "link-remap", Usage: "link unlinked files back when possible"},
			&cli.IntFlag{Name: "status-fd", Value: -1, Usage: "with --lazy-pages: criu writes \\0 to this fd once the pages can be served"},
			&cli.StringFlag{Name: "page-server", Usage: "ADDRESS:PORT of the page server"},
			&cli.BoolFlag{Name: "pre-dump", Usage: "dump the memory only, leaving the container running (for a later dump with --parent-path)"},
		),
		BashComplete: completeIDs,
		Action: func(ctx *cli.Context) error {
			if err := checkArgs(ctx, 1, 1); err != nil {
				return err
			}
			o := criuOpts(ctx)
			o.ParentPath = ctx.String("parent-path")
			o.LeaveRunning = ctx.Bool("leave-running")
			o.TCPSkipInFlight = ctx.Bool("tcp-skip-in-flight")
			o.LinkRemap = ctx.Bool("link-remap")
			o.StatusFD = ctx.Int("status-fd")
			o.PageServer = ctx.String("page-server")
			o.PreDump = ctx.Bool("pre-dump")
			c, err := libcontainer.Load(g.root, ctx.Args().First())
			if err != nil {
				return err
			}
			defer c.Unlock()
			return c.Checkpoint(&o, g.log)
		},
	})
}

// criuFlags are runc's checkpoint flags that restore has too; imageUsage
// says what the image path is for.
func criuFlags(imageUsage string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "image-path", Usage: imageUsage + " (default: ./checkpoint)"},
		&cli.StringFlag{Name: "work-path", Usage: "path for CRIU's work files and logs (default: the image path)"},
		&cli.BoolFlag{Name: "tcp-established", Usage: "allow open tcp connections"},
		&cli.BoolFlag{Name: "ext-unix-sk", Usage: "allow external unix sockets"},
		&cli.BoolFlag{Name: "shell-job", Usage: "allow shell jobs (a process on the caller's terminal)"},
		&cli.BoolFlag{Name: "lazy-pages", Usage: "use userfaultfd to restore memory pages lazily"},
		&cli.BoolFlag{Name: "file-locks", Usage: "handle file locks"},
		&cli.StringFlag{Name: "manage-cgroups-mode", Usage: "CRIU's cgroups mode: soft (default), full, strict or ignore"},
		listFlag("empty-ns", nil, "make this namespace (network) but do not restore its contents; repeatable"),
		&cli.BoolFlag{Name: "auto-dedup", Usage: "deduplicate memory images"},
	}
}

// criuOpts reads criuFlags.
func criuOpts(ctx *cli.Context) libcontainer.CheckpointOpts {
	return libcontainer.CheckpointOpts{
		CriuPath:          g.criu,
		StatusFD:          -1,
		ImagePath:         ctx.String("image-path"),
		WorkPath:          ctx.String("work-path"),
		TCPEstablished:    ctx.Bool("tcp-established"),
		ExtUnixSk:         ctx.Bool("ext-unix-sk"),
		ShellJob:          ctx.Bool("shell-job"),
		LazyPages:         ctx.Bool("lazy-pages"),
		FileLocks:         ctx.Bool("file-locks"),
		ManageCgroupsMode: ctx.String("manage-cgroups-mode"),
		EmptyNS:           listOf(ctx, "empty-ns"),
		AutoDedup:         ctx.Bool("auto-dedup"),
	}
}
