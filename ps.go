package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	register(&cli.Command{
		Name:      "ps",
		Usage:     "list the processes running in a container",
		ArgsUsage: "<container-id> [ps options]",
		Description: `Runs the host's ps(1) with [ps options] (default: -ef) and keeps the lines
of the container's processes; --format json prints their pids instead.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "output format: 'table' or 'json'"},
		},
		BashComplete: completeIDs,
		Action:       runPs,
	})
}

func runPs(ctx *cli.Context) error {
	if err := checkArgs(ctx, 1, -1); err != nil {
		return err
	}
	format, rest := ctx.String("format"), ctx.Args().Slice()
	c, err := libcontainer.View(g.root, rest[0])
	if err != nil {
		return err
	}
	pids, err := c.Processes()
	if err != nil {
		return err
	}
	switch format {
	case "json":
		if pids == nil {
			pids = []int{}
		}
		return json.NewEncoder(os.Stdout).Encode(pids)
	case "table":
	default:
		return fmt.Errorf("invalid format option %q: use table or json", format)
	}
	psArgs := rest[1:]
	if len(psArgs) == 0 {
		psArgs = []string{"-ef"}
	}
	out, err := exec.Command("ps", psArgs...).Output()
	if err != nil {
		return fmt.Errorf("ps %s: %w", strings.Join(psArgs, " "), err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	col := -1
	for i, f := range strings.Fields(lines[0]) {
		if f == "PID" {
			col = i
		}
	}
	if col < 0 {
		return fmt.Errorf("ps %s: output has no PID column", strings.Join(psArgs, " "))
	}
	in := map[int]bool{}
	for _, p := range pids {
		in[p] = true
	}
	var b bytes.Buffer
	b.WriteString(lines[0] + "\n")
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) > col {
			if p, err := strconv.Atoi(f[col]); err == nil && in[p] {
				b.WriteString(l + "\n")
			}
		}
	}
	_, err = os.Stdout.Write(b.Bytes())
	return err
}
