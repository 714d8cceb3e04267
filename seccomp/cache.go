package seccomp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// cacheFormat is part of every cache key. Bump it whenever Compile's
// output for the same profile changes (stub layout, translation rules,
// Program fields), so that old entries are never used.
const cacheFormat = "hako-seccomp-v1"

// cacheEntry is the file format: the key it was stored under (a renamed
// or copied file is not trusted) and the program.
type cacheEntry struct {
	Key     string   `json:"key"`
	Program *Program `json:"program"`
}

// CompileCached is Compile with an on-disk cache in cacheDir, so that
// repeated creates with the same profile (typically Docker's default)
// skip libseccomp.
//
// The key is a SHA-256 over the profile's JSON without listenerPath and
// listenerMetadata (they do not change the BPF and are filled in from the
// profile on every call), the libseccomp library version and API level
// (which decide what libseccomp generates for this kernel), the native
// architecture, hako's module version and VCS revision, and cacheFormat.
//
// Entries are written to a temporary file and renamed into place, with
// mode 0600 in a 0700 directory. An entry that cannot be read, does not
// parse, was stored under another key, or that someone other than the
// caller could have written (readTrusted) is ignored and rewritten. A
// failure to write the cache is not an error: the compiled program is
// returned anyway. An empty cacheDir disables the cache.
func CompileCached(s *specs.LinuxSeccomp, cacheDir string) (*Program, error) {
	if s == nil || cacheDir == "" {
		return Compile(s)
	}
	key, err := cacheKey(s)
	if err != nil {
		return Compile(s)
	}
	path := filepath.Join(cacheDir, key+".json")
	if p := readCache(path, key); p != nil {
		p.ListenerPath, p.ListenerMetadata = s.ListenerPath, s.ListenerMetadata
		return p, nil
	}
	p, err := Compile(s)
	if err != nil {
		return nil, err
	}
	_ = writeCache(cacheDir, path, key, p) // best effort, see above
	return p, nil
}

// cacheKey hashes everything that determines Compile's output.
func cacheKey(s *specs.LinuxSeccomp) (string, error) {
	c := *s
	c.ListenerPath, c.ListenerMetadata = "", ""
	profile, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", cacheFormat, environment())
	h.Write(profile)
	return hex.EncodeToString(h.Sum(nil)), nil
}

var environment = sync.OnceValue(func() string {
	major, minor, micro := libseccomp.GetLibraryVersion()
	api, _ := libseccomp.GetAPI()
	native, _ := libseccomp.GetNativeArch()
	version, revision := "unknown", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		version = bi.Main.Version
		for _, kv := range bi.Settings {
			if kv.Key == "vcs.revision" || kv.Key == "vcs.modified" {
				revision += kv.Value
			}
		}
	}
	return fmt.Sprintf("libseccomp=%d.%d.%d api=%d arch=%s hako=%s@%s",
		major, minor, micro, api, native, version, revision)
})

// readCache returns the program stored at path under key, or nil.
func readCache(path, key string) *Program {
	data, err := readTrusted(path)
	if err != nil {
		return nil
	}
	var e cacheEntry
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Key != key || e.Program == nil {
		return nil
	}
	if e.Program.validate() != nil {
		return nil
	}
	return e.Program
}

// readTrusted reads a cache entry only if nobody but the caller could
// have put it there: the file and the two directories above it (the
// cache's "seccomp" and its parent, hako's ".cache") must be owned by
// the caller's euid and writable by no one else, and none of them may be
// a symlink. A state root that other users can write to (a shared --root)
// then cannot be used to swap a weaker filter in for a container's
// profile: the entry is compiled afresh instead.
func readTrusted(path string) ([]byte, error) {
	euid := uint32(os.Geteuid())
	trusted := func(st *unix.Stat_t, typ uint32) error {
		if st.Mode&unix.S_IFMT != typ || st.Uid != euid || st.Mode&0o022 != 0 {
			return fmt.Errorf("untrusted cache entry %s", path)
		}
		return nil
	}
	for _, d := range []string{filepath.Dir(filepath.Dir(path)), filepath.Dir(path)} {
		var st unix.Stat_t
		if err := unix.Lstat(d, &st); err != nil {
			return nil, err
		}
		if err := trusted(&st, unix.S_IFDIR); err != nil {
			return nil, err
		}
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if err := trusted(&st, unix.S_IFREG); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}

// writeCache stores p atomically: a 0600 temporary file in the cache
// directory, fsync, rename.
func writeCache(dir, path, key string, p *Program) error {
	c := *p
	c.ListenerPath, c.ListenerMetadata = "", ""
	data, err := json.Marshal(cacheEntry{Key: key, Program: &c})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-"+key[:16]+"-*") // CreateTemp uses 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
