package main

import (
	"github.com/urfave/cli/v2"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	register(&cli.Command{
		Name:         "pause",
		Usage:        "freeze every process of a container",
		ArgsUsage:    "<container-id>",
		Description:  `Freezes the container's cgroup (the freezer); "resume" thaws it.`,
		BashComplete: completeIDs,
		Action:       withContainer((*libcontainer.Container).Pause),
	})
	register(&cli.Command{
		Name:         "resume",
		Usage:        "thaw a paused container",
		ArgsUsage:    "<container-id>",
		Description:  `Thaws the cgroup of a container "pause" froze.`,
		BashComplete: completeIDs,
		Action:       withContainer((*libcontainer.Container).Resume),
	})
}

// withContainer is the action of the verbs that take one id and no flags.
func withContainer(fn func(*libcontainer.Container) error) cli.ActionFunc {
	return func(ctx *cli.Context) error {
		if err := checkArgs(ctx, 1, 1); err != nil {
			return err
		}
		c, err := libcontainer.Load(g.root, ctx.Args().First())
		if err != nil {
			return err
		}
		defer c.Unlock()
		return fn(c)
	}
}
