package seccomp

// The ENOSYS stub.
//
// A profile is written against a list of syscalls that existed when it
// was written. A deny-by-default profile then answers a syscall that is
// newer than the profile with the default action, typically EPERM. That
// breaks programs: glibc tries clone3, faccessat2, openat2... first and
// falls back to the old syscall only on ENOSYS, because EPERM means "you
// may not", not "this kernel does not have it". Containers built with a
// new libc then fail in odd ways under an old profile.
//
// So, like runc's patchbpf, hako puts a small BPF prologue in front of
// libseccomp's program. For every architecture in the filter it loads
// seccomp_data.nr and, if the number is greater than the highest syscall
// number the profile names for that architecture (resolved through
// libseccomp, so names libseccomp does not know do not count), returns
// ERRNO(ENOSYS). Everything else falls through unchanged into the
// libseccomp program, which reloads what it needs and keeps doing its own
// architecture check (a syscall from an architecture not in the filter is
// not touched by the stub).
//
// Layout, one block per AUDIT_ARCH value (each jump is forward, as
// classic BPF requires; "main" is the first libseccomp instruction):
//
//	ld  [4]                       ; seccomp_data.arch
//	jeq #AUDIT_ARCH_A, 0, <next>  ; not A: try the next block
//	ld  [0]                       ; seccomp_data.nr
//	jgt #max_A, 0, 1
//	ret #ERRNO(ENOSYS)
//	ja  main
//	jeq #AUDIT_ARCH_B, ...
//	...
//	main:
//
// x86_64 and x32 share AUDIT_ARCH_X86_64; x32 numbers carry
// __X32_SYSCALL_BIT. Their block first splits on that bit and then checks
// the x86_64 or the x32 maximum; the x32 half goes straight to main when
// x32 is not in the filter, leaving those syscalls to libseccomp.
//
// No stub is emitted when it cannot change anything or would be wrong:
// when the default action allows (ALLOW, LOG: a new syscall is permitted
// anyway, ENOSYS would break it), when the default already is
// ERRNO(ENOSYS), and for architectures whose profile names no syscall.

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

const (
	offNr   = 0 // offsetof(struct seccomp_data, nr)
	offArch = 4 // offsetof(struct seccomp_data, arch)

	retEnosys = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
)

// lastSyscalls returns, per architecture, the highest syscall number among
// all names in the profile, whatever their action. Negative numbers are
// libseccomp's pseudo syscalls (a name that does not exist on that
// architecture) and are ignored.
func lastSyscalls(calls []specs.LinuxSyscall, arches []specs.Arch) map[specs.Arch]uint32 {
	last := map[specs.Arch]uint32{}
	for _, sc := range calls {
		for _, name := range sc.Names {
			for _, a := range arches {
				nr, err := libseccomp.GetSyscallFromNameByArch(name, archs[a].scmp)
				if err != nil || int32(nr) < 0 {
					continue
				}
				if cur, ok := last[a]; !ok || uint32(nr) > cur {
					last[a] = uint32(nr)
				}
			}
		}
	}
	return last
}

// needsStub says whether the default action makes a stub useful.
func needsStub(s *specs.LinuxSeccomp) bool {
	switch s.DefaultAction {
	case specs.ActAllow, specs.ActLog:
		return false
	case specs.ActErrno:
		return s.DefaultErrnoRet == nil || *s.DefaultErrnoRet != uint(unix.ENOSYS)
	}
	return true
}

// enosysStub builds the prologue described at the top of this file. It
// returns nil when no stub is needed.
func enosysStub(s *specs.LinuxSeccomp, arches []specs.Arch, last map[specs.Arch]uint32) []Instruction {
	if !needsStub(s) || len(last) == 0 {
		return nil
	}
	var (
		out    []Instruction
		toMain []int // indices of "ja main" whose K is patched at the end
	)
	// check appends "if nr > max return ENOSYS; goto main".
	check := func(b []Instruction, max uint32, ok bool) []Instruction {
		if ok {
			b = append(b,
				jump(unix.BPF_JGT, max, 0, 1),
				Instruction{Code: unix.BPF_RET | unix.BPF_K, K: retEnosys})
		}
		return append(b, Instruction{Code: unix.BPF_JMP | unix.BPF_JA}) // patched
	}
	out = append(out, load(offArch))
	done := map[uint32]bool{}
	for _, a := range arches {
		audit := archs[a].audit
		if done[audit] {
			continue
		}
		done[audit] = true
		var body []Instruction
		if audit == unix.AUDIT_ARCH_X86_64 {
			m64, ok64 := last[specs.ArchX86_64]
			m32, ok32 := last[specs.ArchX32]
			if !ok64 && !ok32 {
				continue
			}
			lo := check(nil, m64, ok64)
			hi := check(nil, m32, ok32)
			body = append(body, load(offNr), jump(unix.BPF_JGE, x32SyscallBit, uint8(len(lo)), 0))
			body = append(body, lo...)
			body = append(body, hi...)
		} else {
			m, ok := last[a]
			if !ok {
				continue
			}
			body = check([]Instruction{load(offNr)}, m, true)
		}
		out = append(out, jump(unix.BPF_JEQ, audit, 0, uint8(len(body))))
		base := len(out)
		out = append(out, body...)
		for i, ins := range body {
			if ins.Code == unix.BPF_JMP|unix.BPF_JA {
				toMain = append(toMain, base+i)
			}
		}
	}
	if len(toMain) == 0 {
		return nil
	}
	for _, i := range toMain {
		out[i].K = uint32(len(out) - i - 1)
	}
	return out
}

func load(off uint32) Instruction {
	return Instruction{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: off}
}

func jump(op uint16, k uint32, jt, jf uint8) Instruction {
	return Instruction{Code: unix.BPF_JMP | op | unix.BPF_K, K: k, Jt: jt, Jf: jf}
}
