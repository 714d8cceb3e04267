package main

import (
	"encoding/json"
	"os"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	verbs["state"] = verb{"print the state of a container as JSON", func(g *global, args []string) error {
		pos, err := parseArgs(newFlags("state", "<container-id>"), args, 1, 1)
		if err != nil {
			return err
		}
		// Never waits for the lock: hooks run `state` while their
		// runtime holds it.
		c, err := libcontainer.View(g.root, pos[0])
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
	}}
}
