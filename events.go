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

	"github.com/urfave/cli/v2"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	register(&cli.Command{
		Name:      "events",
		Usage:     "print a container's OOM events and resource usage",
		ArgsUsage: "<container-id>",
		Description: `Prints one JSON object per line, {"type":..., "id":..., "data":...}: "oom"
when the kernel's OOM killer acts in the container, and "stats" (cpu,
memory, pids, blkio, hugetlb, network use) every --interval, or once with
--stats.`,
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "how often to print the stats"},
			&cli.BoolFlag{Name: "stats", Usage: "print the stats once and exit"},
		},
		BashComplete: completeIDs,
		Action:       runEvents,
	})
}

// event is runc's events JSON: {"type":"stats"|"oom","id":...,"data":...}.
type event struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

func runEvents(cx *cli.Context) error {
	if err := checkArgs(cx, 1, 1); err != nil {
		return err
	}
	stats, interval := cx.Bool("stats"), cx.Duration("interval")
	pos := cx.Args().Slice()
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
