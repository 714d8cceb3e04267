package main

import "github.com/hako-runtime/hako/libcontainer"

func init() {
	verbs["start"] = verb{"start the process of a created container", runStart}
}

func runStart(g *global, args []string) error {
	pos, err := parseArgs(newFlags("start", "<container-id>"), args, 1, 1)
	if err != nil {
		return err
	}
	c, err := libcontainer.Load(g.root, pos[0])
	if err != nil {
		return err
	}
	defer c.Unlock()
	return c.Start(g.log)
}
