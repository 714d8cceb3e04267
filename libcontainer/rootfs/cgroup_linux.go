package rootfs

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// hierarchy is one cgroup hierarchy of the host's layout as a container
// without a cgroup namespace sees it: where it goes under the cgroup
// mount's destination, how to mount it, and the container's own cgroup
// in it.
type hierarchy struct {
	Name      string // "" for cgroup2 alone (at the destination itself)
	FSType    string
	Opts      []string // the v1 controllers (and name=) of the hierarchy
	HostMount string   // where the host mounts it
	Rel       string   // the container's cgroup in it
}

// hierarchies lists the host's cgroup hierarchies (of the calling
// thread's mount namespace) with initPid's cgroup in each (0: the
// caller's); v2 alone is one hierarchy with no Name.
func hierarchies(initPid int) ([]hierarchy, error) {
	hosts, err := threadMounts(func(i *mountinfo.Info) (skip, stop bool) {
		return i.FSType != "cgroup" && i.FSType != "cgroup2", false
	})
	if err != nil {
		return nil, err
	}
	own, err := ownCgroups(initPid)
	if err != nil {
		return nil, err
	}
	if len(hosts) == 1 && hosts[0].FSType == "cgroup2" {
		return []hierarchy{{FSType: "cgroup2", HostMount: hosts[0].Mountpoint, Rel: own[""]}}, nil
	}
	var out []hierarchy
	seen := map[string]bool{}
	for _, h := range hosts {
		name := path.Base(h.Mountpoint)
		if seen[name] || !hierarchyRoot(h.Root) {
			continue
		}
		seen[name] = true
		var opts []string
		key := ""
		if h.FSType == "cgroup" {
			for _, so := range strings.Split(h.VFSOptions, ",") {
				if so == "rw" || so == "ro" || so == "" || strings.HasPrefix(so, "release_agent") || so == "clone_children" || so == "nsdelegate" || so == "xattr" {
					continue
				}
				opts = append(opts, so)
			}
			key = strings.Join(opts, ",")
		}
		if rel, ok := own[key]; ok {
			out = append(out, hierarchy{Name: name, FSType: h.FSType, Opts: opts, HostMount: h.Mountpoint, Rel: rel})
		}
	}
	return out, nil
}

// CgroupSources maps, for a cgroup mount at dest in a container without
// a cgroup namespace, each mount point it makes to the host directory of
// pid's cgroup it shows: what a restore binds there (CRIU's external
// mounts; see mountCgroup).
func CgroupSources(dest string, pid int) (map[string]string, error) {
	hs, err := hierarchies(pid)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, h := range hs {
		out[path.Join(dest, h.Name)] = path.Join(h.HostMount, h.Rel)
	}
	return out, nil
}

// mountCgroup gives the container the cgroup hierarchies of the host's
// layout (cgroup2 alone, or v1 controllers plus cgroup2 in a hybrid),
// each showing only the container's own cgroup. A fresh superblock of a
// hierarchy shows the cgroup-namespace root; without a cgroup namespace
// the container's subtree is cloned out of it, as runc does with binds.
func mountCgroup(root *os.File, dest string, o Options, label string, initPid int) error {
	hs, err := hierarchies(initPid)
	if err != nil {
		return err
	}
	if len(hs) == 1 && hs[0].Name == "" {
		return mountHierarchy(root, dest, "cgroup2", nil, hs[0].HostMount, hs[0].Rel, o)
	}
	// v1 or hybrid: a tmpfs holds one directory per hierarchy.
	tmpfsFlags := o.Flags &^ unix.MS_RDONLY
	mfd, err := newFS("tmpfs", "tmpfs", withLabel("tmpfs", []string{"mode=755"}, label), tmpfsFlags)
	if err != nil {
		return err
	}
	defer unix.Close(mfd)
	t, err := target(root, dest, true)
	if err != nil {
		return err
	}
	defer t.Close()
	if err := attach(mfd, t); err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	for _, h := range hs {
		if err := mountHierarchy(root, path.Join(dest, h.Name), h.FSType, h.Opts, h.HostMount, h.Rel, o); err != nil {
			return fmt.Errorf("cgroup hierarchy %s: %w", h.Name, err)
		}
	}
	if o.Flags&unix.MS_RDONLY != 0 {
		h, err := pathrsOpen(root, dest)
		if err != nil {
			return err
		}
		defer h.Close()
		return setattr(int(h.Fd()), false, unix.MOUNT_ATTR_RDONLY, 0, 0)
	}
	return nil
}

func mountHierarchy(root *os.File, dest, fstype string, opts []string, hostMount, rel string, o Options) error {
	mfd, err := newFS(fstype, "cgroup", opts, o.Flags)
	if errors.Is(err, unix.EPERM) {
		// A user namespace without its own cgroup namespace may not
		// mount cgroup filesystems: clone the host's subtree instead
		// (rel is then the full path, as there is no namespace root).
		mfd, err = cloneTree(unix.AT_FDCWD, path.Join(hostMount, rel), false)
		if err == nil {
			rel = "/"
			set, _ := attrFromFlags(o.Flags, 0)
			err = setattr(mfd, false, set, 0, 0)
		}
	}
	if err != nil {
		return err
	}
	defer unix.Close(mfd)
	src := mfd
	if rel != "/" && rel != "" {
		sub, err := unix.OpenTree(mfd, strings.TrimPrefix(rel, "/"), unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
		if errors.Is(err, unix.EINVAL) {
			// Kernels before 6.? refuse to clone out of a detached
			// mount: take the subtree from the host's mount of the
			// hierarchy, still visible before pivot_root.
			sub, err = cloneTree(unix.AT_FDCWD, path.Join(hostMount, rel), false)
		}
		if err != nil {
			return fmt.Errorf("open_tree %s: %w", rel, err)
		}
		defer unix.Close(sub)
		set, _ := attrFromFlags(o.Flags, 0)
		if err := setattr(sub, false, set, 0, 0); err != nil {
			return err
		}
		src = sub
	}
	t, err := target(root, dest, true)
	if err != nil {
		return err
	}
	defer t.Close()
	return attach(src, t)
}

// ownCgroups maps a hierarchy's controller list ("" for cgroup2) to the
// init's cgroup path in it, from /proc/self/cgroup (initPid 0) or the
// init's, as the caller's cgroup namespace shows them.
func ownCgroups(initPid int) (map[string]string, error) {
	name := "/proc/self/cgroup"
	if initPid > 0 {
		name = fmt.Sprintf("/proc/%d/cgroup", initPid)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) == 3 {
			out[parts[1]] = parts[2]
		}
	}
	return out, sc.Err()
}

// hierarchyRoot tells whether a cgroup mount's root is its hierarchy's
// root: "/", or, seen from inside a cgroup namespace, "/.." up to it. Other
// cgroup mounts (binds of sub-cgroups) are not the host's hierarchies.
func hierarchyRoot(root string) bool {
	for _, c := range strings.Split(strings.Trim(root, "/"), "/") {
		if c != "" && c != ".." {
			return false
		}
	}
	return true
}
