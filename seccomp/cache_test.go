package seccomp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func mustCached(t *testing.T, s *specs.LinuxSeccomp, dir string) *Program {
	t.Helper()
	p, err := CompileCached(s, dir)
	if err != nil {
		t.Fatalf("CompileCached: %v", err)
	}
	return p
}

func TestCompileCached(t *testing.T) {
	s := loadProfile(t, "default.json")
	dir := filepath.Join(t.TempDir(), "cache")
	direct := mustCompile(t, s)

	first := mustCached(t, s, dir)
	if !reflect.DeepEqual(first, direct) {
		t.Fatal("cached compile differs from Compile")
	}
	files := cacheFiles(t, dir)
	if len(files) != 1 || !strings.HasSuffix(files[0], ".json") {
		t.Fatalf("cache holds %v, want one entry", files)
	}
	path := filepath.Join(dir, files[0])
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v (%v)", p, fi.Mode().Perm(), want, err)
		}
	}

	// A hit is served from the file: mark the entry and see it come back.
	var e cacheEntry
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	e.Program.Instructions = []Instruction{{Code: unix.BPF_RET | unix.BPF_K, K: 0x7fff0000}}
	data, _ = json.Marshal(e)
	os.WriteFile(path, data, 0o600)
	if got := mustCached(t, s, dir); len(got.Instructions) != 1 {
		t.Errorf("second call did not use the cache: %d instructions", len(got.Instructions))
	}

	// Listener fields are not part of the key but are filled in.
	l := *s
	l.ListenerPath, l.ListenerMetadata = "/run/agent.sock", "meta"
	got := mustCached(t, &l, dir)
	if len(got.Instructions) != 1 || got.ListenerPath != l.ListenerPath || got.ListenerMetadata != "meta" {
		t.Errorf("listener variant: %d instructions, %q %q", len(got.Instructions), got.ListenerPath, got.ListenerMetadata)
	}
	if got := mustCached(t, s, dir); got.ListenerPath != "" {
		t.Errorf("listener path leaked into the cache: %q", got.ListenerPath)
	}

	// Another profile is another entry.
	o := *s
	o.DefaultErrnoRet = uptr(uint(unix.EACCES))
	if got := mustCached(t, &o, dir); reflect.DeepEqual(got, direct) {
		t.Error("different profile returned the same program")
	}
	if n := len(cacheFiles(t, dir)); n != 2 {
		t.Errorf("cache has %d entries, want 2", n)
	}
}

func TestCompileCachedCorruptEntries(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
		Syscalls: []specs.LinuxSyscall{{Names: []string{"read", "write"}, Action: specs.ActAllow}}}
	direct := mustCompile(t, s)
	key, err := cacheKey(s)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := json.Marshal(cacheEntry{Key: key, Program: direct})
	otherKey, _ := json.Marshal(cacheEntry{Key: strings.Repeat("0", 64), Program: direct})
	empty, _ := json.Marshal(cacheEntry{Key: key, Program: &Program{}})
	for name, content := range map[string][]byte{
		"garbage":       []byte("\x00\xffnot json"),
		"truncated":     good[:len(good)/2],
		"empty file":    nil,
		"other key":     otherKey,
		"no program":    []byte(`{"key":"` + key + `"}`),
		"empty program": empty,
		"unknown field": []byte(`{"key":"` + key + `","program":{"instructions":[{"code":6,"k":0}],"flags":1},"extra":1}`),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, key+".json")
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			if got := mustCached(t, s, dir); !reflect.DeepEqual(got, direct) {
				t.Errorf("corrupt entry was used")
			}
			if got := readCache(path, key); !reflect.DeepEqual(got, direct) {
				t.Errorf("entry was not rewritten")
			}
		})
	}
}

func TestCompileCachedEdgeCases(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno}}}
	t.Run("errors are returned and not cached", func(t *testing.T) {
		dir := t.TempDir()
		bad := &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_FOO"}
		for range 2 {
			if _, err := CompileCached(bad, dir); err == nil || !strings.Contains(err.Error(), `unknown action "SCMP_ACT_FOO"`) {
				t.Errorf("err = %v", err)
			}
		}
		if n := len(cacheFiles(t, dir)); n != 0 {
			t.Errorf("%d files in the cache", n)
		}
	})
	t.Run("unwritable cache still compiles", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "a-file")
		os.WriteFile(file, nil, 0o600)
		if p := mustCached(t, s, filepath.Join(file, "cache")); len(p.Instructions) == 0 {
			t.Error("no program")
		}
	})
	t.Run("no cache dir and nil profile", func(t *testing.T) {
		if p := mustCached(t, s, ""); len(p.Instructions) == 0 {
			t.Error("no program")
		}
		if p, err := CompileCached(nil, t.TempDir()); p != nil || err != nil {
			t.Errorf("nil profile: %v %v", p, err)
		}
	})
	t.Run("concurrent use", func(t *testing.T) {
		dir := t.TempDir()
		want := mustCompile(t, s)
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 5 {
					p, err := CompileCached(s, dir)
					if err != nil || !reflect.DeepEqual(p, want) {
						t.Errorf("concurrent CompileCached: %v", err)
					}
				}
			}()
		}
		wg.Wait()
		if files := cacheFiles(t, dir); len(files) != 1 {
			t.Errorf("cache holds %v, want one entry and no temporary files", files)
		}
	})
	t.Run("key", func(t *testing.T) {
		k1, _ := cacheKey(s)
		k2, _ := cacheKey(s)
		l := *s
		l.ListenerPath = "/x"
		k3, _ := cacheKey(&l)
		f := *s
		f.Flags = []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog}
		k4, _ := cacheKey(&f)
		if k1 != k2 || k1 != k3 || k1 == k4 || len(k1) != 64 {
			t.Errorf("keys %s %s %s %s", k1, k2, k3, k4)
		}
		if !strings.Contains(environment(), "libseccomp=2.") {
			t.Errorf("environment %q lacks the libseccomp version", environment())
		}
	})
}

func BenchmarkCompile(b *testing.B) {
	s := loadProfile(b, "default.json")
	for b.Loop() {
		if _, err := Compile(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompileCached(b *testing.B) {
	s := loadProfile(b, "default.json")
	dir := b.TempDir()
	if _, err := CompileCached(s, dir); err != nil { // warm the cache
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := CompileCached(s, dir); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompileCachedMiss is the first create with a profile: compile
// plus the atomic cache write.
func BenchmarkCompileCachedMiss(b *testing.B) {
	s := loadProfile(b, "default.json")
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		if _, err := CompileCached(s, filepath.Join(dir, strconv.Itoa(i))); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCompileCachedUntrusted: an entry someone else could have written
// (a shared state root) is not used, whatever it holds: a filter that
// allows everything, planted under the profile's key, must not replace
// the profile's own.
func TestCompileCachedUntrusted(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
		Syscalls: []specs.LinuxSyscall{{Names: []string{"read", "write"}, Action: specs.ActAllow}}}
	direct := mustCompile(t, s)
	key, err := cacheKey(s)
	if err != nil {
		t.Fatal(err)
	}
	weak := &Program{Instructions: []Instruction{{Code: unix.BPF_RET | unix.BPF_K, K: 0x7fff0000}}}
	planted, _ := json.Marshal(cacheEntry{Key: key, Program: weak})
	for name, setup := range map[string]func(t *testing.T, top, dir, path string){
		"group-writable entry": func(t *testing.T, top, dir, path string) { os.Chmod(path, 0o620) },
		"world-writable cache dir": func(t *testing.T, top, dir, path string) {
			os.Chmod(dir, 0o777)
		},
		"world-writable parent": func(t *testing.T, top, dir, path string) { os.Chmod(top, 0o757) },
		"symlinked entry": func(t *testing.T, top, dir, path string) {
			other := filepath.Join(top, "elsewhere.json")
			os.Rename(path, other)
			os.Symlink(other, path)
		},
		"entry of another user": func(t *testing.T, top, dir, path string) {
			if os.Geteuid() != 0 {
				t.Skip("needs root to chown")
			}
			os.Chown(path, 65534, 65534)
		},
	} {
		t.Run(name, func(t *testing.T) {
			top := filepath.Join(t.TempDir(), "cachetop")
			dir := filepath.Join(top, "seccomp")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, key+".json")
			if err := os.WriteFile(path, planted, 0o600); err != nil {
				t.Fatal(err)
			}
			// trusted as written: the planted entry is what a hit returns
			if got := readCache(path, key); got == nil || len(got.Instructions) != 1 {
				t.Fatalf("a trusted entry was not read: %v", got)
			}
			setup(t, top, dir, path)
			if got := readCache(path, key); got != nil {
				t.Fatalf("an untrusted entry was read")
			}
			if got := mustCached(t, s, dir); !reflect.DeepEqual(got, direct) {
				t.Errorf("the untrusted entry was used")
			}
		})
	}
}
