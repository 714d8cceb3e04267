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
	b.WriteString(`# EXIT STATUS

0 on success; 1 when hako fails, or for a usage error; 3 for an unknown
command. **run**, **restore** (without **-d**) and **exec** exit with the
status of the container's process (128+N when killed by signal N);
**exec** exits 255 when exec itself fails.

# FILES

*/run/hako*
: the state of each container, one directory per id (**--root**); for an
unprivileged user *$XDG\_RUNTIME\_DIR/hako*.

*/etc/criu/hako.conf*
: CRIU options for **checkpoint** and **restore**, unless a container's
*org.criu.config* annotation names another file.

`)
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

// writeMan renders markdown to roff with hyphenation off: flag names and
// paths must not be broken across lines. go-md2man's .nh does not last
// (the an macros turn hyphenation back on at each paragraph from the HY
// register, which is set to 0 first), and lines are not justified.
func writeMan(path, markdown string) error {
	roff := ".nr HY 0\n" + string(md2man.Render([]byte(markdown)))
	if i := strings.Index(roff, "\n.TH "); i >= 0 {
		if j := strings.Index(roff[i+1:], "\n"); j >= 0 {
			at := i + 1 + j + 1
			roff = roff[:at] + ".ad l\n" + roff[at:]
		}
	}
	return os.WriteFile(path, []byte(roff), 0o644)
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
			form := "**--" + n + "**"
			if d.TakesValue() {
				form += "=*value*"
			}
			if len(n) == 1 {
				form = "**-" + n + "**"
				if d.TakesValue() {
					form += " *value*"
				}
			}
			names = append(names, form)
		}
		fmt.Fprintf(b, "%s", strings.Join(names, ", "))
		usage := mdEscape(d.GetUsage())
		if def := d.GetValue(); d.TakesValue() && def != "" && def != `""` {
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
