package intelrdt

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// ErrNotMounted is Detect's error when no resctrl is mounted; its text is
// NotMounted.
var ErrNotMounted = errors.New(NotMounted)

// Detect finds the resctrl mount in /proc/self/mountinfo (fstype
// "resctrl"; the first one when it is mounted more than once, all being
// the same tree). Without one it returns ErrNotMounted.
func Detect() (root string, err error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", fmt.Errorf("linux.intelRdt: find the resctrl mount: %w", err)
	}
	defer f.Close()
	return detectIn(f)
}

func detectIn(r io.Reader) (string, error) {
	ms, err := mountinfo.GetMountsFromReader(r, func(m *mountinfo.Info) (skip, stop bool) {
		if m.FSType == "resctrl" {
			return false, true
		}
		return true, false
	})
	if err != nil {
		return "", fmt.Errorf("linux.intelRdt: find the resctrl mount: %w", err)
	}
	if len(ms) == 0 {
		return "", ErrNotMounted
	}
	return ms[0].Mountpoint, nil
}

// Apply does the plan on the resctrl mount at root for the process pid
// (the container's init, before it runs the container's program), and
// records in g what it made (Root, Created, MonitorCreated) for Destroy:
//
//  1. the group: the root for closID "/"; for a closID, the existing
//     directory, or (only when the spec has a schema) a new one; for the
//     container ID, a new one (one already there is an error: it is not
//     this container's to take or to remove);
//  2. its schemata: written in one write when hako made the group; compared
//     with the spec's when the group existed (an error when they differ,
//     nothing changed);
//  3. pid written to the group's tasks;
//  4. with Monitor, mon_groups/<Monitor> made under the group and pid
//     written to its tasks (the kernel wants the task in the group first).
//
// On an error, what Apply made is removed again and the error names
// linux.intelRdt (and info/last_cmd_status, the kernel's reason, when it
// says one).
func (g *Group) Apply(root string, pid int) (err error) {
	if pid <= 0 {
		return fmt.Errorf("linux.intelRdt: invalid pid %d", pid)
	}
	rootFd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("linux.intelRdt: open the resctrl root %s: %w", root, err)
	}
	defer unix.Close(rootFd)
	g.Root, g.Created, g.MonitorCreated = root, false, false
	defer func() {
		if err != nil {
			if uerr := g.undo(rootFd, root); uerr != nil {
				err = fmt.Errorf("%w (and undoing: %v)", err, uerr)
			}
		}
	}()

	groupFd, err := g.openGroup(rootFd)
	if err != nil {
		return err
	}
	defer unix.Close(groupFd)

	if len(g.Schemata) > 0 {
		if g.Created {
			if err := writeFile(rootFd, groupFd, "schemata", strings.Join(g.Schemata, "\n")+"\n"); err != nil {
				return fmt.Errorf("linux.intelRdt: write the schemata of %s: %w", g.Dir(root), err)
			}
		} else {
			cur, err := readFile(groupFd, "schemata")
			if err != nil {
				return fmt.Errorf("linux.intelRdt: read the schemata of %s: %w", g.Dir(root), err)
			}
			if err := matchSchemata(cur, g.Schemata); err != nil {
				return fmt.Errorf("%s: group %s exists and its schemata differ from the spec's (an existing group is used as it is): %w", fieldClosID, g.Dir(root), err)
			}
		}
	}
	if g.Monitor != "" {
		monsFd, err := openBeneath(groupFd, "mon_groups", unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("%s: %s has no mon_groups: the host has no resctrl monitoring (CMT/MBM)", fieldMonitoring, g.Dir(root))
		}
		if err != nil {
			return fmt.Errorf("%s: open %s/mon_groups: %w", fieldMonitoring, g.Dir(root), err)
		}
		defer unix.Close(monsFd)
		if err := unix.Mkdirat(monsFd, g.Monitor, 0o755); err != nil {
			return fmt.Errorf("%s: make %s: %w", fieldMonitoring, g.MonitorDir(root), lastCmd(rootFd, err))
		}
		g.MonitorCreated = true
	}
	return g.addTask(rootFd, groupFd, root, pid)
}

// Join puts pid, a process hako starts in the container after Apply (an
// exec), in the group and its MON group that Apply set up, as the init is:
// a process entering the container's namespaces does not inherit them.
// Nothing is made or compared.
func (g *Group) Join(root string, pid int) error {
	if pid <= 0 {
		return fmt.Errorf("linux.intelRdt: invalid pid %d", pid)
	}
	if root == "" {
		root = g.Root
	}
	rootFd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("linux.intelRdt: open the resctrl root %s: %w", root, err)
	}
	defer unix.Close(rootFd)
	groupFd, err := g.groupFd(rootFd)
	if err != nil {
		return fmt.Errorf("linux.intelRdt: open resctrl group %s: %w", g.Dir(root), err)
	}
	defer unix.Close(groupFd)
	return g.addTask(rootFd, groupFd, root, pid)
}

// addTask writes pid to the group's tasks, then to its MON group's (the
// kernel wants the task in the control group first).
func (g *Group) addTask(rootFd, groupFd int, root string, pid int) error {
	if err := writeFile(rootFd, groupFd, "tasks", strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("linux.intelRdt: add pid %d to %s: %w", pid, g.Dir(root), err)
	}
	if g.Monitor == "" {
		return nil
	}
	monFd, err := openBeneath(groupFd, "mon_groups/"+g.Monitor, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return fmt.Errorf("%s: open %s: %w", fieldMonitoring, g.MonitorDir(root), err)
	}
	defer unix.Close(monFd)
	if err := writeFile(rootFd, monFd, "tasks", strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("%s: add pid %d to %s: %w", fieldMonitoring, pid, g.MonitorDir(root), err)
	}
	return nil
}

// openGroup opens (making it when the plan allows) the control group's
// directory, and sets g.Created when it made it.
func (g *Group) openGroup(rootFd int) (int, error) {
	if g.Name == "" {
		fd, err := unix.Dup(rootFd)
		if err != nil {
			return -1, fmt.Errorf("linux.intelRdt: %w", err)
		}
		unix.CloseOnExec(fd)
		return fd, nil
	}
	dir := g.Dir(g.Root)
	fd, err := openBeneath(rootFd, g.Name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	switch {
	case err == nil && !g.Shared:
		unix.Close(fd)
		return -1, fmt.Errorf("linux.intelRdt: resctrl group %s already exists (left by an earlier container with this id?); remove it, or set %s to share it", dir, fieldClosID)
	case err == nil:
		return fd, nil
	case !errors.Is(err, unix.ENOENT):
		return -1, fmt.Errorf("%s: open resctrl group %s: %w", fieldClosID, dir, err)
	case g.Shared && len(g.Schemata) == 0:
		return -1, fmt.Errorf("%s: resctrl group %s does not exist (a closID without l3CacheSchema, memBwSchema or schemata must name a group made beforehand)", fieldClosID, dir)
	}
	if err := unix.Mkdirat(rootFd, g.Name, 0o755); err != nil {
		if g.Shared && errors.Is(err, unix.EEXIST) {
			// Made meanwhile by another container of the same closID:
			// it is an existing group now.
			fd, err := openBeneath(rootFd, g.Name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
			if err != nil {
				return -1, fmt.Errorf("%s: open resctrl group %s: %w", fieldClosID, dir, err)
			}
			return fd, nil
		}
		// ENOSPC: out of CLOSIDs (info/<res>/num_closids).
		return -1, fmt.Errorf("linux.intelRdt: make resctrl group %s: %w", dir, lastCmd(rootFd, err))
	}
	g.Created = true
	fd, err = openBeneath(rootFd, g.Name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return -1, fmt.Errorf("linux.intelRdt: open resctrl group %s: %w", dir, err)
	}
	return fd, nil
}

// Destroy removes what Apply made under root (g.Root when root is "") and
// Destroy may remove: the MON group, and the control group when hako made
// it for the container (not a closID group, which the spec says is never
// removed). Removing a group gives its tasks back to the parent group. What
// is gone already is not an error; Destroy may be called again.
func (g *Group) Destroy(root string) error {
	if !g.MonitorCreated && !(g.Created && !g.Shared) {
		return nil
	}
	if root == "" {
		root = g.Root
	}
	rootFd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("linux.intelRdt: open the resctrl root %s: %w", root, err)
	}
	defer unix.Close(rootFd)
	return g.undo(rootFd, root)
}

// undo removes the MON group and the control group when made by this
// container (as Destroy says), and clears the flags of what is gone.
func (g *Group) undo(rootFd int, root string) error {
	if g.MonitorCreated {
		groupFd, err := g.groupFd(rootFd)
		if err == nil {
			err = removeBeneath(groupFd, "mon_groups", g.Monitor)
			unix.Close(groupFd)
		}
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("%s: remove %s: %w", fieldMonitoring, g.MonitorDir(root), err)
		}
		g.MonitorCreated = false
	}
	if g.Created && !g.Shared && g.Name != "" {
		if err := removeBeneath(rootFd, g.Name); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("linux.intelRdt: remove resctrl group %s: %w", g.Dir(root), err)
		}
		g.Created = false
	}
	return nil
}

func (g *Group) groupFd(rootFd int) (int, error) {
	if g.Name == "" {
		return unix.Dup(rootFd)
	}
	return openBeneath(rootFd, g.Name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
}

// openBeneath opens name (one component, or a relative path) under dirFd
// and never outside: no "..", no symlinks, no mount crossing.
func openBeneath(dirFd int, name string, flags int, mode uint32) (int, error) {
	for {
		fd, err := unix.Openat2(dirFd, name, &unix.OpenHow{
			Flags:   uint64(flags | unix.O_CLOEXEC | unix.O_NOFOLLOW),
			Mode:    uint64(mode),
			Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV,
		})
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		return fd, err
	}
}

// writeFile writes data to dirFd/name in one write(2), as resctrl parses
// each write on its own (a schemata write is taken whole or not at all).
// The file is created when missing so that a plain directory stands in for
// resctrl in tests; resctrl's files always exist. On a failure it adds the
// kernel's reason from info/last_cmd_status.
func writeFile(rootFd, dirFd int, name, data string) error {
	fd, err := openBeneath(dirFd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for {
		n, err := unix.Write(fd, []byte(data))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return lastCmd(rootFd, err)
		}
		if n != len(data) {
			return fmt.Errorf("short write (%d of %d bytes)", n, len(data))
		}
		return nil
	}
}

func readFile(dirFd int, name string) (string, error) {
	fd, err := openBeneath(dirFd, name, unix.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	return string(b), err
}

// lastCmd adds info/last_cmd_status, the kernel's reason for the last
// failed resctrl write or mkdir, to err ("ok" or no file: err alone).
func lastCmd(rootFd int, err error) error {
	infoFd, oerr := openBeneath(rootFd, "info", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if oerr != nil {
		return err
	}
	defer unix.Close(infoFd)
	s, rerr := readFile(infoFd, "last_cmd_status")
	s = strings.Join(strings.Fields(s), " ")
	if rerr != nil || s == "" || s == "ok" {
		return err
	}
	return fmt.Errorf("%w (last_cmd_status: %s)", err, s)
}

// removeBeneath removes the directory at the path elems under dirFd.
// resctrl removes a group with its files in one rmdir; a plain directory
// (the tests' stand-in) is emptied first, never following symlinks.
func removeBeneath(dirFd int, elems ...string) error {
	parent, name := dirFd, elems[len(elems)-1]
	if len(elems) > 1 {
		fd, err := openBeneath(dirFd, strings.Join(elems[:len(elems)-1], "/"), unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		parent = fd
	}
	err := unix.Unlinkat(parent, name, unix.AT_REMOVEDIR)
	if err != unix.ENOTEMPTY && err != unix.EEXIST {
		return err
	}
	if err := emptyDir(parent, name); err != nil {
		return err
	}
	return unix.Unlinkat(parent, name, unix.AT_REMOVEDIR)
}

func emptyDir(parent int, name string) error {
	fd, err := openBeneath(parent, name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	d := os.NewFile(uintptr(fd), name)
	defer d.Close()
	ents, err := d.ReadDir(-1)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() {
			if err := emptyDir(fd, e.Name()); err != nil {
				return err
			}
			err = unix.Unlinkat(fd, e.Name(), unix.AT_REMOVEDIR)
		} else {
			err = unix.Unlinkat(fd, e.Name(), 0)
		}
		if err != nil && err != unix.ENOENT {
			return err
		}
	}
	return nil
}
