package libcontainer

import (
	"fmt"
	"runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer/validate"
)

// applyProcAttrs sets what the kernel lets a privileged process set on
// another by pid: I/O priority, scheduling attributes and, for exec, the
// final CPU affinity (after the cgroup join, which resets affinity to the
// cpuset). Done by the host, like oom_score_adj, so it needs no privilege
// in the container and no /proc the container could redirect. pid is the
// init's main thread, the one that calls execve, so it carries them over.
func applyProcAttrs(pid int, p *specs.Process, exec bool) error {
	if p.IOPriority != nil {
		v, err := validate.IOPriority(p.IOPriority)
		if err != nil {
			return err
		}
		if _, _, errno := unix.Syscall(unix.SYS_IOPRIO_SET, validate.IOPrioWhoProcess, uintptr(pid), uintptr(v)); errno != 0 {
			return fmt.Errorf("process.ioPriority: ioprio_set: %w", errno)
		}
	}
	if p.Scheduler != nil {
		a, err := validate.SchedAttr(p.Scheduler)
		if err != nil {
			return err
		}
		if err := unix.SchedSetAttr(pid, a, 0); err != nil {
			return fmt.Errorf("process.scheduler: sched_setattr: %w", err)
		}
	}
	if a := p.ExecCPUAffinity; exec && a != nil && a.Final != "" {
		set, err := validate.CPUList("process.execCPUAffinity.final", a.Final)
		if err != nil {
			return err
		}
		if err := unix.SchedSetaffinity(pid, set); err != nil {
			return fmt.Errorf("process.execCPUAffinity.final: %w", err)
		}
	}
	return nil
}

// pinInitialAffinity pins the calling thread, and so the init it forks,
// to execCPUAffinity.initial: the runtime's own work before the process
// joins its cgroup runs there, as the spec means it.
func pinInitialAffinity(p *specs.Process, exec bool) error {
	a := p.ExecCPUAffinity
	if !exec || a == nil || a.Initial == "" {
		return nil
	}
	set, err := validate.CPUList("process.execCPUAffinity.initial", a.Initial)
	if err != nil {
		return err
	}
	// Locked for good: the command ends soon, and a thread with a
	// narrowed affinity must not go back to Go's pool meanwhile.
	runtime.LockOSThread()
	if err := unix.SchedSetaffinity(0, set); err != nil {
		return fmt.Errorf("process.execCPUAffinity.initial: %w", err)
	}
	return nil
}
