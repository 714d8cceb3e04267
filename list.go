package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	register(&cli.Command{
		Name:  "list",
		Usage: "list the containers under the state root",
		Description: `Lists the containers kept under the global --root (default: /run/hako, or
$XDG_RUNTIME_DIR/hako for an unprivileged user).

    # hako list
    # hako --root /run/other list -q`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "output format: 'table' or 'json'"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the container ids"},
		},
		Action: runList,
	})
}

func runList(ctx *cli.Context) error {
	if err := checkArgs(ctx, 0, 0); err != nil {
		return err
	}
	format, quiet := ctx.String("format"), ctx.Bool("quiet")
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
