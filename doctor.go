package main

import (
	"fmt"
	"os"

	"github.com/hako-runtime/hako/internal/doctor"
)

func init() {
	verbs["doctor"] = verb{"report what this host supports for running containers", runDoctor}
}

// runDoctor prints internal/doctor's report; it exits 1 only when an
// essential item fails (doctor.Report.Failed), warnings exit 0.
func runDoctor(g *global, args []string) error {
	fs := newFlags("doctor", "")
	var format string
	stringFlag(fs, &format, []string{"format", "f"}, "text", "text or json")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	if format != "text" && format != "json" {
		return fmt.Errorf("--format: invalid value %q (want text or json)", format)
	}
	r := doctor.Check(doctor.Options{Root: g.root, Criu: g.criu, SystemdCgroup: g.systemd, Rootless: g.rootlessCgroups})
	var err error
	if format == "json" {
		err = r.WriteJSON(os.Stdout)
	} else {
		err = r.WriteText(os.Stdout)
	}
	if err != nil {
		return err
	}
	if len(r.Failed()) > 0 {
		return &exitError{1}
	}
	return nil
}
