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

// resolveUser reads the container's /etc/passwd (after pivot_root, so the
// image's file) for HOME; a missing file is not an error.
func resolveUser(p *specs.Process) (*user, error) {
	u := &user{uid: int(p.User.UID), gid: int(p.User.GID), home: "/"}
	// HOME from the image's passwd; supplementary groups are exactly
	// additionalGids (runc adds none of its own for a numeric user).
	eachLine("/etc/passwd", func(f []string) bool {
		if len(f) >= 6 && f[2] == strconv.Itoa(u.uid) {
			u.home = f[5]
			return false
		}
		return true
	})
	seen := map[int]bool{u.gid: true}
	for _, g := range p.User.AdditionalGids {
		if !seen[int(g)] {
			seen[int(g)] = true
			u.groups = append(u.groups, int(g))
		}
	}
	return u, nil
}

func eachLine(path string, fn func([]string) bool) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
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
// the permitted set, then installs the requested capability sets. All of
// it acts on this (locked) thread, which is the one that calls execve.
func switchUser(p *specs.Process, u *user, sets caps.Sets) error {
	if err := caps.DropBounding(sets.Bounding); err != nil {
		return err
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
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("clear keepcaps: %w", err)
	}
	return caps.Apply(sets)
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
// own PATH, and words failures the way runc does (engines match them).
func lookPath(file string, env []string) (string, error) {
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
	var firstErr error
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, file)
		err := executable(p)
		if err == nil {
			return p, nil
		}
		if errors.Is(err, unix.EACCES) && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return "", fmt.Errorf("exec: %q: %w", file, firstErr)
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", file)
}

func executable(p string) error {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return fmt.Errorf("stat %s: %w", p, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return fmt.Errorf("%s: is a directory: %w", p, unix.EACCES)
	}
	if err := unix.Access(p, unix.X_OK); err != nil {
		return fmt.Errorf("%s: %w", p, unix.EACCES)
	}
	return nil
}
