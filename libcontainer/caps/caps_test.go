package caps

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in      []string
		want    Set
		unknown []string
	}{
		{nil, 0, nil},
		{[]string{"CAP_CHOWN"}, 1, nil},
		{[]string{"CAP_KILL", "CAP_SYS_ADMIN"}, 1<<5 | 1<<21, nil},
		{[]string{"CAP_CHECKPOINT_RESTORE"}, 1 << 40, nil},
		// runc's spelling only: anything else is skipped with a warning.
		{[]string{"CAP_NOPE", "CAP_KILL"}, 1 << 5, []string{"CAP_NOPE"}},
		{[]string{"cap_kill", "SYS_ADMIN", ""}, 0, []string{"cap_kill", "SYS_ADMIN", ""}},
	} {
		if Last() < 40 && tc.want == 1<<40 {
			continue
		}
		got, unknown := Parse(tc.in)
		if got != tc.want || !reflect.DeepEqual(unknown, tc.unknown) {
			t.Errorf("Parse(%q) = %x, %q; want %x, %q", tc.in, got, unknown, tc.want, tc.unknown)
		}
	}
}

func TestFromSpecUnknownOnceSorted(t *testing.T) {
	_, unknown := FromSpec(&specs.LinuxCapabilities{
		Bounding: []string{"CAP_Z", "CAP_KILL"}, Effective: []string{"CAP_A", "CAP_Z"}, Ambient: []string{"CAP_Z"},
	})
	if !reflect.DeepEqual(unknown, []string{"CAP_A", "CAP_Z"}) {
		t.Fatalf("unknown = %q", unknown)
	}
	if w := UnknownWarning(unknown); w != "ignoring unknown or unavailable capabilities: [CAP_A CAP_Z]" {
		t.Fatalf("warning: %s", w)
	}
}

func TestNamesMatchKernelNumbers(t *testing.T) {
	for name, n := range map[string]int{"CAP_SYS_ADMIN": 21, "CAP_MKNOD": 27, "CAP_BPF": 39, "CAP_NET_BIND_SERVICE": 10} {
		if got, ok := Number(name); !ok || got != n {
			t.Errorf("%s = %d, want %d", name, got, n)
		}
	}
}
