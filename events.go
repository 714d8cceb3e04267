package main

import (
	"context"
	"encoding/json"
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
	c, err := libcontainer.Load(g.root, pos[0])
	if err != nil {
		return err
	}
	m, err := c.Cgroup()
	// Stream without holding the lock: other commands must keep working.
	c.Unlock()
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
				ooms = nil
				continue
			}
			enc.Encode(event{Type: "oom", ID: pos[0]})
		case <-tick.C:
			if err := emit(); err != nil {
				// The cgroup is gone with the container: stop quietly.
				return nil
			}
		}
	}
}
