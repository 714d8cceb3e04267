package intelrdt

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Field names, as errors name them.
const (
	fieldClosID     = "linux.intelRdt.closID"
	fieldL3         = "linux.intelRdt.l3CacheSchema"
	fieldMB         = "linux.intelRdt.memBwSchema"
	fieldSchemata   = "linux.intelRdt.schemata"
	fieldMonitoring = "linux.intelRdt.enableMonitoring"
)

// nameMax is NAME_MAX: a group name is one directory entry.
const nameMax = 255

// reserved are the root's entries that are not control groups: a closID
// naming one would put the container's pid where it means something else.
var reserved = map[string]bool{"info": true, "mon_groups": true, "mon_data": true}

// Validate checks linux.intelRdt without the container ID (which validate
// does not have; Plan checks it where it names a group): closID, and the
// three schema fields. nil is valid (no intelRdt). Pure.
func Validate(rdt *specs.LinuxIntelRdt) error {
	if rdt == nil {
		return nil
	}
	if rdt.ClosID != "" && rdt.ClosID != DefaultClosID {
		if err := checkName(fieldClosID, rdt.ClosID); err != nil {
			return err
		}
	}
	_, err := schemata(rdt)
	return err
}

// Plan checks linux.intelRdt and says what Apply would do for the container
// containerID. nil gives nil (nothing to do). Errors name the field. Pure.
func Plan(rdt *specs.LinuxIntelRdt, containerID string) (*Group, error) {
	if rdt == nil {
		return nil, nil
	}
	if err := Validate(rdt); err != nil {
		return nil, err
	}
	lines, _ := schemata(rdt)
	g := &Group{Schemata: lines}
	switch rdt.ClosID {
	case "":
		if err := checkName(fieldClosID+" is empty, so the container id names the group; container id", containerID); err != nil {
			return nil, err
		}
		g.Name = containerID
	case DefaultClosID:
		g.Shared = true
	default:
		g.Name, g.Shared = rdt.ClosID, true
	}
	if rdt.EnableMonitoring {
		if err := checkName(fieldMonitoring+": the container id names the monitoring group; container id", containerID); err != nil {
			return nil, err
		}
		g.Monitor = containerID
	}
	return g, nil
}

// checkName says whether name can be a resctrl group directory: one path
// component the kernel accepts (rdtgroup_mkdir refuses newlines), not one
// of the root's own entries.
func checkName(field, name string) error {
	bad := func(why string) error {
		return fmt.Errorf("%s: %q is not a valid resctrl group name: %s", field, name, why)
	}
	switch {
	case name == "":
		return fmt.Errorf("%s: must not be empty", field)
	case name == "." || name == "..":
		return bad("it is a relative path")
	case len(name) > nameMax:
		return bad(fmt.Sprintf("longer than %d bytes", nameMax))
	case strings.Contains(name, "/"):
		return bad(`it contains "/" (only "/" alone, the default group, may)`)
	case reserved[name]:
		return bad("it is an entry of the resctrl root, not a group")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c == 0x7f {
			return bad("it contains a control character")
		}
	}
	return nil
}

// schemaLine is a parsed schemata line: RESOURCE:ID=VAL;ID=VAL;...
type schemaLine struct {
	res  string
	doms []domain
}

type domain struct {
	id  uint64
	val string
}

// schemata checks the three schema fields and gives the lines in the
// order they are written. A resource's domain set by two lines is refused
// (the kernel would refuse the one write that carries them).
func schemata(rdt *specs.LinuxIntelRdt) ([]string, error) {
	var lines []string
	seen := map[string]string{} // "RES\x00ID" -> the field that set it
	add := func(field, line string, allowed ...string) error {
		sl, err := parseLine(line)
		if err != nil {
			return fmt.Errorf("%s: %w", field, err)
		}
		if len(allowed) > 0 && !slices.Contains(allowed, sl.res) {
			return fmt.Errorf("%s: %q must start with %s", field, line, strings.Join(prefixes(allowed), " or "))
		}
		for _, d := range sl.doms {
			key := sl.res + "\x00" + strconv.FormatUint(d.id, 10)
			if prev, ok := seen[key]; ok {
				return fmt.Errorf("%s: %s domain %d is also set by %s (the kernel refuses a domain given twice in one schemata write)", field, sl.res, d.id, prev)
			}
			seen[key] = field
		}
		lines = append(lines, line)
		return nil
	}
	if rdt.L3CacheSchema != "" {
		// The spec says SHOULD NOT contain newlines: more than one line
		// is taken, each an L3 one (L3CODE and L3DATA with CDP).
		n := 0
		for _, l := range strings.Split(rdt.L3CacheSchema, "\n") {
			if strings.TrimSpace(l) == "" {
				continue
			}
			if err := add(fieldL3, l, "L3", "L3CODE", "L3DATA"); err != nil {
				return nil, err
			}
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: %q has no schema line", fieldL3, rdt.L3CacheSchema)
		}
	}
	if rdt.MemBwSchema != "" {
		if strings.ContainsAny(rdt.MemBwSchema, "\n\r") {
			return nil, fmt.Errorf("%s: %q must not contain newlines", fieldMB, rdt.MemBwSchema)
		}
		if err := add(fieldMB, rdt.MemBwSchema, "MB"); err != nil {
			return nil, err
		}
	}
	for i, l := range rdt.Schemata {
		field := fmt.Sprintf("%s[%d]", fieldSchemata, i)
		if strings.ContainsAny(l, "\n\r") {
			return nil, fmt.Errorf("%s: %q must not contain newlines (one line per element)", field, l)
		}
		if err := add(field, l); err != nil {
			return nil, err
		}
	}
	return lines, nil
}

func prefixes(res []string) []string {
	out := make([]string, len(res))
	for i, r := range res {
		out[i] = strconv.Quote(r + ":")
	}
	return out
}

// parseLine checks a schemata line's form as the kernel parses it
// (rdtgroup_schemata_write, parse_line): a resource name, ':', then
// ID=VAL pairs separated by ';' (a trailing ';' is allowed), IDs in
// decimal; cache bitmasks (L2*, L3*) in hex, MB and SMBA in decimal, other
// resources' values free of blanks. The hardware's limits are the
// kernel's to check.
func parseLine(line string) (schemaLine, error) {
	form := func(why string) error {
		return fmt.Errorf("%q is not of the form RESOURCE:ID=VAL;ID=VAL;...: %s", line, why)
	}
	if strings.ContainsAny(line, "\n\r\x00") {
		return schemaLine{}, form("it contains a newline or NUL")
	}
	res, rest, ok := strings.Cut(line, ":")
	res = strings.TrimSpace(res)
	if !ok {
		return schemaLine{}, form(`no ":" after the resource name`)
	}
	if !resName(res) {
		return schemaLine{}, form(fmt.Sprintf("resource name %q is not letters, digits and _", res))
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return schemaLine{}, form("no ID=VAL after " + strconv.Quote(res+":"))
	}
	sl := schemaLine{res: res}
	toks := strings.Split(rest, ";")
	for i, tok := range toks {
		if tok == "" && i == len(toks)-1 && i > 0 {
			break
		}
		id, val, ok := strings.Cut(tok, "=")
		if !ok {
			return schemaLine{}, form(fmt.Sprintf("%q has no '='", tok))
		}
		n, err := strconv.ParseUint(id, 10, 32)
		if err != nil {
			return schemaLine{}, form(fmt.Sprintf("domain id %q is not a decimal number", id))
		}
		val = strings.TrimSpace(val)
		if err := checkValue(res, val); err != nil {
			return schemaLine{}, form(fmt.Sprintf("domain %d: %v", n, err))
		}
		sl.doms = append(sl.doms, domain{id: n, val: val})
	}
	return sl, nil
}

func resName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// cache resources take hex bitmasks; bandwidth ones decimal numbers.
func isCache(res string) bool     { return strings.HasPrefix(res, "L2") || strings.HasPrefix(res, "L3") }
func isBandwidth(res string) bool { return res == "MB" || res == "SMBA" }

func checkValue(res, val string) error {
	switch {
	case val == "":
		return errors.New("empty value")
	case isCache(res):
		if _, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(val, "0x"), "0X"), 16, 64); err != nil {
			return fmt.Errorf("%q is not a hex capacity bitmask", val)
		}
	case isBandwidth(res):
		if _, err := strconv.ParseUint(val, 10, 32); err != nil {
			return fmt.Errorf("%q is not a decimal bandwidth (percent, or MBps with mba_MBps)", val)
		}
	case strings.ContainsAny(val, " \t=;"):
		return fmt.Errorf("%q has a blank, '=' or ';'", val)
	}
	return nil
}

// sameValue compares a value of the spec's with the kernel's: the kernel
// prints bitmasks zero-padded in hex and bandwidths in decimal.
func sameValue(res, a, b string) bool {
	base := 0
	switch {
	case isCache(res):
		base = 16
		a = strings.TrimPrefix(strings.TrimPrefix(a, "0x"), "0X")
		b = strings.TrimPrefix(strings.TrimPrefix(b, "0x"), "0X")
	case isBandwidth(res):
		base = 10
	}
	if base != 0 {
		x, err1 := strconv.ParseUint(a, base, 64)
		y, err2 := strconv.ParseUint(b, base, 64)
		if err1 == nil && err2 == nil {
			return x == y
		}
	}
	return a == b
}

// matchSchemata says whether a group's schemata file (as the kernel prints
// it: one line per resource, names padded with blanks) already has every
// domain the lines set, with the same value. Resources and domains the
// lines leave out are not compared. Pure.
func matchSchemata(current string, lines []string) error {
	have := map[string]map[uint64]string{}
	for _, l := range strings.Split(current, "\n") {
		res, rest, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		res = strings.TrimSpace(res)
		doms := have[res]
		if doms == nil {
			doms = map[uint64]string{}
			have[res] = doms
		}
		for _, tok := range strings.Split(rest, ";") {
			id, val, ok := strings.Cut(tok, "=")
			if !ok {
				continue
			}
			n, err := strconv.ParseUint(strings.TrimSpace(id), 10, 32)
			if err != nil {
				continue
			}
			doms[n] = strings.TrimSpace(val)
		}
	}
	for _, l := range lines {
		sl, err := parseLine(l)
		if err != nil {
			return err
		}
		for _, d := range sl.doms {
			cur, ok := have[sl.res][d.id]
			if !ok {
				return fmt.Errorf("%s domain %d (line %q) is not in the group's schemata", sl.res, d.id, l)
			}
			if !sameValue(sl.res, d.val, cur) {
				return fmt.Errorf("%s domain %d is %s in the group, the spec has %s (line %q)", sl.res, d.id, cur, d.val, l)
			}
		}
	}
	return nil
}
