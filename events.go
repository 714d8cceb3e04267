package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	verbs["events"] = verb{"print container stats and OOM events as JSON", runEvents}
}

// event is runc's events JSON: {"type":"stats"|"oom","id":...,"data":...}.
type event struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

func runEvents(g *global, args []string) error {
	fs := newFlags("events", "<container-id>")
	var stats bool
	var interval time.Duration
	fs.BoolVar(&stats, "stats", false, "print the stats once and exit")
	fs.DurationVar(&interval, "interval", 5*time.Second, "stats interval")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	// Streams without the lock: other commands must keep working.
	c, err := libcontainer.View(g.root, pos[0])
	if err != nil {
		return err
	}
	if interval <= 0 {
		return errors.New("duration interval must be greater than 0")
	}
	if c.Status == libcontainer.Stopped {
		return fmt.Errorf("container with id %s is not running", c.ID)
	}
	m, err := c.Cgroup()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	emit := func() error {
		s, err := m.Stats()
		if err != nil {
			return err
		}
		return enc.Encode(event{Type: "stats", ID: pos[0], Data: s})
	}
	if stats {
		return emit()
	}
	ctx, cancel := signal.NotifyContext(context.Background(), unix.SIGINT, unix.SIGTERM)
	defer cancel()
	ooms, err := m.OOMEvents(ctx)
	if err != nil {
		return err
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-ooms:
			if !ok {
				// The watch ends when the cgroup is removed, i.e. the
				// container was deleted (runc ends here too).
				return nil
			}
			enc.Encode(event{Type: "oom", ID: pos[0]})
		case <-tick.C:
			// Stats of a removed cgroup may still read as zeroes (v1):
			// the container's own existence decides.
			if !c.Exists() {
				return nil
			}
			if err := emit(); err != nil {
				return nil
			}
		}
	}
}
