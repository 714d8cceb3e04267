package main

import (
	"encoding/json"
	"os"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	verbs["state"] = verb{"print the state of a container as JSON", func(g *global, args []string) error {
		return withContainer(g, "state", args, func(c *libcontainer.Container) error {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(c.State())
		})
	}}
}
