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
			st := c.State()
			// runc's state leaves owner empty (only list fills it in);
			// tools that compare the two outputs see the same document.
			st.Owner = ""
			return enc.Encode(st)
		})
	}}
}
