package devices

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func i64(v int64) *int64 { return &v }

func rule(allow bool, typ string, major, minor *int64, access string) specs.LinuxDeviceCgroup {
	return specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Major: major, Minor: minor, Access: access}
}

// denyAll + the usual container devices, as engines send them.
var containerRules = []specs.LinuxDeviceCgroup{
	rule(false, "", nil, nil, "rwm"),
	rule(true, "c", i64(1), i64(3), "rwm"),   // null
	rule(true, "c", i64(1), i64(5), "rwm"),   // zero
	rule(true, "c", i64(136), nil, "rwm"),    // pts
	rule(true, "c", nil, nil, "m"),           // mknod any char
	rule(true, "b", nil, nil, "m"),           // mknod any block
	rule(true, "c", i64(10), i64(200), "rw"), // tun
}

func TestEmulatorStates(t *testing.T) {
	tests := []struct {
		name       string
		rules      []specs.LinuxDeviceCgroup
		allow      bool
		exceptions []string
	}{
		{"no rules is allow all", nil, true, nil},
		{"deny all", []specs.LinuxDeviceCgroup{rule(false, "a", nil, nil, "rwm")}, false, nil},
		{"empty type and access mean all", []specs.LinuxDeviceCgroup{rule(false, "", nil, nil, "")}, false, nil},
		{"container rules", containerRules, false, []string{
			"b *:* m", "c *:* m", "c 10:200 rw", "c 136:* rwm", "c 1:3 rwm", "c 1:5 rwm"}},
		{"deny then allow all resets", []specs.LinuxDeviceCgroup{
			rule(false, "a", nil, nil, "rwm"), rule(true, "c", i64(1), i64(3), "rwm"), rule(true, "a", nil, nil, "rwm")}, true, nil},
		{"allow list: same-direction deny removes exact access", []specs.LinuxDeviceCgroup{
			rule(false, "a", nil, nil, "rwm"), rule(true, "c", i64(1), i64(3), "rwm"), rule(false, "c", i64(1), i64(3), "w")},
			false, []string{"c 1:3 rm"}},
		{"allow list: deny of everything removes exception", []specs.LinuxDeviceCgroup{
			rule(false, "a", nil, nil, "rwm"), rule(true, "c", i64(1), i64(3), "r"), rule(false, "c", i64(1), i64(3), "rwm")},
			false, nil},
		{"allow list: deny of wildcard does not touch specific", []specs.LinuxDeviceCgroup{
			rule(false, "a", nil, nil, "rwm"), rule(true, "c", i64(1), i64(3), "rwm"), rule(false, "c", nil, nil, "rwm")},
			false, []string{"c 1:3 rwm"}},
		{"deny list", []specs.LinuxDeviceCgroup{rule(false, "b", i64(8), nil, "w")}, true, []string{"b 8:* w"}},
		{"deny list merges access", []specs.LinuxDeviceCgroup{
			rule(false, "b", i64(8), nil, "w"), rule(false, "b", i64(8), nil, "r")}, true, []string{"b 8:* rw"}},
		{"type a with a number is both types", []specs.LinuxDeviceCgroup{
			rule(false, "a", nil, nil, "rwm"), rule(true, "a", i64(7), nil, "r")}, false, []string{"b 7:* r", "c 7:* r"}},
		{"type a with partial access is both types", []specs.LinuxDeviceCgroup{
			rule(false, "a", nil, nil, "m")}, true, []string{"b *:* m", "c *:* m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := FromSpec(tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			if e.DefaultAllow != tt.allow {
				t.Errorf("DefaultAllow = %v, want %v", e.DefaultAllow, tt.allow)
			}
			var got []string
			for _, r := range e.Exceptions() {
				got = append(got, r.String())
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.exceptions) {
				t.Errorf("exceptions = %q, want %q", got, tt.exceptions)
			}
		})
	}
}

func TestEmulatorInvalid(t *testing.T) {
	for _, r := range []specs.LinuxDeviceCgroup{
		rule(true, "x", nil, nil, "rwm"),
		rule(true, "c", nil, nil, "rwx"),
		rule(true, "c", i64(-2), nil, "r"),
		rule(true, "c", i64(1), i64(1<<40), "r"),
	} {
		if _, err := FromSpec([]specs.LinuxDeviceCgroup{r}); err == nil || !strings.Contains(err.Error(), "linux.resources.devices[0]") {
			t.Errorf("%+v: err = %v, want an error naming the rule", r, err)
		}
	}
}

func TestAllowed(t *testing.T) {
	e, err := FromSpec(containerRules)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		typ          byte
		major, minor int64
		access       Access
		want         bool
	}{
		{'c', 1, 3, Read | Write, true},
		{'c', 1, 7, Read, false},
		{'c', 1, 7, Mknod, true},
		{'c', 136, 42, Read | Write, true},
		{'b', 8, 0, Read, false},
		{'b', 8, 0, Mknod, true},
		{'c', 10, 200, Read | Write, true},
		{'c', 10, 200, Read | Write | Mknod, false}, // no single exception covers rwm
	}
	for _, tt := range tests {
		if got := e.Allowed(tt.typ, tt.major, tt.minor, tt.access); got != tt.want {
			t.Errorf("Allowed(%c %d:%d %s) = %v, want %v", tt.typ, tt.major, tt.minor, tt.access, got, tt.want)
		}
	}
	deny, _ := FromSpec([]specs.LinuxDeviceCgroup{rule(false, "b", i64(8), nil, "w")})
	if !deny.Allowed('b', 8, 1, Read) || deny.Allowed('b', 8, 1, Read|Write) || !deny.Allowed('c', 8, 1, Write) {
		t.Error("deny list matching is wrong")
	}
}

func TestTransition(t *testing.T) {
	target, _ := FromSpec(containerRules)
	fromNew := Transition(New(), target)
	if fromNew[0] != (V1Write{"devices.deny", "a"}) || len(fromNew) != 7 {
		t.Fatalf("from new cgroup: %v", fromNew)
	}
	for _, w := range fromNew[1:] {
		if w.File != "devices.allow" {
			t.Errorf("exception write %v, want devices.allow", w)
		}
	}

	// Update between two deny-default states: no reset, only the diff.
	cur, err := ParseList("c 1:3 rwm\nc 1:5 rwm\nc 136:* rwm\nc *:* m\nb *:* m\nc 10:200 rwm\nc 5:0 r\n")
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(Transition(cur, target))
	want := fmt.Sprint([]V1Write{{"devices.deny", "c 5:0 r"}, {"devices.deny", "c 10:200 m"}})
	if got != want {
		t.Errorf("update = %s, want %s", got, want)
	}
	target.apply(true, Rule{Key{'c', 4, Wildcard}, Read})
	got = fmt.Sprint(Transition(cur, target))
	if !strings.Contains(got, "{devices.allow c 4:* r}") || strings.Contains(got, " a}") {
		t.Errorf("update with a new device = %s", got)
	}

	// Going to allow-all resets.
	all, _ := FromSpec(nil)
	if got := Transition(cur, all); len(got) != 1 || got[0] != (V1Write{"devices.allow", "a"}) {
		t.Errorf("to allow all = %v", got)
	}
	// An "a *:* rwm" list hides deny exceptions: always reset.
	amb, err := ParseList("a *:* rwm\n")
	if err != nil || !amb.DefaultAllow {
		t.Fatalf("ParseList(a) = %+v, %v", amb, err)
	}
	denyList, _ := FromSpec([]specs.LinuxDeviceCgroup{rule(false, "b", i64(8), nil, "w")})
	got = fmt.Sprint(Transition(amb, denyList))
	if got != fmt.Sprint([]V1Write{{"devices.allow", "a"}, {"devices.deny", "b 8:* w"}}) {
		t.Errorf("deny list = %s", got)
	}
	if _, err := ParseList("x 1:2 r"); err == nil {
		t.Error("ParseList accepted a bad type")
	}
}
