package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	verbs["list"] = verb{"list containers", runList}
}

func runList(g *global, args []string) error {
	fs := newFlags("list", "")
	var format string
	var quiet bool
	stringFlag(fs, &format, []string{"format", "f"}, "table", "table or json")
	boolFlag(fs, &quiet, []string{"quiet", "q"}, "print only container IDs")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	if g.rootSet {
		// runc: a --root that does not exist is an error, while a
		// default root not made yet only means no containers.
		if _, err := os.ReadDir(g.root); err != nil {
			return err
		}
	}
	cs, err := libcontainer.List(g.root)
	if err != nil {
		return err
	}
	if quiet {
		for _, c := range cs {
			fmt.Println(c.ID)
		}
		return nil
	}
	switch format {
	case "json":
		out := make([]libcontainer.State, 0, len(cs))
		for _, c := range cs {
			out = append(out, c.State())
		}
		return json.NewEncoder(os.Stdout).Encode(out)
	case "table":
		w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
		fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
		for _, c := range cs {
			s := c.State()
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Pid, s.Status, s.Bundle, s.Created.Format(time.RFC3339Nano), s.Owner)
		}
		return w.Flush()
	}
	return fmt.Errorf("invalid format option %q: use table or json", format)
}
