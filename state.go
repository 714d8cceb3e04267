package main

import (
	"encoding/json"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	register(&cli.Command{
		Name:      "state",
		Usage:     "print the state of a container",
		ArgsUsage: "<container-id>",
		Description: `Prints the container's state as the runtime-spec's state JSON: ociVersion,
id, status (creating, created, running, paused or stopped), pid, bundle,
annotations, and runc's rootfs, created and owner fields.`,
		BashComplete: completeIDs,
		Action:       runState,
	})
}

func runState(ctx *cli.Context) error {
	if err := checkArgs(ctx, 1, 1); err != nil {
		return err
	}
	// Never waits for the lock: hooks run `state` while their
	// runtime holds it.
	c, err := libcontainer.View(g.root, ctx.Args().First())
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	st := c.State()
	// runc's state leaves owner empty (only list fills it in);
	// tools that compare the two outputs see the same document.
	st.Owner = ""
	return enc.Encode(st)
}
