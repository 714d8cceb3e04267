package main

import "github.com/hako-runtime/hako/libcontainer"

func init() {
	verbs["kill"] = verb{"send a signal (default TERM) to a container", runKill}
}

func runKill(g *global, args []string) error {
	fs := newFlags("kill", "<container-id> [signal]")
	var all bool
	boolFlag(fs, &all, []string{"all", "a"}, "send the signal to every process of the container")
	pos, err := parseArgs(fs, args, 1, 2)
	if err != nil {
		return err
	}
	sigName := "TERM"
	if len(pos) == 2 {
		sigName = pos[1]
	}
	sig, err := libcontainer.ParseSignal(sigName)
	if err != nil {
		return err
	}
	c, err := libcontainer.Load(g.root, pos[0])
	if err != nil {
		return err
	}
	defer c.Unlock()
	return c.Kill(sig, all)
}
