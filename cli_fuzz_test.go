package main

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer"
	"github.com/hako-runtime/hako/libcontainer/validate"
)

// maxCLIInput bounds one fuzz input: argv strings are short in practice,
// and every parser here is linear.
const maxCLIInput = 8 << 10

// FuzzCLIValues drives the parsers of command-line values: kill's signal
// (libcontainer.ParseSignal), the container id (validate.ID), update's
// sizes and numbers (parseBytes, applyUpdateFlags), exec's --user and
// --additional-gids (parseID) and --cgroup (parseSubCgroups), the
// repeatable list flags (-e, --cap, --empty-ns: listValue), --rootless
// (checkRootless), and the argument reordering every verb goes through
// (reorderArgs). Properties: no panic; a refused value gets an error that
// names the flag (or what the value is) and quotes the value; an accepted
// value means what it says (a signal name gives back its number, a size
// is -1 or not negative, a list survives urfave/cli's copy between flag
// names, reordering only moves arguments).
func FuzzCLIValues(f *testing.F) {
	f.Add("KILL", "hako-1", "64m", "1000", "cpu,memory:sub\nsub2", "memory", "1g", "hako\n--root\n/r\ndelete\nID\n-f")
	f.Add("sigrtmin+3", "..", "1.5 GiB", "4294967296", "", "cpu-quota", "-1", "hako\nrun\nID\n-b\n/b\n--\n-d")
	f.Add("RTMAX-31", "a/b", "1e19", "-1", ":x\ncpu:y\ncpu:z", "blkio-weight", "1001", "hako\nexec\nID\nls\n-h")
	f.Add("65", strings.Repeat("x", 256), "-1", "0x10", "cpu,cpu:x", "pids-limit", "max", "hako\nkill\nID\n-h\n9")
	f.Add("0", "", "10kb", "", "/", "l3-cache-schema", "L3:0=f", "hako\n--nope\nupdate\nID\n--memory")
	f.Add("070", "x", "1", "1", "", "", "", "")
	f.Add("Sigterm", "x", "12 PiB", "7", "a:b:c", "memory-swap", "1tib", "hako\n--generate-bash-completion")
	f.Fuzz(func(t *testing.T, sig, id, size, num, cgroups, flag, value, args string) {
		if len(sig)+len(id)+len(size)+len(num)+len(cgroups)+len(flag)+len(value)+len(args) > maxCLIInput {
			return
		}
		checkSignal(t, sig)
		if err := validate.ID(id); err != nil && id != "" && len(id) <= validate.MaxIDLen && !strings.Contains(err.Error(), id) {
			t.Fatalf("id %q refused without naming it: %v", id, err)
		}
		checkSize(t, size)
		if v, err := parseID("--user", num); err != nil {
			if !strings.HasPrefix(err.Error(), "--user: ") || !strings.Contains(err.Error(), fmt.Sprintf("%q", num)) {
				t.Fatalf("--user %q: %v", num, err)
			}
		} else if strconv.FormatUint(uint64(v), 10) != strings.TrimLeft(num, "0") && !(v == 0 && strings.Trim(num, "0") == "") {
			t.Fatalf("--user %q gave %d", num, v)
		}
		checkSubCgroups(t, strings.Split(cgroups, "\n"))
		checkUpdateFlag(t, flag, value)
		checkList(t, strings.Split(cgroups, "\n"))
		checkRootlessValue(t, value)
		checkReorder(t, strings.Split(args, "\n"))
	})
}

func checkSignal(t *testing.T, s string) {
	sig, err := libcontainer.ParseSignal(s)
	if err != nil {
		// the value as given, or as the number it parsed to ("070": 70)
		n, aerr := strconv.Atoi(s)
		if !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) && !strings.Contains(err.Error(), s) && (aerr != nil || !strings.Contains(err.Error(), strconv.Itoa(n))) {
			t.Fatalf("signal %q refused without naming it: %v", s, err)
		}
		return
	}
	if sig < 0 || sig > 64 {
		t.Fatalf("signal %q gave %d", s, sig)
	}
	// a name the kernel has gives back the same number
	if name := unix.SignalName(sig); name != "" {
		if again, err := libcontainer.ParseSignal(name); err != nil || again != sig {
			t.Fatalf("signal %q is %d (%s), but %s parses to %d, %v", s, sig, name, name, again, err)
		}
	}
	if again, err := libcontainer.ParseSignal(strconv.Itoa(int(sig))); err != nil || again != sig {
		t.Fatalf("signal %q is %d, but its number parses to %d, %v", s, sig, again, err)
	}
}

func checkSize(t *testing.T, s string) {
	v, err := parseBytes(s)
	if err != nil {
		if !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) {
			t.Fatalf("size %q refused without quoting it: %v", s, err)
		}
		if err := applyUpdateFlags(&specs.LinuxResources{}, map[string]string{"memory": s}); err == nil ||
			!strings.HasPrefix(err.Error(), "--memory: ") {
			t.Fatalf("--memory %q: %v does not name the flag", s, err)
		}
		return
	}
	if v < -1 {
		t.Fatalf("size %q accepted as %d", s, v)
	}
	if v == -1 && s != "-1" {
		t.Fatalf("size %q taken for unlimited", s)
	}
}

func checkSubCgroups(t *testing.T, vals []string) {
	m, err := parseSubCgroups(vals)
	if err != nil {
		msg := err.Error()
		if !strings.HasPrefix(msg, "--cgroup: ") || !strings.Contains(msg, `"`) {
			t.Fatalf("--cgroup %q: %q names no flag or value", vals, msg)
		}
		return
	}
	for _, v := range vals {
		ctrls, path, ok := strings.Cut(v, ":")
		if !ok {
			ctrls, path = "", v
		}
		for _, c := range strings.Split(ctrls, ",") {
			if m[c] != path || path == "" {
				t.Fatalf("--cgroup %q: %q maps to %q", vals, c, m[c])
			}
		}
	}
}

func checkUpdateFlag(t *testing.T, name, value string) {
	r := &specs.LinuxResources{}
	err := applyUpdateFlags(r, map[string]string{name: value})
	if err != nil {
		msg := err.Error()
		if !strings.HasPrefix(msg, "--"+name+": ") {
			t.Fatalf("--%s %q: %q does not start with the flag", name, value, msg)
		}
		if !strings.Contains(msg, fmt.Sprintf("%q", value)) && name != "blkio-weight" &&
			name != "l3-cache-schema" && name != "mem-bw-schema" {
			t.Fatalf("--%s %q: %q does not quote the value", name, value, msg)
		}
		return
	}
	if !reflect.DeepEqual(r, &specs.LinuxResources{}) {
		// whatever was set, it is the number given
		if b, err := strconv.ParseInt(value, 10, 64); err == nil && r.Pids != nil && *r.Pids.Limit != b {
			t.Fatalf("--pids-limit %q set %d", value, *r.Pids.Limit)
		}
		if r.BlockIO != nil && r.BlockIO.Weight != nil && strconv.Itoa(int(*r.BlockIO.Weight)) != strings.TrimLeft(value, "+0") && *r.BlockIO.Weight != 0 {
			t.Fatalf("--blkio-weight %q set %d", value, *r.BlockIO.Weight)
		}
	}
}

func checkList(t *testing.T, vals []string) {
	var l listValue
	for _, v := range vals {
		if strings.HasPrefix(v, listSerialized) {
			return // cannot be an argument: argv strings have no NUL
		}
		if err := l.Set(v); err != nil {
			t.Fatalf("list value %q: %v", v, err)
		}
	}
	var copied listValue
	if err := copied.Set(l.Serialize()); err != nil || !slices.Equal(copied, l) || !slices.Equal(l, vals) {
		t.Fatalf("list %q copied as %q (%v)", vals, copied, err)
	}
}

func checkRootlessValue(t *testing.T, v string) {
	err := checkRootless(&global{rootless: v})
	ok := v == "true" || v == "false" || v == "auto"
	if ok != (err == nil) {
		t.Fatalf("--rootless %q: %v", v, err)
	}
	if err != nil && (!strings.HasPrefix(err.Error(), "--rootless: ") || !strings.Contains(err.Error(), fmt.Sprintf("%q", v))) {
		t.Fatalf("--rootless %q: %q names no flag or value", v, err)
	}
}

var fuzzApp = newApp(&global{})

func checkReorder(t *testing.T, args []string) {
	in := append([]string(nil), args...)
	out := reorderArgs(fuzzApp, args)
	if !slices.Equal(in, args) {
		t.Fatalf("reorderArgs changed its input %q to %q", in, args)
	}
	valuePending(fuzzApp, args)
	if n := len(out); n > 0 && out[n-1] == "--help" && !slices.Contains(in, "--help") {
		// -h anywhere: the verb's help, with what came before the verb
		if n > len(in) || !slices.Equal(out[:n-1], in[:n-1]) {
			t.Fatalf("reorderArgs(%q) = %q: help does not keep the verb", in, out)
		}
		return
	}
	a, b := slices.Clone(in), slices.Clone(out)
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Fatalf("reorderArgs(%q) = %q: not a reordering", in, out)
	}
	// nothing after "--" moves
	if i := slices.Index(in, "--"); i >= 0 {
		if j := slices.Index(out, "--"); j < 0 || !slices.Equal(in[i:], out[len(out)-(len(in)-i):]) {
			t.Fatalf("reorderArgs(%q) = %q: moved what follows --", in, out)
		}
	}
}
