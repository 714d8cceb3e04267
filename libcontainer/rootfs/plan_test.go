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
