package cgroups

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Mode is the cgroup layout of a host.
type Mode int

// Layouts: no cgroups, v1 only, v1 controllers with a controller-less v2
// mount at <root>/unified, v2 only.
const (
	Unavailable Mode = iota
	Legacy
	Hybrid
	Unified
)

func (m Mode) String() string {
	return [...]string{"unavailable", "legacy", "hybrid", "unified"}[m]
}

// hostLayout is the layout under DefaultRoot, read once per process: the
// host's cgroup mounts do not change under a hako command, and `list`
// asks for every container (two stats per hierarchy and a readdir each).
var hostLayout = sync.OnceValues(func() (Mode, map[string]string) {
	return detectMode(DefaultRoot), readV1Mounts(DefaultRoot)
})

// DetectMode tells the layout under root from its files: a v2 mount has
// cgroup.controllers at its top, a v1 hierarchy has cgroup.procs but no
// cgroup.controllers. DefaultRoot is read once per process.
func DetectMode(root string) Mode {
	if root == DefaultRoot {
		m, _ := hostLayout()
		return m
	}
	return detectMode(root)
}

func detectMode(root string) Mode {
	if exists(filepath.Join(root, "cgroup.controllers")) {
		return Unified
	}
	if len(readV1Mounts(root)) == 0 {
		return Unavailable
	}
	if exists(filepath.Join(root, "unified", "cgroup.controllers")) {
		return Hybrid
	}
	return Legacy
}

// IsV2 reports whether root is a pure cgroup v2 mount.
func IsV2(root string) bool { return DetectMode(root) == Unified }

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// v1Mounts maps each v1 controller (and "name=systemd") to its mount
// point under root, from the directory names ("cpu,cpuacct" holds two;
// symlinks such as cpu -> cpu,cpuacct are followed by the real entry).
// In a hybrid layout "" maps to root/unified.
func v1Mounts(root string) map[string]string {
	if root == DefaultRoot {
		_, m := hostLayout()
		return maps.Clone(m)
	}
	return readV1Mounts(root)
}

// V1Mounts maps each v1 controller mounted under root (and "name=systemd")
// to its mount point, as the fs driver sees them; in a hybrid layout ""
// maps to the controller-less v2 mount (root/unified). For `hako doctor`.
func V1Mounts(root string) map[string]string { return v1Mounts(root) }

// ParseProcCgroup parses /proc/<pid>/cgroup into controller -> cgroup
// path, with "" for the v2 line ("0::/path"), as the fs driver reads it.
func ParseProcCgroup(s string) map[string]string { return parseProcCgroup(s) }

func readV1Mounts(root string) map[string]string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	m := map[string]string{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		if exists(filepath.Join(dir, "cgroup.controllers")) {
			if e.Name() == "unified" {
				m[""] = dir
			}
			continue
		}
		if !exists(filepath.Join(dir, "cgroup.procs")) {
			continue
		}
		for _, c := range strings.Split(e.Name(), ",") {
			if c == "systemd" {
				c = "name=systemd"
			}
			m[c] = dir
		}
	}
	return m
}

// cleanPath makes p safe to join below a mount: ".." cannot climb above
// the root, and a relative path stays relative.
func cleanPath(p string) string {
	if p == "" {
		return ""
	}
	c := filepath.Clean("/" + p)
	if !filepath.IsAbs(p) {
		c = strings.TrimPrefix(c, "/")
	}
	return c
}

// ownCgroups reads /proc/self/cgroup when the path is relative.
func ownCgroups(path, id string) (map[string]string, error) {
	if path == "" {
		path = id
	}
	if filepath.IsAbs(path) {
		return nil, nil
	}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("read own cgroup: %w", err)
	}
	return parseProcCgroup(string(b)), nil
}

// parseProcCgroup parses /proc/<pid>/cgroup into controller -> path, with
// "" for the v2 line.
func parseProcCgroup(s string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			m[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			m[c] = parts[2]
		}
	}
	return m
}

// resolve computes the fs driver directories, as runc does: an absolute
// path is below each mount; a relative one (the default "<ID>" included)
// is below the caller's own cgroup in each hierarchy, and on v2 below the
// parent of the caller's cgroup (the caller's own cgroup has processes,
// so its children could not get controllers).
func resolve(cfg Config, mode Mode, own map[string]string) (map[string]string, error) {
	inner := cleanPath(cfg.Path)
	if inner == "" {
		if cfg.ID == "" {
			return nil, errors.New("cgroup path: neither cgroupsPath nor container id given")
		}
		inner = cleanPath(cfg.ID)
	}
	if inner == "/" {
		return nil, errors.New("cgroup path: the root cgroup cannot be a container's cgroup")
	}
	rel := !filepath.IsAbs(inner)
	if mode == Unified {
		base := "/"
		if rel {
			base = filepath.Dir(ownPath(own, ""))
		}
		return map[string]string{"": filepath.Join(cfg.Root, base, inner)}, nil
	}
	paths := map[string]string{}
	for c, mnt := range v1Mounts(cfg.Root) {
		base := "/"
		if rel {
			base = ownPath(own, c)
		}
		paths[c] = filepath.Join(mnt, base, inner)
	}
	return paths, nil
}

func ownPath(own map[string]string, c string) string {
	if p, ok := own[c]; ok && p != "" {
		return cleanPath(p)
	}
	return "/"
}
