package common

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// WatchV2OOM watches dir/memory.events with inotify and sends one value
// for every increase of its oom_kill counter. The channel is closed when
// ctx is done or the file can no longer be read (cgroup removed).
func WatchV2OOM(ctx context.Context, dir string) (<-chan struct{}, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("watch memory.events: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, filepath.Join(dir, "memory.events"), unix.IN_MODIFY); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("watch memory.events: %w", err)
	}
	f := os.NewFile(uintptr(fd), "inotify")
	count := func() (uint64, error) {
		ev, err := ReadKeyValues(dir, "memory.events")
		return ev["oom_kill"], err
	}
	last, err := count()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("watch memory.events: %w", err)
	}
	ch := make(chan struct{})
	go func() {
		<-ctx.Done()
		f.Close()
	}()
	go func() {
		defer close(ch)
		buf := make([]byte, 4096)
		for {
			if _, err := f.Read(buf); err != nil {
				return
			}
			n, err := count()
			if err != nil {
				return
			}
			for ; last < n; last++ {
				select {
				case ch <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return ch, nil
}

// WatchV1OOM registers an eventfd for memory.oom_control in the v1 memory
// cgroup dir and sends one value per OOM notification. The kernel also
// signals the eventfd when the cgroup is removed; then the channel is
// closed, as it is when ctx is done.
func WatchV1OOM(ctx context.Context, dir string) (<-chan struct{}, error) {
	ctl, err := os.Open(filepath.Join(dir, "memory.oom_control"))
	if err != nil {
		return nil, fmt.Errorf("watch memory.oom_control: %w", err)
	}
	defer ctl.Close()
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("watch memory.oom_control: eventfd: %w", err)
	}
	ev := os.NewFile(uintptr(efd), "eventfd")
	reg := strconv.Itoa(efd) + " " + strconv.Itoa(int(ctl.Fd()))
	if err := WriteFile(dir, "cgroup.event_control", reg); err != nil {
		ev.Close()
		return nil, fmt.Errorf("watch memory.oom_control: %w", err)
	}
	ch := make(chan struct{})
	go func() {
		<-ctx.Done()
		ev.Close()
	}()
	go func() {
		defer close(ch)
		buf := make([]byte, 8)
		for {
			if _, err := ev.Read(buf); err != nil {
				return
			}
			if _, err := os.Stat(filepath.Join(dir, "memory.oom_control")); err != nil {
				return // the cgroup is gone
			}
			for n := binary.NativeEndian.Uint64(buf); n > 0; n-- {
				select {
				case ch <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return ch, nil
}
