// Package doctor reports what a host supports for running containers
// with hako: `hako doctor`. Check gathers facts with quick probes that
// need no privilege and leave nothing behind (no file, mount, cgroup or
// process outlives them), then judges each one with a verdict and, when
// the verdict is not "ok", a one-line hint saying what to do.
//
// Gathering (Gather) and judging (Evaluate) are separate so that the
// verdicts can be tested on made-up facts.
package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Verdict is how an item stands.
type Verdict string

// Verdicts, from good to bad. An item is "info" when it states a fact
// that limits nothing by itself but is worth knowing when a container
// will not start (running rootless, a hybrid cgroup layout); "warn" when
// some configs cannot run here (those that use the feature), "fail" when
// hako cannot use the feature at all. Only a failed essential item makes
// Check's report Failed.
const (
	OK   Verdict = "ok"
	Info Verdict = "info"
	Warn Verdict = "warn"
	Fail Verdict = "fail"
)

// Options is what the command line knows.
type Options struct {
	// Root is the state root (--root, or its default).
	Root string
	// Criu is the criu binary as --criu gives it ("criu": found on $PATH).
	Criu string
	// SystemdCgroup is --systemd-cgroup: the systemd item becomes
	// essential, since every create would need systemd.
	SystemdCgroup bool
	// Rootless is --rootless resolved: cgroups a caller may not create are
	// tolerated, so the cgroup items are not essential.
	Rootless bool
	// Self is the hako binary, run as a short-lived child (with
	// libcontainer.UsernsHoldArg) to hold a user namespace and to be
	// cloned into a cgroup; "" is the running executable.
	Self string
}

// Item is one line of the report.
type Item struct {
	// Group gathers related items: host, cgroups, systemd, userns,
	// mounts, process, security, checkpoint, state.
	Group string `json:"group"`
	// Name is stable and lower case (e.g. "cgroup-mode"): scripts key on it.
	Name    string  `json:"name"`
	Verdict Verdict `json:"verdict"`
	// Essential: a container cannot start without this item (see Failed).
	Essential bool `json:"essential"`
	// Detail is what was found: versions, paths, numbers, errors.
	Detail string `json:"detail"`
	// Hint is what to do, one line; empty exactly when Verdict is "ok".
	Hint string `json:"hint"`
}

// Summary counts the items by verdict.
type Summary struct {
	OK   int `json:"ok"`
	Info int `json:"info"`
	Warn int `json:"warn"`
	Fail int `json:"fail"`
}

// Report is the whole answer, in a fixed order of groups and items.
type Report struct {
	Items []Item `json:"items"`
}

// Failed names the essential items whose verdict is "fail": then no
// container can start here and `hako doctor` exits 1. Essential are the
// kernel (too old for hako's mount code), the namespaces every container
// gets (mount, pid), the state root (create writes there), tmpfs (the
// default /dev), pidfd (kill and delete reach the init by pidfd), binary
// protection (create refuses to run the init from an unprotected binary),
// cgroups (unless rootless), user namespaces for an unprivileged caller
// (its containers all need one), and systemd with --systemd-cgroup.
func (r *Report) Failed() []string {
	var out []string
	for _, it := range r.Items {
		if it.Essential && it.Verdict == Fail {
			out = append(out, it.Name)
		}
	}
	return out
}

// Summary counts the items by verdict.
func (r *Report) Summary() Summary {
	var s Summary
	for _, it := range r.Items {
		switch it.Verdict {
		case OK:
			s.OK++
		case Info:
			s.Info++
		case Warn:
			s.Warn++
		case Fail:
			s.Fail++
		}
	}
	return s
}

// Item returns the item called name, or nil.
func (r *Report) Item(name string) *Item {
	for i := range r.Items {
		if r.Items[i].Name == name {
			return &r.Items[i]
		}
	}
	return nil
}

// Check probes the host and judges what it found.
func Check(opts Options) *Report {
	return Evaluate(opts, Gather(opts))
}

// jsonReport is the JSON document: stable, lower-case field names
// (docs/doctor.md). "ready" is false exactly when the exit status is 1.
type jsonReport struct {
	Ready   bool     `json:"ready"`
	Failed  []string `json:"failed"`
	Summary Summary  `json:"summary"`
	Items   []Item   `json:"items"`
}

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	failed := r.Failed()
	if failed == nil {
		failed = []string{}
	}
	items := r.Items
	if items == nil {
		items = []Item{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonReport{Ready: len(failed) == 0, Failed: failed, Summary: r.Summary(), Items: items})
}

// WriteText writes one line per item under its group's heading, the
// verdict first so that a reader's eye finds the failures, the hint
// indented on the next line, and a closing line with the counts.
func (r *Report) WriteText(w io.Writer) error {
	width := 0
	for _, it := range r.Items {
		width = max(width, len(it.Name)+1)
	}
	var b strings.Builder
	group := ""
	for _, it := range r.Items {
		if it.Group != group {
			if group != "" {
				b.WriteString("\n")
			}
			group = it.Group
			b.WriteString(group + "\n")
		}
		name := it.Name
		if it.Essential {
			name += "*"
		}
		fmt.Fprintf(&b, "  %-4s  %-*s  %s\n", it.Verdict, width, name, oneLine(it.Detail))
		if it.Hint != "" {
			fmt.Fprintf(&b, "        %*s  hint: %s\n", width, "", oneLine(it.Hint))
		}
	}
	s := r.Summary()
	fmt.Fprintf(&b, "\n%d ok, %d info, %d warn, %d fail (* essential). ", s.OK, s.Info, s.Warn, s.Fail)
	if f := r.Failed(); len(f) > 0 {
		fmt.Fprintf(&b, "No container can start here: %s failed.\n", strings.Join(f, ", "))
	} else {
		b.WriteString("Containers can run here (a warn limits what they may use).\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLine keeps a report line on one line whatever an error text holds.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
