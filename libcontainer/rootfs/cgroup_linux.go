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

// mountCgroup gives the container the cgroup hierarchies of the host's
// layout (cgroup2 alone, or v1 controllers plus cgroup2 in a hybrid),
// each showing only the container's own cgroup. A fresh superblock of a
// hierarchy shows the cgroup-namespace root; without a cgroup namespace
// the container's subtree is cloned out of it, as runc does with binds.
func mountCgroup(root *os.File, dest string, o Options, label string, initPid int) error {
	hosts, err := threadMounts(func(i *mountinfo.Info) (skip, stop bool) {
		return i.FSType != "cgroup" && i.FSType != "cgroup2", false
	})
	if err != nil {
		return err
	}
	own, err := ownCgroups(initPid)
	if err != nil {
		return err
	}
	if len(hosts) == 1 && hosts[0].FSType == "cgroup2" {
		return mountHierarchy(root, dest, "cgroup2", nil, hosts[0].Mountpoint, own[""], o)
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
		rel, ok := own[key]
		if !ok {
			continue
		}
		if err := mountHierarchy(root, path.Join(dest, name), h.FSType, opts, h.Mountpoint, rel, o); err != nil {
			return fmt.Errorf("cgroup hierarchy %s: %w", name, err)
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
