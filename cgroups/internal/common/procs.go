package common

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ReadProcs returns the pids listed in dir/cgroup.procs.
func ReadProcs(dir string) ([]int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, fmt.Errorf("read cgroup.procs: %w", err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		p, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("parse cgroup.procs: %w", err)
		}
		pids = append(pids, p)
	}
	return pids, nil
}

// AllProcs returns the pids of dir and of every cgroup below it, sorted
// and without duplicates. A missing dir gives no pids and no error.
func AllProcs(dir string) ([]int, error) {
	var pids []int
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		got, err := ReadProcs(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		pids = append(pids, got...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(pids)
	return slices.Compact(pids), nil
}

// WriteProc moves pid into the cgroup at dir.
func WriteProc(dir string, pid int) error {
	if err := WriteFile(dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("add pid %d to %s: %w", pid, dir, err)
	}
	return nil
}

// RemoveTree removes the cgroup at dir and every cgroup below it, deepest
// first. rmdir(2) gets EBUSY while the kernel is still tearing down exited
// tasks, so it is retried for about a second. A missing dir is success.
func RemoveTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("remove cgroup %s: %w", dir, err)
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := RemoveTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	delay := 5 * time.Millisecond
	for i := 0; ; i++ {
		err = unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || i >= 8 {
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		time.Sleep(delay)
		delay *= 2
	}
}

// SignalAll sends sig to every pid; processes that already exited are
// not an error.
func SignalAll(pids []int, sig unix.Signal) error {
	var errs []error
	for _, p := range pids {
		if err := unix.Kill(p, sig); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("signal pid %d: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// Freezer is what SignalFrozen needs of a manager.
type Freezer interface {
	Frozen() (bool, error)
	Freeze() error
	Thaw() error
	Pids() ([]int, error)
}

// SignalFrozen signals every process of m with the cgroup frozen while the
// pids are collected and signalled, so nothing forks away in between. A
// cgroup that was frozen already stays frozen; wasFrozen says so.
func SignalFrozen(m Freezer, sig unix.Signal) (wasFrozen bool, err error) {
	wasFrozen, _ = m.Frozen()
	if !wasFrozen {
		if err := m.Freeze(); err == nil {
			defer m.Thaw()
		}
	}
	pids, err := m.Pids()
	if err != nil {
		return wasFrozen, fmt.Errorf("kill: %w", err)
	}
	return wasFrozen, SignalAll(pids, sig)
}
