package main

import "github.com/hako-runtime/hako/libcontainer"

func init() {
	verbs["pause"] = verb{"freeze every process of a container", func(g *global, args []string) error {
		return withContainer(g, "pause", args, (*libcontainer.Container).Pause)
	}}
	verbs["resume"] = verb{"thaw a paused container", func(g *global, args []string) error {
		return withContainer(g, "resume", args, (*libcontainer.Container).Resume)
	}}
}

// withContainer is the shape of the verbs that take one ID and no flags.
func withContainer(g *global, name string, args []string, fn func(*libcontainer.Container) error) error {
	pos, err := parseArgs(newFlags(name, "<container-id>"), args, 1, 1)
	if err != nil {
		return err
	}
	c, err := libcontainer.Load(g.root, pos[0])
	if err != nil {
		return err
	}
	defer c.Unlock()
	return fn(c)
}
