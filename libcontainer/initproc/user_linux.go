package initproc

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer/caps"
)

type user struct {
	uid, gid int
	groups   []int
	home     string
}

// resolveUser reads, when needHome, the container's /etc/passwd (after
// pivot_root, so the image's file) for HOME: "/" when the file or the
// entry is missing, as in runc.
func resolveUser(p *specs.Process, needHome bool) (*user, error) {
	u := &user{uid: int(p.User.UID), gid: int(p.User.GID), home: "/"}
	// Supplementary groups are exactly additionalGids (runc adds none of
	// its own for a numeric user).
	if needHome {
		eachLine("/etc/passwd", func(f []string) bool {
			if len(f) >= 6 && f[2] == strconv.Itoa(u.uid) {
				u.home = f[5]
				return false
			}
			return true
		})
	}
	for _, g := range SupplementaryGroups(p.User) {
		u.groups = append(u.groups, int(g))
	}
	return u, nil
}

// SupplementaryGroups are the groups a process of user u gets besides its
// gid: exactly additionalGids, as runc 1.5.3 sets them (none of its own
// for a numeric user; a repeated group or the gid itself stays). The Go
// init and the host's process plan (nsenter's C applier) both set these.
func SupplementaryGroups(u specs.User) []uint32 {
	return append([]uint32(nil), u.AdditionalGids...)
}

// eachLine calls fn with the fields of each line of the regular file at
// path until it returns false; a missing file, or one that is not regular
// (a fifo there would block the exec for good), has no lines.
func eachLine(path string, fn func([]string) bool) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		if !fn(strings.Split(line, ":")) {
			return
		}
	}
}

// switchUser drops the bounding set, changes groups and ids while keeping
// the permitted set, calls between (the cwd entered as the user, when the
// runtime could not), then installs the requested capability sets. All
// of it acts on this (locked) thread, which is the one that calls execve.
//
// A process without a capabilities object keeps what the runtime has (all
// of root's, the whole bounding set), as in runc: only the kernel's own
// rules at the uid change and at execve apply.
func switchUser(p *specs.Process, u *user, sets caps.Sets, between func() error, warn func(string)) error {
	if err := chownStdio(u.uid); err != nil {
		return err
	}
	if p.Capabilities != nil {
		if err := caps.DropBounding(sets.Bounding); err != nil {
			return err
		}
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set keepcaps: %w", err)
	}
	if err := setgroups(u.groups); err != nil {
		return err
	}
	if err := unix.Setresgid(u.gid, u.gid, u.gid); err != nil {
		return fmt.Errorf("process.user.gid %d: %w", u.gid, err)
	}
	if err := unix.Setresuid(u.uid, u.uid, u.uid); err != nil {
		return fmt.Errorf("process.user.uid %d: %w", u.uid, err)
	}
	if err := between(); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("clear keepcaps: %w", err)
	}
	if p.Capabilities == nil {
		return nil
	}
	return caps.Apply(sets, warn)
}

// chownStdio gives the process's stdio to its user, as runc does, so a
// non-root process owns its terminal (and can reopen /dev/stdout). Only
// the owner changes: the group is devpts' gid= choice. /dev/null stays
// as it is, and an inode the container may not chown (EPERM: owner not
// mapped; EROFS) is left alone.
func chownStdio(uid int) error {
	for fd := 0; fd < 3; fd++ {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return fmt.Errorf("fstat stdio fd %d: %w", fd, err)
		}
		devNull := st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == unix.Mkdev(1, 3)
		if int(st.Uid) == uid || devNull {
			continue
		}
		if err := unix.Fchown(fd, uid, -1); err != nil && !errors.Is(err, unix.EPERM) && !errors.Is(err, unix.EROFS) {
			return fmt.Errorf("chown stdio fd %d: %w", fd, err)
		}
	}
	return nil
}

func setgroups(groups []int) error {
	err := unix.Setgroups(groups)
	// In a user namespace with setgroups denied, an empty list is fine.
	if err != nil && !(errors.Is(err, unix.EPERM) && len(groups) == 0) {
		return fmt.Errorf("process.user.additionalGids: %w", err)
	}
	return nil
}

// lookPath finds the executable as execve will see it, with the process's
// own PATH, and words failures as runc does (Go's exec.LookPath: engines
// match these texts). It runs with the process's final credentials, so
// the permission check is the kernel's own (faccessat with AT_EACCESS:
// effective ids and capabilities, as at execve).
func lookPath(file string, env []string) (string, error) {
	switch file {
	case "", ".", "..":
		return "", fmt.Errorf("exec: %q: executable file not found in $PATH", file)
	}
	if strings.Contains(file, "/") {
		if err := executable(file); err != nil {
			return "", fmt.Errorf("exec: %q: %w", file, err)
		}
		return file, nil
	}
	pathEnv := ""
	for _, e := range env {
		if strings.HasPrefix(e, "PATH=") {
			pathEnv = e[5:]
		}
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, file)
		if executable(p) != nil {
			continue
		}
		if !filepath.IsAbs(p) {
			// Go refuses these since 1.19 (and so runc does): a PATH
			// entry relative to the cwd is not a place to run from.
			return "", fmt.Errorf("exec: %q: cannot run executable found relative to current directory", file)
		}
		return p, nil
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", file)
}

func executable(p string) error {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return &os.PathError{Op: "stat", Path: p, Err: err}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return unix.EISDIR
	}
	err := unix.Faccessat2(unix.AT_FDCWD, p, unix.X_OK, unix.AT_EACCESS)
	// No faccessat2 (or a seccomp filter refusing it): the mode bits.
	if err == nil || (err != unix.ENOSYS && err != unix.EPERM) {
		return err
	}
	if st.Mode&0o111 != 0 {
		return nil
	}
	return unix.EACCES
}
