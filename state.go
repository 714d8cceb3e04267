package main

import (
	"encoding/json"
	"os"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	verbs["state"] = verb{"print the state of a container as JSON", runState}
}

func runState(g *global, args []string) error {
	pos, err := parseArgs(newFlags("state", "<container-id>"), args, 1, 1)
	if err != nil {
		return err
	}
	c, err := libcontainer.Load(g.root, pos[0])
	if err != nil {
		return err
	}
	defer c.Unlock()
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(c.State())
}
