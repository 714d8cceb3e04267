package rootfs

import (
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestParseOptions(t *testing.T) {
	for _, tc := range []struct {
		opts []string
		want Options
	}{
		{nil, Options{}},
		{[]string{"nosuid", "noexec", "nodev", "ro"}, Options{Flags: unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV | unix.MS_RDONLY}},
		{[]string{"ro", "rw"}, Options{Clear: unix.MS_RDONLY}},
		{[]string{"rbind", "rprivate"}, Options{Flags: unix.MS_BIND | unix.MS_REC, Recursive: true, Propagation: []uintptr{unix.MS_PRIVATE | unix.MS_REC}}},
		{[]string{"rro", "rnosuid"}, Options{RecSet: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID}},
		{[]string{"rro", "rrw"}, Options{RecClr: unix.MOUNT_ATTR_RDONLY}},
		// atime attributes are a mode: all of __ATIME cleared, one mode set.
		{[]string{"rnoatime"}, Options{RecSet: unix.MOUNT_ATTR_NOATIME, RecClr: unix.MOUNT_ATTR__ATIME}},
		{[]string{"rnoatime", "rstrictatime"}, Options{RecSet: unix.MOUNT_ATTR_STRICTATIME, RecClr: unix.MOUNT_ATTR__ATIME}},
		{[]string{"rnoatime", "ratime", "rnosuid"}, Options{RecSet: unix.MOUNT_ATTR_NOSUID, RecClr: unix.MOUNT_ATTR__ATIME}},
		{[]string{"mode=755", "size=65536k"}, Options{Data: []string{"mode=755", "size=65536k"}}},
		{[]string{"newinstance", "ptmxmode=0666", "gid=5"}, Options{Data: []string{"newinstance", "ptmxmode=0666", "gid=5"}}},
		{[]string{"ridmap"}, Options{Idmap: true, IdmapRec: true}},
		{[]string{"tmpcopyup"}, Options{CopyUp: true}},
	} {
		if got := ParseOptions(tc.opts); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseOptions(%v) = %+v, want %+v", tc.opts, got, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
	for _, tc := range []struct {
		m   specs.Mount
		err string
	}{
		{specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"}, ""},
		{specs.Mount{Destination: "/data", Source: "/srv", Options: []string{"rbind", "ro"}}, ""},
		{specs.Mount{Destination: "/data", Type: "bind", Source: "/srv", Options: []string{"z"}}, ""},
		{specs.Mount{Destination: "/data", Type: "bind", Source: "/srv", Options: []string{"bogus"}}, `mounts[0].options: unknown option "bogus" for bind mount`},
		{specs.Mount{Destination: "", Type: "tmpfs"}, "mounts[0].destination: must not be empty"},
		{specs.Mount{Destination: "/x", Options: []string{"bind"}}, "mounts[0].source: bind mount needs a source"},
		{specs.Mount{Destination: "/x", Source: "x"}, "mounts[0].type: must be set"},
		{specs.Mount{Destination: "/x", Type: "tmpfs", Options: []string{"idmap"}}, "idmap is only supported on bind mounts"},
		// Mappings without an option: an idmapped bind (containerd >= 2).
		{specs.Mount{Destination: "/x", Source: "/srv", Options: []string{"rbind"}, UIDMappings: maps, GIDMappings: maps}, ""},
		{specs.Mount{Destination: "/x", Type: "tmpfs", UIDMappings: maps, GIDMappings: maps}, "idmap is only supported on bind mounts"},
		{specs.Mount{Destination: "/x", Source: "/srv", Options: []string{"rbind"}, UIDMappings: maps}, "needs both uidMappings and gidMappings"},
		{specs.Mount{Destination: "/../", Type: "tmpfs"}, "cannot mount over the container root"},
	} {
		err := Check(0, &tc.m)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("Check(%+v) = %v, want %q", tc.m, err, tc.err)
		}
	}
}

func TestIdmapped(t *testing.T) {
	maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
	for _, tc := range []struct {
		m              specs.Mount
		idmap, recurse bool
	}{
		{specs.Mount{Options: []string{"rbind"}}, false, false},
		{specs.Mount{Options: []string{"rbind", "idmap"}}, true, false},
		{specs.Mount{Options: []string{"bind", "ridmap"}}, true, true},
		// runc maps only the top mount when no option says otherwise.
		{specs.Mount{Options: []string{"rbind"}, UIDMappings: maps, GIDMappings: maps}, true, false},
		{specs.Mount{Options: []string{"rbind", "ridmap"}, UIDMappings: maps, GIDMappings: maps}, true, true},
	} {
		if idmap, rec := Idmapped(&tc.m); idmap != tc.idmap || rec != tc.recurse {
			t.Errorf("Idmapped(%+v) = %v, %v, want %v, %v", tc.m, idmap, rec, tc.idmap, tc.recurse)
		}
	}
}

func TestDestAndDevSetup(t *testing.T) {
	if d := Dest(&specs.Mount{Destination: "a/../../b"}); d != "/b" {
		t.Fatalf("Dest = %q", d)
	}
	s := &specs.Spec{Mounts: []specs.Mount{{Destination: "/dev", Type: "tmpfs"}}}
	if !NeedsDevSetup(s) {
		t.Fatal("tmpfs /dev must be populated")
	}
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/dev/", Source: "/dev", Options: []string{"rbind"}})
	if NeedsDevSetup(s) {
		t.Fatal("bind-mounted host /dev must be left alone")
	}
}

func TestPlan(t *testing.T) {
	maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
	s := &specs.Spec{
		Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.MountNamespace}}},
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "dev/", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "ro"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro"}},
			{Destination: "/data", Type: "none", Source: "/srv", Options: []string{"rbind", "ro"}},
			{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"tmpcopyup"}},
			{Destination: "/etc/hosts", Source: "/h", Options: []string{"bind"}, UIDMappings: maps, GIDMappings: maps},
		},
	}
	ops, err := Plan(s)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		op      Op
		dest    string
		deferRO bool
		idmap   bool
	}{
		{OpKernFS, "/proc", false, false},
		{OpFS, "/dev", true, false}, // read-only once /dev is populated
		{OpCgroup, "/sys/fs/cgroup", false, false},
		{OpBind, "/data", false, false},
		{OpFS, "/run", false, false},
		{OpBind, "/etc/hosts", false, true},
	}
	if len(ops) != len(want) {
		t.Fatalf("%d ops, want %d", len(ops), len(want))
	}
	for i, w := range want {
		op := ops[i]
		if op.Index != i || op.Op != w.op || op.Dest != w.dest || op.DeferRO != w.deferRO || op.Idmap != w.idmap {
			t.Errorf("op %d: %+v, want %+v", i, op, w)
		}
		if !reflect.DeepEqual(op.Options, ParseOptions(s.Mounts[i].Options)) || !reflect.DeepEqual(op.Raw, s.Mounts[i].Options) {
			t.Errorf("op %d: options %+v from %v", i, op.Options, op.Raw)
		}
	}
	if !ops[3].Options.Recursive || !ops[4].Options.CopyUp {
		t.Errorf("rbind or tmpcopyup lost: %+v %+v", ops[3].Options, ops[4].Options)
	}

	// the checks name the entry
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Source: "/srv", Type: "bind", Options: []string{"bogus"}})
	if _, err := Plan(s); err == nil || !strings.HasPrefix(err.Error(), "mounts[6].options") {
		t.Errorf("bad option: %v", err)
	}
	// idmap without mappings borrows the container's user namespace
	s.Mounts = []specs.Mount{{Destination: "/x", Source: "/srv", Options: []string{"bind", "idmap"}}}
	if _, err := Plan(s); err == nil || !strings.Contains(err.Error(), "has none") {
		t.Errorf("idmap without a user namespace: %v", err)
	}
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	if ops, err := Plan(s); err != nil || !ops[0].Idmap {
		t.Errorf("idmap with a user namespace: %+v %v", ops, err)
	}
}
