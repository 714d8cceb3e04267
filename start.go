package main

import (
	"os"

	"github.com/hako-runtime/hako/libcontainer"
)

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
	notify, err := startNotifying(c)
	if err != nil {
		c.Unlock()
		return err
	}
	err = c.Start(g.log)
	// The wait for READY must not hold the container's lock: state, kill
	// and exec from other shells go on meanwhile.
	c.Unlock()
	if notify == nil {
		return err
	}
	defer notify.Close()
	if err != nil {
		return err
	}
	return notify.Forward(true)
}

// startNotifying binds the container's sd_notify socket when the caller
// has a NOTIFY_SOCKET (and create set the container up for it).
func startNotifying(c *libcontainer.Container) (*libcontainer.NotifyProxy, error) {
	return c.ListenNotify(os.Getenv("NOTIFY_SOCKET"))
}
