package rootfs

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRestoreMountpoints(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (openat2 confinement works without, but the files are made as root)")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "rootfs")
	outside := filepath.Join(dir, "outside")
	src := filepath.Join(dir, "src")
	for _, d := range []string{root, outside, src} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	hosts := filepath.Join(dir, "hosts")
	if err := os.WriteFile(hosts, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// a symlink in the image that points out of it: followed confined
	if err := os.Symlink("../../outside", filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	s := &specs.Spec{Mounts: []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs"},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts"},
		{Destination: "/data", Type: "bind", Source: src, Options: []string{"bind"}},
		{Destination: "/etc/hosts", Type: "bind", Source: hosts, Options: []string{"bind"}},
		{Destination: "/escape/x", Type: "tmpfs", Source: "tmpfs"},
	}}
	ops, err := Plan(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := RestoreMountpoints(root, ops); err != nil {
		t.Fatal(err)
	}
	for p, dir := range map[string]bool{"proc": true, "dev": true, "data": true, "etc/hosts": false, "outside/x": true} {
		st, err := os.Stat(filepath.Join(root, p))
		if err != nil {
			t.Errorf("%s: %v", p, err)
		} else if st.IsDir() != dir {
			t.Errorf("%s: directory %v, want %v", p, st.IsDir(), dir)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "dev/pts")); err == nil {
		t.Error("dev/pts made on the rootfs: it is the tmpfs's business")
	}
	if _, err := os.Stat(filepath.Join(outside, "x")); err == nil {
		t.Error("a mount point was made outside the rootfs through a symlink")
	}
}
