package libcontainer

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hako-runtime/hako/libcontainer/caps"
	"github.com/hako-runtime/hako/libcontainer/intelrdt"
	"github.com/hako-runtime/hako/libcontainer/lsm"
	rfs "github.com/hako-runtime/hako/libcontainer/rootfs"
	"github.com/hako-runtime/hako/libcontainer/validate"
)

// maxConfig bounds one fuzz input: a config.json of this size decodes and
// validates in well under a millisecond, so no input can look like a hang.
const maxConfig = 64 << 10

// specField says that an error text starts with a config.json path (the
// field the error is about): "process.args: ...", "mounts[3].type: ...",
// "linux.seccomp.syscalls[0]..." or a bare top-level field name.
var specField = regexp.MustCompile(`^(ociVersion|root\.path|process(\.[a-zA-Z]+|\[\d+\])*|linux(\.[a-zA-Z/]+|\[[^\]]*\])*|hooks\.[a-zA-Z]+\[\d+\](\.[a-zA-Z]+(\[\d+\])?)?|hostname|domainname|mounts\[\d+\](\.[a-zA-Z]+)?)(:| )`)

// FuzzConfig feeds config.json bytes through the checks `hako create`
// runs before it makes anything (prepare): LoadSpec, validate.Spec, the
// LSM label checks, caps.FromSpec, intelrdt.Plan and rootfs.Plan.
// Properties: no panic; a parse error names the file and, for a syntax
// error, line and column; a spec refused names the field it refuses; a
// spec accepted survives a JSON round trip unchanged and is accepted
// again, and its mount plan has one clean absolute destination below /
// per entry.
func FuzzConfig(f *testing.F) {
	seeds, err := filepath.Glob("testdata/configs/*.json")
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seed configs in testdata/configs: %v", err)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"ociVersion": "1.0.0", "root": {"path": "rootfs"}, "process": {"args": ["sh"], "cwd": "/"}, "linux": {}}`))
	f.Add([]byte(`{"ociVersion": 1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte("{\"process\": {\"args\": [\"a\"]\n,}"))
	// NUL bytes where the kernel takes C strings (refused naming the field)
	for _, edit := range []struct{ from, to string }{
		{`"cwd": "/"`, `"cwd": "/a\u0000b"`},
		{`"sh"`, `"s\u0000h"`},
		{`"path": "rootfs"`, `"path": "root\u0000fs"`},
		{`"hostname": "hako"`, `"hostname": "ha\u0000ko"`},
		{`"/proc/kcore"`, `"/proc/kc\u0000ore"`},
		{`"/proc/bus"`, `"/proc/b\u0000us"`},
	} {
		def, err := os.ReadFile("testdata/configs/default.json")
		if err != nil {
			f.Fatal(err)
		}
		if !strings.Contains(string(def), edit.from) {
			f.Fatalf("default.json has no %s", edit.from)
		}
		f.Add([]byte(strings.Replace(string(def), edit.from, edit.to, 1)))
	}
	// One bundle directory per worker process, rewritten for each input:
	// LoadSpec reads a bundle, as create does.
	bundle := f.TempDir()
	cfg := filepath.Join(bundle, "config.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxConfig {
			return
		}
		if err := os.WriteFile(cfg, data, 0o600); err != nil {
			t.Fatal(err)
		}
		spec, err := LoadSpec(bundle)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "parse "+cfg+": ") {
				t.Fatalf("parse error does not name the file: %q", msg)
			}
			if strings.Contains(msg, "invalid character") || strings.Contains(msg, "unexpected end") {
				if !regexp.MustCompile(`: line \d+, column \d+: `).MatchString(msg) {
					t.Fatalf("syntax error without line and column: %q", msg)
				}
			}
			return
		}
		plan, err := checkConfig(spec)
		if err != nil {
			if !specField.MatchString(err.Error()) {
				t.Fatalf("refused config: the error does not start with the field: %q", err)
			}
			return
		}
		for i, op := range plan {
			if op.Index != i || !path.IsAbs(op.Dest) || path.Clean(op.Dest) != op.Dest || op.Dest == "/" ||
				strings.Contains(op.Dest, "\x00") {
				t.Fatalf("mounts[%d]: planned destination %q (index %d) is not a clean path below /", i, op.Dest, op.Index)
			}
		}
		// No NUL in what the kernel takes as a C string.
		for _, v := range append(append(append([]string{spec.Root.Path, spec.Process.Cwd, spec.Hostname, spec.Domainname},
			spec.Process.Args...), spec.Linux.MaskedPaths...), spec.Linux.ReadonlyPaths...) {
			if strings.IndexByte(v, 0) >= 0 {
				t.Fatalf("accepted a NUL byte in %q", v)
			}
		}
		for _, d := range spec.Linux.Devices {
			if strings.IndexByte(d.Path, 0) >= 0 {
				t.Fatalf("accepted a NUL byte in device %q", d.Path)
			}
		}
		// A hook's timeout is a time.Duration that stays positive.
		if h := spec.Hooks; h != nil {
			for _, l := range [][]specs.Hook{h.Prestart, h.CreateRuntime, h.CreateContainer, h.StartContainer, h.Poststart, h.Poststop} {
				for _, hk := range l {
					if hk.Timeout != nil && time.Duration(*hk.Timeout)*time.Second <= 0 {
						t.Fatalf("hook timeout %d accepted: %v as a duration", *hk.Timeout, time.Duration(*hk.Timeout)*time.Second)
					}
				}
			}
		}
		// An accepted config means the same after a JSON round trip
		// (what state.json stores and exec reads back).
		b, err := json.Marshal(spec)
		if err != nil {
			t.Fatalf("accepted config does not encode: %v", err)
		}
		var again specs.Spec
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatalf("accepted config does not decode after encoding: %v", err)
		}
		plan2, err := checkConfig(&again)
		if err != nil {
			t.Fatalf("accepted config refused after a JSON round trip: %v", err)
		}
		if !reflect.DeepEqual(plan, plan2) {
			t.Fatalf("mount plan changed across a JSON round trip:\n%+v\n%+v", plan, plan2)
		}
	})
}

// checkConfig is prepare's pure part, in its order.
func checkConfig(spec *specs.Spec) ([]rfs.MountOp, error) {
	if err := validate.Spec(spec); err != nil {
		return nil, err
	}
	caps.FromSpec(spec.Process.Capabilities)
	validate.PersonalityWarning(spec.Linux.Personality)
	if err := lsm.CheckSpec(spec, lsm.Host{AppArmor: true, SELinux: true}); err != nil {
		return nil, err
	}
	if _, err := intelrdt.Plan(spec.Linux.IntelRdt, "fuzz"); err != nil {
		return nil, err
	}
	s := *spec
	s.Mounts = append([]specs.Mount(nil), spec.Mounts...)
	for i := range s.Mounts {
		if m := &s.Mounts[i]; rfs.IsBind(m) && !filepath.IsAbs(m.Source) {
			m.Source = filepath.Join("/bundle", m.Source)
		}
	}
	return rfs.Plan(&s)
}
