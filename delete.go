package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	register(&cli.Command{
		Name:      "delete",
		Usage:     "delete a container and the resources it holds",
		ArgsUsage: "<container-id>",
		Description: `Removes a stopped (or, with --force, running) container: its processes,
cgroup, mounts and state. Engines call it once a detached container has
exited.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill the container with SIGKILL first if it still runs"},
		},
		BashComplete: completeIDs,
		Action: func(ctx *cli.Context) error {
			if err := checkArgs(ctx, 1, 1); err != nil {
				return err
			}
			force := ctx.Bool("force")
			c, err := libcontainer.Load(g.root, ctx.Args().First())
			if err != nil {
				// runc: deleting a missing container with --force is not an error.
				if force && errors.Is(err, libcontainer.ErrNotExist) {
					return nil
				}
				return err
			}
			defer c.Unlock()
			return c.Delete(force, g.log)
		},
	})
}
