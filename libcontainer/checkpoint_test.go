package libcontainer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	rfs "github.com/hako-runtime/hako/libcontainer/rootfs"
)

func TestCheckpointOptsCheck(t *testing.T) {
	img := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := os.Mkdir(filepath.Join(img, "pre"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		o    CheckpointOpts
		want string // "" = valid
	}{
		{"defaults", CheckpointOpts{ImagePath: img}, ""},
		{"parent of a pre-dump", CheckpointOpts{ImagePath: img, ParentPath: "pre"}, ""},
		{"absolute parent", CheckpointOpts{ImagePath: img, ParentPath: "/pre"}, "--parent-path must be relative"},
		{"missing parent", CheckpointOpts{ImagePath: img, ParentPath: "nope"}, "--parent-path nope: no such directory"},
		{"cgroups mode", CheckpointOpts{ImagePath: img, ManageCgroupsMode: "bogus"}, "--manage-cgroups-mode"},
		{"cgroups mode ignore", CheckpointOpts{ImagePath: img, ManageCgroupsMode: "ignore"}, ""},
		{"page server", CheckpointOpts{ImagePath: img, PageServer: "host"}, "--page-server"},
		{"page server port", CheckpointOpts{ImagePath: img, PageServer: "host:0"}, "bad port"},
		{"page server ok", CheckpointOpts{ImagePath: img, PageServer: "10.0.0.1:27"}, ""},
		{"empty pid ns", CheckpointOpts{ImagePath: img, EmptyNS: []string{"pid"}}, "--empty-ns"},
		{"lazy pages alone", CheckpointOpts{ImagePath: img, LazyPages: true, StatusFD: -1}, "--lazy-pages needs"},
		{"lazy pages with status fd", CheckpointOpts{ImagePath: img, LazyPages: true, StatusFD: int(w.Fd())}, ""},
		{"status fd not open", CheckpointOpts{ImagePath: img, LazyPages: true, StatusFD: 999}, "--status-fd 999: bad file descriptor"},
		{"status fd without lazy pages means nothing (runc)", CheckpointOpts{ImagePath: img, StatusFD: 999}, ""},
		{"status fd read-only", CheckpointOpts{ImagePath: img, LazyPages: true, StatusFD: int(r.Fd())}, "not open for writing"},
	} {
		o := tc.o
		if o.StatusFD == 0 {
			o.StatusFD = -1
		}
		image, work, err := o.checkDump()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		case tc.want == "" && (image != img || work != img):
			t.Errorf("%s: image %s work %s", tc.name, image, work)
		}
	}
}

func TestExternalMounts(t *testing.T) {
	s := &specs.Spec{
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/data/", Type: "bind", Source: "/srv"},
			{Destination: "/etc/hosts", Type: "none", Source: "/x/hosts", Options: []string{"rbind", "ro"}},
		},
		// seen through our own /proc/<pid>/root: /proc/version is a file,
		// /sys/kernel a directory (a tmpfs mask CRIU dumps itself)
		Linux: &specs.Linux{
			MaskedPaths: []string{"/proc/version", "/sys/kernel", "/no/such"},
			Devices:     []specs.LinuxDevice{{Path: "/dev/fuse/", Type: "c", Major: 10, Minor: 229}},
		},
	}
	var got []string
	for _, m := range externalMounts(s, os.Getpid()) {
		got = append(got, m.GetKey()+"="+m.GetVal())
	}
	want := "/data=/data /etc/hosts=/etc/hosts /proc/version=/dev/null"
	for _, d := range rfs.DefaultDevices {
		want += " " + d.Path + "=" + d.Path
	}
	want += " /dev/fuse=/dev/fuse"
	if strings.Join(got, " ") != want {
		t.Errorf("external mounts %v, want %s", got, want)
	}
}
