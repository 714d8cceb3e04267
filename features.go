package main

import (
	"encoding/json"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	register(&cli.Command{
		Name:  "features",
		Usage: "show the enabled features",
		Description: `Prints the runtime-spec features document (features.md) as JSON: the
hooks, mount options, namespaces, capabilities, cgroup and seccomp support
and the annotations (org.hako.*) this build and host offer.`,
		Action: func(ctx *cli.Context) error {
			if err := checkArgs(ctx, 0, 0); err != nil {
				return err
			}
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "    ")
			return enc.Encode(libcontainer.Features(version))
		},
	})
}
