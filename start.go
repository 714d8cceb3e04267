package main

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	register(&cli.Command{
		Name:      "start",
		Usage:     "run the program of a created container",
		ArgsUsage: "<container-id>",
		Description: `Runs the program config.json names (process.args) in a container made
by "create": the startContainer hooks run before it, poststart hooks after.`,
		BashComplete: completeIDs,
		Action:       runStart,
	})
}

func runStart(ctx *cli.Context) error {
	if err := checkArgs(ctx, 1, 1); err != nil {
		return err
	}
	c, err := libcontainer.Load(g.root, ctx.Args().First())
	if err != nil {
		return err
	}
	notify, err := startNotifying(c)
	if err != nil {
		c.Unlock()
		return err
	}
	err = c.Start(g.log)
	// The wait for READY must not hold the container's lock: state, kill
	// and exec from other shells go on meanwhile.
	c.Unlock()
	if notify == nil {
		return err
	}
	defer notify.Close()
	if err != nil {
		return err
	}
	return notify.Forward(true)
}

// startNotifying binds the container's sd_notify socket when the caller
// has a NOTIFY_SOCKET (and create set the container up for it).
func startNotifying(c *libcontainer.Container) (*libcontainer.NotifyProxy, error) {
	return c.ListenNotify(os.Getenv("NOTIFY_SOCKET"))
}
