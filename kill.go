package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	register(&cli.Command{
		Name:      "kill",
		Usage:     "send a signal (default: SIGTERM) to the container's init process",
		ArgsUsage: "<container-id> [signal]",
		Description: `[signal] is a name (KILL, SIGKILL) or a number (9).

    # hako kill web01 KILL`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Hidden: true, Usage: "send the signal to every process of the container (deprecated, as in runc)"},
		},
		BashComplete: completeKill,
		Action: func(ctx *cli.Context) error {
			if err := checkArgs(ctx, 1, 2); err != nil {
				return err
			}
			sigName := "TERM"
			if ctx.NArg() == 2 {
				sigName = ctx.Args().Get(1)
			}
			sig, err := libcontainer.ParseSignal(sigName)
			if err != nil {
				return err
			}
			c, err := libcontainer.Load(g.root, ctx.Args().First())
			if err != nil {
				return err
			}
			defer c.Unlock()
			return c.Kill(sig, ctx.Bool("all"))
		},
	})
}

// completeKill completes the container id, then the signal's name (the
// kernel's names, without "SIG", as runc users write them).
func completeKill(ctx *cli.Context) {
	if ctx.NArg() != 1 {
		completeIDs(ctx)
		return
	}
	for sig := unix.Signal(1); sig < 32; sig++ {
		if n := unix.SignalName(sig); n != "" {
			fmt.Println(n[3:])
		}
	}
}
