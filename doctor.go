package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/hako-runtime/hako/internal/doctor"
)

func init() {
	register(&cli.Command{
		Name:  "doctor",
		Usage: "report what this host supports for running containers",
		Description: `Checks what containers need from this host and prints a verdict per item
(ok, warn, fail or info) with a hint for anything not ok: kernel, cgroup
version and controllers, systemd, user namespaces and their limits,
idmapped mounts, time namespaces, pidfds, seccomp and its flags,
AppArmor and SELinux, binary sealing, CRIU, the state root. Run it first
when a container will not start. Exits 1 only when an item every
container needs fails (docs/doctor.md in hako's source explains each
item).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "output format: 'text' or 'json'"},
		},
		Action: runDoctor,
	})
}

// runDoctor prints internal/doctor's report; it exits 1 only when an
// essential item fails (doctor.Report.Failed), warnings exit 0.
func runDoctor(ctx *cli.Context) error {
	if err := checkArgs(ctx, 0, 0); err != nil {
		return err
	}
	format := ctx.String("format")
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
