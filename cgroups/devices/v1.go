package devices

import (
	"fmt"
	"strconv"
	"strings"
)

// V1Write is one write into a v1 devices cgroup.
type V1Write struct {
	File  string // "devices.allow" or "devices.deny"
	Value string
}

// ParseList reads the content of a v1 devices.list. The kernel prints
// "a *:* rwm" for a default-allow cgroup and hides its deny exceptions, so
// such a cgroup is returned as allow-all with no exceptions; callers must
// not trust its exceptions (Transition resets it).
func ParseList(list string) (*Emulator, error) {
	e := &Emulator{}
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("parse devices.list line %q", line)
		}
		majS, minS, ok := strings.Cut(f[1], ":")
		if !ok {
			return nil, fmt.Errorf("parse devices.list line %q", line)
		}
		access, err := ParseAccess(f[2])
		if err != nil {
			return nil, fmt.Errorf("parse devices.list line %q: %w", line, err)
		}
		if f[0] == "a" {
			e.reset(true)
			return e, nil
		}
		parse := func(s string) (int64, error) {
			if s == "*" {
				return Wildcard, nil
			}
			return strconv.ParseInt(s, 10, 64)
		}
		major, err := parse(majS)
		if err != nil {
			return nil, fmt.Errorf("parse devices.list line %q: %w", line, err)
		}
		minor, err := parse(minS)
		if err != nil {
			return nil, fmt.Errorf("parse devices.list line %q: %w", line, err)
		}
		if f[0] != "c" && f[0] != "b" {
			return nil, fmt.Errorf("parse devices.list line %q: bad type", line)
		}
		e.apply(true, Rule{Key{f[0][0], major, minor}, access})
	}
	return e, nil
}

// Transition returns the writes that take a v1 devices cgroup from cur to
// target. Between two default-deny states it only adds and removes the
// differing exceptions, so a running container never loses access to a
// device it keeps (no transient deny-all on update). Otherwise it resets
// the default first and then writes the exceptions.
func Transition(cur, target *Emulator) []V1Write {
	var ws []V1Write
	except := "devices.allow"
	if target.DefaultAllow {
		except = "devices.deny"
	}
	if cur == nil || cur.DefaultAllow || target.DefaultAllow {
		if target.DefaultAllow {
			ws = append(ws, V1Write{"devices.allow", "a"})
		} else {
			ws = append(ws, V1Write{"devices.deny", "a"})
		}
		for _, r := range target.Exceptions() {
			ws = append(ws, V1Write{except, r.String()})
		}
		return ws
	}
	// Both deny by default: drop access that target lacks, then add.
	for _, r := range cur.Exceptions() {
		if extra := r.Access &^ target.exceptions[r.Key]; extra != 0 {
			ws = append(ws, V1Write{"devices.deny", Rule{r.Key, extra}.String()})
		}
	}
	for _, r := range target.Exceptions() {
		if r.Access&^cur.exceptions[r.Key] != 0 {
			ws = append(ws, V1Write{"devices.allow", r.String()})
		}
	}
	return ws
}
