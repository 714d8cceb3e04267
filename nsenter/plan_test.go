package nsenter

import (
	"encoding/binary"
	"strings"
	"testing"
)

// records splits an encoded plan back into (tag, payload) pairs.
func records(t *testing.T, b []byte) map[uint32][][]byte {
	t.Helper()
	out := map[uint32][][]byte{}
	for len(b) > 0 {
		if len(b) < 8 {
			t.Fatalf("truncated header: %x", b)
		}
		tag, n := binary.NativeEndian.Uint32(b), binary.NativeEndian.Uint32(b[4:])
		if int(n) > len(b)-8 {
			t.Fatalf("record %d: length %d beyond the end", tag, n)
		}
		out[tag] = append(out[tag], b[8:8+n])
		b = b[8+n:]
	}
	return out
}

func TestPlanEncoding(t *testing.T) {
	umask, persona := uint32(0o027), uint32(8)
	p := &ExecPlan{
		Args: []string{"sh", "-c", "x"}, Env: []string{"A=1"}, NeedHome: true, Cwd: "/w",
		UID: 1, GID: 2, Groups: []uint32{3, 4}, Caps: &[5]uint64{1, 2, 3, 4, 5},
		NoNewPrivileges: true, Umask: &umask, Personality: &persona,
		Seccomp:     &SeccompFilter{Flags: 1, Notify: true, Filter: make([]byte, 16)},
		MemPolicy:   &MemPolicy{Mode: 2, Mask: []uint64{5}},
		Console:     &Console{SocketFD: 9, Rows: 24, Cols: 80, HasSize: true},
		PreserveFDs: 2,
	}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	r := records(t, b)
	if len(r[tagArg]) != 3 || string(r[tagArg][1]) != "-c\x00" || string(r[tagCwd][0]) != "/w\x00" {
		t.Errorf("args/cwd: %q %q", r[tagArg], r[tagCwd])
	}
	if len(r[tagHome]) != 1 || len(r[tagNoNewPrivs]) != 1 || len(r[tagGroup]) != 2 {
		t.Errorf("flags and groups: %v", r)
	}
	for tag, n := range map[uint32]int{tagUser: 8, tagCaps: 40, tagUmask: 4, tagSeccomp: 24, tagPersonality: 4, tagMemPolicy: 12, tagConsole: 10, tagPreserveFDs: 4} {
		if len(r[tag]) != 1 || len(r[tag][0]) != n {
			t.Errorf("record %d: %d bytes, want %d (apply.c checks these sizes)", tag, len(r[tag]), n)
		}
	}
	if got := binary.NativeEndian.Uint64(r[tagCaps][0][32:]); got != 5 {
		t.Errorf("ambient set (the fifth mask) %d, want 5", got)
	}
	// nothing optional is sent unset
	b, _ = (&ExecPlan{Args: []string{"true"}, Cwd: "/"}).MarshalBinary()
	if r := records(t, b); len(r) != 3 {
		t.Errorf("a minimal plan has %d kinds of records, want arg, cwd, user", len(r))
	}
}

func TestPlanErrors(t *testing.T) {
	for name, p := range map[string]*ExecPlan{
		"no args":       {Cwd: "/"},
		"NUL in arg":    {Args: []string{"a\x00b"}, Cwd: "/"},
		"NUL in env":    {Args: []string{"a"}, Env: []string{"A=\x00"}, Cwd: "/"},
		"partial insn":  {Args: []string{"a"}, Cwd: "/", Seccomp: &SeccompFilter{Filter: make([]byte, 12)}},
		"empty program": {Args: []string{"a"}, Cwd: "/", Seccomp: &SeccompFilter{}},
	} {
		if _, err := p.MarshalBinary(); err == nil {
			t.Errorf("%s: encoded", name)
		} else if strings.Contains(name, "NUL") && !strings.Contains(err.Error(), "process.") {
			t.Errorf("%s: %v does not name the field", name, err)
		}
	}
}
