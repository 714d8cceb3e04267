package libcontainer

import (
	"bytes"
	"fmt"
	"runtime"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer/validate"
)

// applyLimits sets what the workload asks to be limited to, by pid, once
// the init has done the runtime's own work: rlimits, I/O priority and
// scheduling attributes. Done by the host, so raising a hard limit needs
// the host's privilege and not one in the container's user namespace, and
// no /proc the container could redirect is involved. pid is the init's
// main thread, the one that calls execve, so it carries them over.
func applyLimits(pid int, p *specs.Process) error {
	for _, r := range p.Rlimits {
		lim := unix.Rlimit{Cur: r.Soft, Max: r.Hard}
		if err := unix.Prlimit(pid, validate.Rlimits[r.Type], &lim, nil); err != nil {
			return fmt.Errorf("process.rlimits %s: %w", r.Type, err)
		}
	}
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
	return nil
}

// setAffinity gives the process that is about to become the init (still
// hako, in its cgroup, before nsenter forks) the CPU affinity of the
// container rather than its caller's (`taskset -c 0 hako run` must not pin
// the container): every CPU the cgroup allows, or for exec the
// execCPUAffinity.final cpus; with only execCPUAffinity.initial the exec'd
// process stays where initial put it, as in runc.
func setAffinity(pid int, p *specs.Process, exec bool) error {
	a := p.ExecCPUAffinity
	if exec && a != nil && (a.Initial != "" || a.Final != "") {
		if a.Final == "" {
			return nil
		}
		set, err := validate.CPUList("process.execCPUAffinity.final", a.Final)
		if err != nil {
			return err
		}
		if err := unix.SchedSetaffinity(pid, set); err != nil {
			return fmt.Errorf("process.execCPUAffinity.final: %w", err)
		}
		return nil
	}
	// All possible CPUs, not the online ones: the kernel narrows the
	// mask to the cgroup's cpuset and keeps the rest for when the cpuset
	// grows or CPUs come online.
	all := bytes.Repeat([]byte{0xff}, 64*1024/8)
	_, _, errno := unix.RawSyscall(unix.SYS_SCHED_SETAFFINITY, uintptr(pid), uintptr(len(all)), uintptr(unsafe.Pointer(&all[0])))
	runtime.KeepAlive(all)
	if errno != 0 {
		return fmt.Errorf("reset cpu affinity of %d: %w", pid, errno)
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
