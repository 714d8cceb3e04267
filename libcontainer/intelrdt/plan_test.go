package intelrdt

import (
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestPlan(t *testing.T) {
	long := strings.Repeat("a", 256)
	for _, tc := range []struct {
		name string
		rdt  *specs.LinuxIntelRdt
		id   string
		want *Group
		err  string // a part of the error; "" for none
	}{
		{name: "no intelRdt", rdt: nil, want: nil},
		{name: "empty: a group of the container's", rdt: &specs.LinuxIntelRdt{}, want: &Group{Name: "c1"}},
		{
			name: "all three fields, in the spec's order",
			rdt: &specs.LinuxIntelRdt{
				Schemata: []string{"L2:0=f;1=f", "SMBA:0=50"}, MemBwSchema: "MB:0=20;1=70", L3CacheSchema: "L3:0=7f0;1=1f",
			},
			want: &Group{Name: "c1", Schemata: []string{"L3:0=7f0;1=1f", "MB:0=20;1=70", "L2:0=f;1=f", "SMBA:0=50"}},
		},
		{
			name: "closID: shared",
			rdt:  &specs.LinuxIntelRdt{ClosID: "gold", MemBwSchema: "MB:0=50"},
			want: &Group{Name: "gold", Shared: true, Schemata: []string{"MB:0=50"}},
		},
		{
			name: "closID / is the default group, with monitoring",
			rdt:  &specs.LinuxIntelRdt{ClosID: "/", EnableMonitoring: true},
			want: &Group{Shared: true, Monitor: "c1"},
		},
		{
			name: "monitoring in a group of the container's",
			rdt:  &specs.LinuxIntelRdt{EnableMonitoring: true},
			want: &Group{Name: "c1", Monitor: "c1"},
		},
		{
			name: "l3CacheSchema of CDP lines, trailing newline and ';'",
			rdt:  &specs.LinuxIntelRdt{L3CacheSchema: "L3CODE:0=ff;\nL3DATA:0=0xf0\n"},
			want: &Group{Name: "c1", Schemata: []string{"L3CODE:0=ff;", "L3DATA:0=0xf0"}},
		},
		{
			name: "same resource, other domains",
			rdt:  &specs.LinuxIntelRdt{L3CacheSchema: "L3:0=ff", Schemata: []string{"L3:1=f0"}},
			want: &Group{Name: "c1", Schemata: []string{"L3:0=ff", "L3:1=f0"}},
		},

		{name: "closID .", rdt: &specs.LinuxIntelRdt{ClosID: "."}, err: "linux.intelRdt.closID: \".\" is not a valid"},
		{name: "closID ..", rdt: &specs.LinuxIntelRdt{ClosID: ".."}, err: "linux.intelRdt.closID: \"..\""},
		{name: "closID with /", rdt: &specs.LinuxIntelRdt{ClosID: "a/b"}, err: "linux.intelRdt.closID: \"a/b\""},
		{name: "closID /x", rdt: &specs.LinuxIntelRdt{ClosID: "/x"}, err: "linux.intelRdt.closID"},
		{name: "closID newline", rdt: &specs.LinuxIntelRdt{ClosID: "a\nb"}, err: "linux.intelRdt.closID: \"a\\nb\" is not a valid resctrl group name: it contains a control character"},
		{name: "closID DEL", rdt: &specs.LinuxIntelRdt{ClosID: "a\x7f"}, err: "control character"},
		{name: "closID info", rdt: &specs.LinuxIntelRdt{ClosID: "info"}, err: "linux.intelRdt.closID: \"info\""},
		{name: "closID mon_groups", rdt: &specs.LinuxIntelRdt{ClosID: "mon_groups"}, err: "entry of the resctrl root"},
		{name: "closID too long", rdt: &specs.LinuxIntelRdt{ClosID: long}, err: "longer than 255"},
		{name: "no closID, no container id", rdt: &specs.LinuxIntelRdt{}, id: "-", err: "linux.intelRdt.closID is empty, so the container id names the group; container id: must not be empty"},
		{name: "monitoring, no container id", rdt: &specs.LinuxIntelRdt{ClosID: "gold", EnableMonitoring: true}, id: "-", err: "linux.intelRdt.enableMonitoring"},

		{name: "l3CacheSchema not L3", rdt: &specs.LinuxIntelRdt{L3CacheSchema: "MB:0=20"}, err: `linux.intelRdt.l3CacheSchema: "MB:0=20" must start with "L3:" or "L3CODE:" or "L3DATA:"`},
		{name: "l3CacheSchema blank", rdt: &specs.LinuxIntelRdt{L3CacheSchema: "\n \n"}, err: "linux.intelRdt.l3CacheSchema: \"\\n \\n\" has no schema line"},
		{name: "l3CacheSchema no colon", rdt: &specs.LinuxIntelRdt{L3CacheSchema: "L3=ff"}, err: `linux.intelRdt.l3CacheSchema: "L3=ff" is not of the form RESOURCE:ID=VAL`},
		{name: "l3CacheSchema no pairs", rdt: &specs.LinuxIntelRdt{L3CacheSchema: "L3:"}, err: "linux.intelRdt.l3CacheSchema: \"L3:\" is not of the form RESOURCE:ID=VAL;ID=VAL;...: no ID=VAL"},
		{name: "l3CacheSchema no =", rdt: &specs.LinuxIntelRdt{L3CacheSchema: "L3:0"}, err: "has no '='"},
		{name: "l3CacheSchema bad id", rdt: &specs.LinuxIntelRdt{L3CacheSchema: "L3:x=ff"}, err: `domain id "x" is not a decimal number`},
		{name: "l3CacheSchema bad mask", rdt: &specs.LinuxIntelRdt{L3CacheSchema: "L3:0=fg"}, err: "linux.intelRdt.l3CacheSchema: \"L3:0=fg\" is not of the form RESOURCE:ID=VAL;ID=VAL;...: domain 0: \"fg\" is not a hex capacity bitmask"},
		{name: "l3CacheSchema empty value", rdt: &specs.LinuxIntelRdt{L3CacheSchema: "L3:0="}, err: "empty value"},
		{name: "l3CacheSchema empty pair", rdt: &specs.LinuxIntelRdt{L3CacheSchema: "L3:0=f;;1=f"}, err: "has no '='"},
		{name: "l3CacheSchema domain twice", rdt: &specs.LinuxIntelRdt{L3CacheSchema: "L3:0=f;0=f0"}, err: "linux.intelRdt.l3CacheSchema: L3 domain 0 is also set by linux.intelRdt.l3CacheSchema"},
		{name: "memBwSchema not MB", rdt: &specs.LinuxIntelRdt{MemBwSchema: "L3:0=ff"}, err: `linux.intelRdt.memBwSchema: "L3:0=ff" must start with "MB:"`},
		{name: "memBwSchema newline", rdt: &specs.LinuxIntelRdt{MemBwSchema: "MB:0=20\nMB:1=20"}, err: "linux.intelRdt.memBwSchema: \"MB:0=20\\nMB:1=20\" must not contain newlines"},
		{name: "memBwSchema not decimal", rdt: &specs.LinuxIntelRdt{MemBwSchema: "MB:0=ff"}, err: "linux.intelRdt.memBwSchema: \"MB:0=ff\" is not of the form RESOURCE:ID=VAL;ID=VAL;...: domain 0: \"ff\" is not a decimal bandwidth"},
		{name: "schemata empty line", rdt: &specs.LinuxIntelRdt{Schemata: []string{"L2:0=f", ""}}, err: `linux.intelRdt.schemata[1]: "" is not of the form`},
		{name: "schemata no prefix", rdt: &specs.LinuxIntelRdt{Schemata: []string{"0=ff"}}, err: `linux.intelRdt.schemata[0]: "0=ff" is not of the form RESOURCE:ID=VAL`},
		{name: "schemata bad resource", rdt: &specs.LinuxIntelRdt{Schemata: []string{"L-3:0=ff"}}, err: `resource name "L-3"`},
		{name: "schemata newline", rdt: &specs.LinuxIntelRdt{Schemata: []string{"L3:0=f\nMB:0=1"}}, err: "linux.intelRdt.schemata[0]: \"L3:0=f\\nMB:0=1\" must not contain newlines"},
		{name: "schemata odd value", rdt: &specs.LinuxIntelRdt{Schemata: []string{"XY:0=a b"}}, err: "has a blank"},
		{
			name: "schemata sets a domain l3CacheSchema sets",
			rdt:  &specs.LinuxIntelRdt{L3CacheSchema: "L3:0=ff;1=ff", Schemata: []string{"L3:1=f0"}},
			err:  "linux.intelRdt.schemata[0]: L3 domain 1 is also set by linux.intelRdt.l3CacheSchema (the kernel refuses a domain given twice in one schemata write)",
		},
		{
			name: "schemata sets a domain memBwSchema sets",
			rdt:  &specs.LinuxIntelRdt{MemBwSchema: "MB:0=50", Schemata: []string{"L3:0=f", "MB:0=70"}},
			err:  "linux.intelRdt.schemata[1]: MB domain 0 is also set by linux.intelRdt.memBwSchema",
		},
		{
			name: "schemata twice the same",
			rdt:  &specs.LinuxIntelRdt{Schemata: []string{"L2:00=f", "L2:0=f"}},
			err:  "linux.intelRdt.schemata[1]: L2 domain 0 is also set by linux.intelRdt.schemata[0]",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := tc.id
			switch id {
			case "":
				id = "c1"
			case "-":
				id = ""
			}
			g, err := Plan(tc.rdt, id)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Plan: got %v, want an error with %q", err, tc.err)
				}
				if !strings.HasPrefix(err.Error(), "linux.intelRdt.") {
					t.Errorf("the error does not start with the field: %v", err)
				}
				// validate's part agrees, except on what needs the id.
				if verr := Validate(tc.rdt); verr != nil && verr.Error() != err.Error() {
					t.Errorf("Validate: %v, Plan: %v", verr, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if !reflect.DeepEqual(g, tc.want) {
				t.Fatalf("Plan:\n got %+v\nwant %+v", g, tc.want)
			}
			if err := Validate(tc.rdt); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}

func TestValidateNeedsNoID(t *testing.T) {
	if err := Validate(&specs.LinuxIntelRdt{EnableMonitoring: true}); err != nil {
		t.Fatal(err)
	}
	if err := Validate(nil); err != nil {
		t.Fatal(err)
	}
}

func TestMatchSchemata(t *testing.T) {
	// As the kernel prints it: names padded, masks zero-padded.
	const cur = "    L3:0=00ff;1=7ff\n    MB:0=100;1= 50\n"
	for _, tc := range []struct {
		lines []string
		err   string
	}{
		{lines: []string{"L3:0=ff"}},
		{lines: []string{"L3:1=0x7FF;0=0ff", "MB:1=50"}},
		{lines: []string{"MB:0=100;1=50;"}},
		{lines: []string{"L3:0=f"}, err: `L3 domain 0 is 00ff in the group, the spec has f (line "L3:0=f")`},
		{lines: []string{"MB:1=60"}, err: "MB domain 1 is 50 in the group, the spec has 60"},
		{lines: []string{"L3:2=ff"}, err: "L3 domain 2 (line \"L3:2=ff\") is not in the group's schemata"},
		{lines: []string{"L2:0=ff"}, err: "L2 domain 0"},
	} {
		err := matchSchemata(cur, tc.lines)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("matchSchemata(%q): got %v, want %q", tc.lines, err, tc.err)
		}
	}
}
