package caps

import "testing"

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want Set
		err  bool
	}{
		{nil, 0, false},
		{[]string{"CAP_CHOWN"}, 1, false},
		{[]string{"cap_kill", "SYS_ADMIN"}, 1<<5 | 1<<21, false},
		{[]string{"CAP_CHECKPOINT_RESTORE"}, 1 << 40, false},
		{[]string{"CAP_NOPE"}, 0, true},
		{[]string{""}, 0, true},
	} {
		got, err := Parse("process.capabilities.bounding", tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("Parse(%v) = %x, %v; want %x, err %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	if _, err := Parse("process.capabilities.ambient", []string{"CAP_X"}); err == nil || err.Error() != `process.capabilities.ambient: unknown capability "CAP_X"` {
		t.Fatalf("error text: %v", err)
	}
}

func TestNamesMatchKernelNumbers(t *testing.T) {
	for name, n := range map[string]int{"CAP_SYS_ADMIN": 21, "CAP_MKNOD": 27, "CAP_BPF": 39, "CAP_NET_BIND_SERVICE": 10} {
		if got, ok := Number(name); !ok || got != n {
			t.Errorf("%s = %d, want %d", name, got, n)
		}
	}
}
