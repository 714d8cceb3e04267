//go:build !hako_unsealed_exe

package libcontainer

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

func needRoot(tb testing.TB) {
	if os.Geteuid() != 0 {
		tb.Skip("needs root (fsopen of overlayfs)")
	}
}

// checkSealed asserts that f has the running binary's bytes, cannot be
// written through its /proc link, and can be executed through path.
func checkSealed(t *testing.T, f *os.File, path string) {
	t.Helper()
	want, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes, not the running binary (%d bytes)", path, len(got), len(want))
	}
	// The attack: reopen the init's exe for writing. Opening a memfd
	// succeeds but the seal refuses the write; the overlay refuses the open.
	if w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0); err == nil {
		_, werr := w.Write([]byte("x"))
		w.Close()
		if werr == nil {
			t.Fatalf("%s was writable", path)
		}
	} else if !errors.Is(err, unix.EROFS) {
		t.Fatalf("open %s for writing: %v, want EROFS", path, err)
	}
	// exec.Cmd runs the init this way; the test binary runs no test.
	out, err := exec.Command(path, "-test.run=^$").CombinedOutput()
	if err != nil {
		t.Fatalf("exec %s: %v: %s", path, err, out)
	}
}

func TestSealedExeOverlay(t *testing.T) {
	needRoot(t)
	e, err := sealedExe(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var fs unix.Statfs_t
	if err := unix.Fstatfs(int(e.file.Fd()), &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Type != unix.OVERLAYFS_SUPER_MAGIC {
		t.Fatalf("fell back from overlayfs (fs type %#x)", fs.Type)
	}
	if fs.Flags&unix.ST_RDONLY == 0 {
		t.Fatal("overlay superblock is not read-only")
	}
	checkSealed(t, e.file, e.Path)
}

func TestSealedExeMemfd(t *testing.T) {
	f, err := memfdExe()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seals, err := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE; seals&want != want {
		t.Fatalf("seals %#x, want %#x", seals, want)
	}
	checkSealed(t, f, "/proc/self/fd/"+strconv.Itoa(int(f.Fd())))
}

// An overlay is refused when the empty layer overlaps the binary's
// directory; a detached tmpfs then takes its place (Linux 6.15+), or the
// memfd copy, instead of an error.
func TestSealedExeOverlappingRoot(t *testing.T) {
	needRoot(t)
	self, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	// The state root's empty layer inside the binary's directory.
	root, err := os.MkdirTemp(filepath.Dir(self), "root")
	if err != nil {
		t.Skip(err)
	}
	defer os.RemoveAll(root)
	e, err := sealedExe(root)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var fs unix.Statfs_t
	if err := unix.Fstatfs(int(e.file.Fd()), &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Type == unix.OVERLAYFS_SUPER_MAGIC {
		if _, err := overlayExe(filepath.Join(root, cacheDir, "exe-lower")); err == nil {
			t.Fatal("overlay with overlapping layers was accepted")
		}
		t.Log("overlay over a detached tmpfs")
	} else if _, err := overlayExe(""); err == nil {
		t.Fatal("fell back to a memfd although a detached tmpfs layer works")
	}
	checkSealed(t, e.file, e.Path)
}

// The cost per create or exec, printed by hack/bench.sh.
func BenchmarkSealedExeOverlay(b *testing.B) {
	needRoot(b)
	root := b.TempDir()
	for b.Loop() {
		e, err := sealedExe(root)
		if err != nil {
			b.Fatal(err)
		}
		e.Close()
	}
}

func BenchmarkSealedExeMemfd(b *testing.B) {
	for b.Loop() {
		f, err := memfdExe()
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
