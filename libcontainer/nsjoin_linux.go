package libcontainer

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer/validate"
)

// checkNamespacePaths makes sure every namespace joined by path is a
// namespace of the type its entry says, before anything is created: setns
// would only say EINVAL, without naming the entry.
func checkNamespacePaths(s *specs.Spec) error {
	for i, ns := range s.Linux.Namespaces {
		if ns.Path == "" {
			continue
		}
		field := fmt.Sprintf("linux.namespaces[%d].path", i)
		fd, err := unix.Open(ns.Path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("%s: %w", field, &os.PathError{Op: "open", Path: ns.Path, Err: err})
		}
		var fs unix.Statfs_t
		err = unix.Fstatfs(fd, &fs)
		var typ int
		if err == nil && fs.Type == unix.NSFS_MAGIC {
			typ, err = unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
		}
		unix.Close(fd)
		switch {
		case err != nil:
			return fmt.Errorf("%s: %s: %w", field, ns.Path, err)
		case fs.Type != unix.NSFS_MAGIC:
			return fmt.Errorf("%s: %s is not a namespace file", field, ns.Path)
		case uintptr(typ) != validate.NamespaceFlags[ns.Type]:
			return fmt.Errorf("%s: %s is not a %s namespace", field, ns.Path, ns.Type)
		}
	}
	return nil
}

// checkJoinedUserMaps compares the mappings of a user namespace joined by
// path (pid is a process in it) with linux.uidMappings/gidMappings, which
// containerd and CRI-O repeat: runc accepts them when they match and
// refuses them when they do not.
func checkJoinedUserMaps(pid int, s *specs.Spec) error {
	if len(s.Linux.UIDMappings) == 0 && len(s.Linux.GIDMappings) == 0 {
		return nil
	}
	for _, f := range []struct {
		name string
		m    []specs.LinuxIDMapping
	}{{"uid", s.Linux.UIDMappings}, {"gid", s.Linux.GIDMappings}} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s_map", pid, f.name))
		if err != nil {
			return fmt.Errorf("read %s mappings of the joined user namespace: %w", f.name, err)
		}
		have, err := parseIDMap(string(b))
		if err != nil {
			return fmt.Errorf("read %s mappings of the joined user namespace: %w", f.name, err)
		}
		if !sameIDMap(have, f.m) {
			return fmt.Errorf("linux.%sMappings: the user namespace joined by path has other mappings (%s): give either the path or matching mappings",
				f.name, strings.Join(strings.Fields(string(b)), " "))
		}
	}
	return nil
}

func parseIDMap(text string) ([]specs.LinuxIDMapping, error) {
	var out []specs.LinuxIDMapping
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("bad id map line %q", line)
		}
		var v [3]uint32
		for i := range f {
			n, err := strconv.ParseUint(f[i], 10, 32)
			if err != nil {
				return nil, fmt.Errorf("bad id map line %q", line)
			}
			v[i] = uint32(n)
		}
		out = append(out, specs.LinuxIDMapping{ContainerID: v[0], HostID: v[1], Size: v[2]})
	}
	return out, nil
}

// sameIDMap compares two mappings as sets of ranges (the kernel sorts them).
func sameIDMap(a, b []specs.LinuxIDMapping) bool {
	cmp := func(x, y specs.LinuxIDMapping) int { return int(int64(x.ContainerID) - int64(y.ContainerID)) }
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, cmp)
	slices.SortFunc(b, cmp)
	return slices.Equal(a, b)
}

// writeTimeOffsets writes linux.timeOffsets for the new time namespace of
// pid (which has unshared it and has no child yet). The host writes them:
// with a new user namespace the non-dumpable child's /proc files belong to
// the host root, so the child itself gets EACCES.
func writeTimeOffsets(pid int, offs map[string]specs.LinuxTimeOffset) error {
	var b strings.Builder
	for _, clock := range []string{"monotonic", "boottime"} {
		if off, ok := offs[clock]; ok {
			fmt.Fprintf(&b, "%s %d %d\n", clock, off.Secs, off.Nanosecs)
		}
	}
	p := fmt.Sprintf("/proc/%d/timens_offsets", pid)
	if err := os.WriteFile(p, []byte(b.String()), 0); err != nil {
		return fmt.Errorf("linux.timeOffsets: write %s: %w", p, err)
	}
	return nil
}

// joinsUserNS: the container joins a user namespace by path.
func joinsUserNS(s *specs.Spec) bool {
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.UserNamespace {
			return ns.Path != ""
		}
	}
	return false
}

// privatePidNS: the container has a pid namespace of its own, whose
// init's death takes every other process with it.
func privatePidNS(s *specs.Spec) bool {
	if s == nil || s.Linux == nil {
		return false
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.PIDNamespace {
			return ns.Path == ""
		}
	}
	return false
}
