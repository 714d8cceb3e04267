package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// writeMaps writes the uid_map and gid_map of the new user namespace of
// pid (user_namespaces(7), "User and group ID mappings").
//
// The kernel lets a writer with CAP_SETUID/CAP_SETGID over the parent
// namespace map any ids that namespace has: real root, and root in a
// user namespace of its own (rootless podman, `unshare -r`) for the ids
// it was given. Anyone else may map only its own uid and gid, one id
// each, and the gid only once setgroups is denied; for more, the caller
// needs the setuid helpers newuidmap and newgidmap (Debian's uidmap),
// which check the ranges /etc/subuid and /etc/subgid grant it. So: a
// caller that maps exactly its own gid denies setgroups, as runc does;
// each map is written directly, and a write the kernel refuses is tried
// again through the helper. Nothing maps what the caller could not have
// mapped itself: the kernel and the helpers decide, not hako.
func writeMaps(pid int, l *specs.Linux) error {
	if os.Geteuid() != 0 && ownIDOnly(l.GIDMappings, os.Getegid()) {
		p := fmt.Sprintf("/proc/%d/setgroups", pid)
		if err := os.WriteFile(p, []byte("deny"), 0); err != nil {
			return fmt.Errorf("linux.gidMappings: deny setgroups (%s): %w", p, err)
		}
	}
	for _, f := range []struct {
		field, file, helper string
		m                   []specs.LinuxIDMapping
	}{
		{"linux.uidMappings", "uid_map", "newuidmap", l.UIDMappings},
		{"linux.gidMappings", "gid_map", "newgidmap", l.GIDMappings},
	} {
		p := fmt.Sprintf("/proc/%d/%s", pid, f.file)
		err := os.WriteFile(p, mapsFor(f.m), 0)
		if err == nil {
			continue
		}
		if !errors.Is(err, os.ErrPermission) || os.Geteuid() == 0 {
			// err is a *PathError: it names the file already.
			return fmt.Errorf("%s: %w", f.field, err)
		}
		if herr := mapWithHelper(f.helper, pid, f.m); herr != nil {
			return fmt.Errorf("%s: %w", f.field, herr)
		}
	}
	return nil
}

// ownIDOnly says m maps exactly one id, id, which an unprivileged
// caller may map itself.
func ownIDOnly(m []specs.LinuxIDMapping, id int) bool {
	return len(m) == 1 && m[0].Size == 1 && int64(m[0].HostID) == int64(id)
}

// mapWithHelper runs newuidmap or newgidmap (shadow's uidmap tools):
// `newuidmap PID ID LOWERID COUNT [ID LOWERID COUNT]...`. Their own
// one-line complaint (a range not in /etc/subuid, say) is kept.
func mapWithHelper(helper string, pid int, m []specs.LinuxIDMapping) error {
	path, err := exec.LookPath(helper)
	if err != nil {
		return fmt.Errorf("mapping ids other than the caller's own needs %s (package uidmap) and a range in /etc/sub%cid: %w", helper, helper[3], err)
	}
	args := []string{strconv.Itoa(pid)}
	for _, e := range m {
		args = append(args, strconv.FormatUint(uint64(e.ContainerID), 10), strconv.FormatUint(uint64(e.HostID), 10), strconv.FormatUint(uint64(e.Size), 10))
	}
	cmd := exec.Command(path, args...)
	cmd.Env = []string{}
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimPrefix(strings.TrimSpace(l), helper+": "); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return fmt.Errorf("%s %s: %w", helper, strings.Join(args, " "), err)
	}
	return fmt.Errorf("%s %s refused: %s: %w", helper, strings.Join(args, " "), strings.Join(lines, "; "), err)
}
