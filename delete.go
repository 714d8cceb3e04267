package main

import (
	"errors"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	verbs["delete"] = verb{"delete a container and its state", runDelete}
}

func runDelete(g *global, args []string) error {
	fs := newFlags("delete", "<container-id>")
	var force bool
	boolFlag(fs, &force, []string{"force", "f"}, "kill the container first if it still runs")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	c, err := libcontainer.Load(g.root, pos[0])
	if err != nil {
		// runc: deleting a missing container with --force is not an error.
		if force && errors.Is(err, libcontainer.ErrNotExist) {
			return nil
		}
		return err
	}
	defer c.Unlock()
	return c.Delete(force, g.log)
}
