package devices

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// Attach loads the program for e and attaches it to the cgroup v2
// directory open at dirFD with BPF_F_ALLOW_MULTI. Device programs already
// attached to that cgroup (hako's previous one, or systemd's) are
// replaced, not stacked: with exactly one old program the kernel swaps it
// atomically (BPF_F_REPLACE); otherwise the new one is attached first and
// the old ones detached after, so there is no window without a filter.
func Attach(dirFD int, e *Emulator) error {
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.CGroupDevice,
		Instructions: e.Program(),
		License:      "Apache",
	})
	if err != nil {
		return fmt.Errorf("load device program: %w", err)
	}
	defer prog.Close()

	var oldIDs []ebpf.ProgramID
	res, err := link.QueryPrograms(link.QueryOptions{Target: dirFD, Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		return fmt.Errorf("query device programs: %w", err)
	}
	for _, p := range res.Programs {
		oldIDs = append(oldIDs, p.ID)
	}

	opts := link.RawAttachProgramOptions{
		Target:  dirFD,
		Program: prog,
		Attach:  ebpf.AttachCGroupDevice,
		Flags:   unix.BPF_F_ALLOW_MULTI,
	}
	if len(oldIDs) == 1 {
		opts.Anchor = link.ReplaceProgramByID(oldIDs[0])
		if err := link.RawAttachProgram(opts); err == nil {
			return nil
		}
		opts.Anchor = nil
	}
	if err := link.RawAttachProgram(opts); err != nil {
		// A program attached without ALLOW_MULTI blocks multi attach:
		// detach the old ones first, then attach.
		if derr := detach(dirFD, oldIDs); derr != nil {
			return fmt.Errorf("attach device program: %w", errors.Join(err, derr))
		}
		if err := link.RawAttachProgram(opts); err != nil {
			return fmt.Errorf("attach device program: %w", err)
		}
		return nil
	}
	return detach(dirFD, oldIDs)
}

func detach(dirFD int, ids []ebpf.ProgramID) error {
	var errs []error
	for _, id := range ids {
		p, err := ebpf.NewProgramFromID(id)
		if err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			errs = append(errs, fmt.Errorf("open device program %d: %w", id, err))
			continue
		}
		err = link.RawDetachProgram(link.RawDetachProgramOptions{Target: dirFD, Program: p, Attach: ebpf.AttachCGroupDevice})
		p.Close()
		if err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("detach device program %d: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// Attached returns the ids of the device programs attached directly to
// the cgroup open at dirFD (for tests and diagnostics).
func Attached(dirFD int) ([]ebpf.ProgramID, error) {
	res, err := link.QueryPrograms(link.QueryOptions{Target: dirFD, Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		return nil, fmt.Errorf("query device programs: %w", err)
	}
	var ids []ebpf.ProgramID
	for _, p := range res.Programs {
		ids = append(ids, p.ID)
	}
	return ids, nil
}
