package rootfs

import (
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// maxMountInput bounds one fuzz input (all strings together): a few
// thousand options at most, parsed in microseconds.
const maxMountInput = 16 << 10

// mountField is the start of every Check/Plan error: the entry, and the
// part of it that is wrong.
var mountField = regexp.MustCompile(`^mounts\[(\d+)\](\.(destination|source|type|options))?: `)

// FuzzMountPlan plans two mounts made of fuzzed destination, source, type
// and comma-separated options (the second one repeats the first with the
// options reversed, so later-wins and duplicate handling are exercised).
// Properties: no panic; Dest is always a clean absolute path, a fixed
// point, never escaping "/" whatever ".." or relative parts the
// destination has; ParseOptions sorts every option into exactly one
// place (flags set and cleared disjoint, unknown ones kept as data in
// order); a refused entry's error names mounts[i] and the part of it
// that is wrong (quoting an unknown bind option); an accepted plan has one
// operation per entry with its Dest, and survives the JSON trip to the
// init unchanged.
func FuzzMountPlan(f *testing.F) {
	f.Add("/proc", "proc", "proc", "nosuid,noexec,nodev", false, false)
	f.Add("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k", false, false)
	f.Add("/dev/pts", "devpts", "devpts", "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5", false, false)
	f.Add("/sys/fs/cgroup", "cgroup", "cgroup", "nosuid,noexec,nodev,relatime,ro", false, false)
	f.Add("../../etc", "/tmp", "bind", "rbind,rro,ridmap,rnoatime,rstrictatime,rprivate", true, true)
	f.Add("rel/../../x", "data", "", "bind,x-foo,z,tmpcopyup,bogus", false, false)
	f.Add("/a\x00b", "/src", "bind", "ro,rw,suid,nosuid,rrw,rro", true, false)
	f.Add("/..", "", "tmpfs", "idmap", false, true)
	f.Add("", "x", "", "", false, false)
	f.Add("/x", "/y", "none", strings.Repeat("ro,rw,", 500), false, false)
	f.Fuzz(func(t *testing.T, dest, src, typ, opts string, maps, userns bool) {
		if len(dest)+len(src)+len(typ)+len(opts) > maxMountInput {
			return
		}
		var list []string
		if opts != "" {
			list = strings.Split(opts, ",")
		}
		rev := make([]string, len(list))
		for i, o := range list {
			rev[len(list)-1-i] = o
		}
		s := &specs.Spec{Linux: &specs.Linux{}}
		if userns {
			s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.UserNamespace}}
		}
		for _, o := range [][]string{list, rev} {
			m := specs.Mount{Destination: dest, Source: src, Type: typ, Options: o}
			if maps {
				m.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
				m.GIDMappings = m.UIDMappings
			}
			s.Mounts = append(s.Mounts, m)
			checkDest(t, &m)
			checkOptions(t, o)
		}
		NeedsDevSetup(s)
		HasIdmap(s)
		ops, err := Plan(s)
		if err != nil {
			msg := err.Error()
			sm := mountField.FindStringSubmatch(msg)
			if sm == nil || (sm[1] != "0" && sm[1] != "1") {
				t.Fatalf("plan error does not start with mounts[i] of the two entries: %q", msg)
			}
			if strings.Contains(msg, "unknown option") && !regexp.MustCompile(`unknown option ".*" for`).MatchString(msg) {
				t.Fatalf("unknown option not quoted: %q", msg)
			}
			if strings.Contains(msg, "NUL") && !strings.Contains(msg, ".destination") && !strings.Contains(msg, ".source") {
				t.Fatalf("NUL byte error does not say which field has it: %q", msg)
			}
			return
		}
		if len(ops) != len(s.Mounts) {
			t.Fatalf("%d operations for %d mounts", len(ops), len(s.Mounts))
		}
		for i, op := range ops {
			m := &s.Mounts[i]
			switch {
			case op.Index != i || op.Dest != Dest(m) || op.Dest == "/":
				t.Fatalf("mounts[%d]: op %+v for destination %q", i, op, m.Destination)
			case m.Destination == "" || strings.ContainsRune(m.Destination+m.Source, 0):
				t.Fatalf("mounts[%d]: accepted destination %q source %q", i, m.Destination, m.Source)
			case op.Op == OpBind && (m.Source == "" || !IsBind(m)):
				t.Fatalf("mounts[%d]: bind without a source: %+v", i, op)
			case op.Op != OpBind && m.Type == "":
				t.Fatalf("mounts[%d]: %s mount without a type", i, op.Op)
			case op.Idmap && op.Op != OpBind:
				t.Fatalf("mounts[%d]: idmap on a %s mount", i, op.Op)
			}
		}
		// The plan travels to the init as JSON. Its strings came from
		// config.json, so they are valid UTF-8 (JSON cannot carry other
		// bytes; encoding/json would replace them).
		if !utf8.ValidString(dest) || !utf8.ValidString(src) || !utf8.ValidString(typ) || !utf8.ValidString(opts) {
			return
		}
		b, err := json.Marshal(ops)
		if err != nil {
			t.Fatalf("plan does not encode: %v", err)
		}
		var back []MountOp
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("plan does not decode: %v", err)
		}
		if !reflect.DeepEqual(normal(ops), normal(back)) {
			t.Fatalf("plan changed through JSON:\n%+v\n%+v", ops, back)
		}
	})
}

// normal makes empty and nil slices alike (JSON's omitempty drops both).
func normal(ops []MountOp) []MountOp {
	out := append([]MountOp(nil), ops...)
	for i := range out {
		if len(out[i].Raw) == 0 {
			out[i].Raw = nil
		}
		if len(out[i].Options.Data) == 0 {
			out[i].Options.Data = nil
		}
		if len(out[i].Options.Propagation) == 0 {
			out[i].Options.Propagation = nil
		}
	}
	return out
}

func checkDest(t *testing.T, m *specs.Mount) {
	d := Dest(m)
	if !path.IsAbs(d) || path.Clean(d) != d || strings.Contains("/"+d+"/", "/../") {
		t.Fatalf("Dest(%q) = %q: not a clean absolute path", m.Destination, d)
	}
	if again := Dest(&specs.Mount{Destination: d}); again != d {
		t.Fatalf("Dest(%q) = %q, but Dest(%q) = %q", m.Destination, d, d, again)
	}
}

func checkOptions(t *testing.T, opts []string) {
	o := ParseOptions(opts)
	if o.Flags&o.Clear != 0 {
		t.Fatalf("%q: flags %#x both set and cleared (%#x)", opts, o.Flags, o.Clear)
	}
	if o.RecSet&o.RecClr&^unix.MOUNT_ATTR__ATIME != 0 {
		t.Fatalf("%q: recursive attributes %#x both set and cleared (%#x)", opts, o.RecSet, o.RecClr)
	}
	if n := o.RecSet & unix.MOUNT_ATTR__ATIME; n != 0 && n != unix.MOUNT_ATTR_NOATIME && n != unix.MOUNT_ATTR_STRICTATIME {
		t.Fatalf("%q: more than one atime mode %#x", opts, n)
	}
	var data, props []string
	for _, opt := range opts {
		_, f := flagOpts[opt]
		_, p := propOpts[opt]
		_, r := recOpts[opt]
		special := opt == "idmap" || opt == "ridmap" || opt == "tmpcopyup"
		switch {
		case p:
			props = append(props, opt)
		case !f && !r && !special:
			data = append(data, opt)
		}
	}
	if fmt.Sprint(data) != fmt.Sprint(o.Data) || len(props) != len(o.Propagation) {
		t.Fatalf("%q: data %q, propagation %v; want data %q and %d propagation steps", opts, o.Data, o.Propagation, data, len(props))
	}
	// later wins: the last of ro/rw decides MS_RDONLY
	for i := len(opts) - 1; i >= 0; i-- {
		if opts[i] == "ro" || opts[i] == "rw" {
			if (o.Flags&unix.MS_RDONLY != 0) != (opts[i] == "ro") {
				t.Fatalf("%q: last of ro/rw is %s, flags %#x", opts, opts[i], o.Flags)
			}
			break
		}
	}
}
