//go:build hakoman

package main

// The man pages are made from the same command definitions as the help:
// `go run -tags hakoman . man-pages DIR` (make man) writes hako.8 and one
// hako-<verb>.8 per verb, rendered from markdown by go-md2man (the
// library urfave/cli's own ToMan uses). The tag keeps roff out of the
// runtime binary.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cpuguy83/go-md2man/v2/md2man"
	"github.com/urfave/cli/v2"
)

func init() {
	register(&cli.Command{
		Name:      "man-pages",
		Hidden:    true,
		ArgsUsage: "<dir>",
		Action: func(ctx *cli.Context) error {
			if err := checkArgs(ctx, 1, 1); err != nil {
				return err
			}
			return writeManPages(ctx.App, ctx.Args().First())
		},
	})
}

// writeManPages writes hako.8 and hako-<verb>.8 for every visible verb.
func writeManPages(app *cli.App, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var verbs []*cli.Command
	for _, c := range app.Commands {
		if !c.Hidden && c.Name != "help" {
			verbs = append(verbs, c)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%% HAKO 8 \"\" \"hako %s\" \"System Manager's Manual\"\n\n", app.Version)
	fmt.Fprintf(&b, "# NAME\n\nhako - %s\n\n", mdEscape(app.Usage))
	b.WriteString("# SYNOPSIS\n\n**hako** [*global options*] *command* [*command options*] [*arguments*...]\n\n")
	fmt.Fprintf(&b, "# DESCRIPTION\n\n%s\n\n", mdText(app.Description))
	b.WriteString("# GLOBAL OPTIONS\n\n")
	mdFlags(&b, app.Flags)
	b.WriteString("# COMMANDS\n\n")
	for _, c := range verbs {
		fmt.Fprintf(&b, "**%s**\n: %s; see **hako-%s**(8).\n\n", c.Name, mdEscape(c.Usage), c.Name)
	}
	b.WriteString("# SEE ALSO\n\n")
	for i, c := range verbs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "**hako-%s**(8)", c.Name)
	}
	b.WriteString("\n")
	if err := writeMan(filepath.Join(dir, "hako.8"), b.String()); err != nil {
		return err
	}
	for _, c := range verbs {
		b.Reset()
		fmt.Fprintf(&b, "%% HAKO-%s 8 \"\" \"hako %s\" \"System Manager's Manual\"\n\n", strings.ToUpper(c.Name), app.Version)
		fmt.Fprintf(&b, "# NAME\n\nhako-%s - %s\n\n", c.Name, mdEscape(c.Usage))
		fmt.Fprintf(&b, "# SYNOPSIS\n\n**hako** [*global options*] **%s** [*options*] %s\n\n", c.Name, mdEscape(c.ArgsUsage))
		if c.Description != "" {
			fmt.Fprintf(&b, "# DESCRIPTION\n\n%s\n\n", mdText(c.Description))
		}
		if len(c.VisibleFlags()) > 0 {
			b.WriteString("# OPTIONS\n\n")
			mdFlags(&b, c.Flags)
		}
		b.WriteString("# SEE ALSO\n\n**hako**(8) for the global options and the other commands.\n")
		if err := writeMan(filepath.Join(dir, "hako-"+c.Name+".8"), b.String()); err != nil {
			return err
		}
	}
	return nil
}

func writeMan(path, markdown string) error {
	return os.WriteFile(path, md2man.Render([]byte(markdown)), 0o644)
}

// mdFlags lists flags as a definition list: names, value, default, usage.
func mdFlags(b *strings.Builder, flags []cli.Flag) {
	for _, f := range flags {
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			continue
		}
		d, ok := f.(cli.DocGenerationFlag)
		if !ok {
			continue
		}
		var names []string
		for _, n := range f.Names() {
			dash := "--"
			if len(n) == 1 {
				dash = "-"
			}
			names = append(names, "**"+dash+n+"**")
		}
		fmt.Fprintf(b, "%s", strings.Join(names, ", "))
		if d.TakesValue() {
			b.WriteString("=*value*")
		}
		usage := mdEscape(d.GetUsage())
		if def := d.GetValue(); d.TakesValue() && def != "" && def != "0" && def != `""` {
			usage += " (default: " + mdEscape(def) + ")"
		}
		fmt.Fprintf(b, "\n: %s\n\n", usage)
	}
}

// mdText turns a help text into markdown: lines indented by four spaces
// stay code blocks, the rest is escaped prose.
func mdText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "    ") {
			lines[i] = mdEscape(l)
		}
	}
	return strings.Join(lines, "\n")
}

func mdEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "<", `\<`, ">", `\>`, "[", `\[`, "]", `\]`, "`", "\\`", "#", `\#`)
	return r.Replace(s)
}
