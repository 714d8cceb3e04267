package main

import "github.com/hako-runtime/hako/libcontainer"

func init() {
	verbs["start"] = verb{"start the process of a created container", func(g *global, args []string) error {
		return withContainer(g, "start", args, func(c *libcontainer.Container) error { return c.Start(g.log) })
	}}
}
