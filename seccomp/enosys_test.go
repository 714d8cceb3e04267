package seccomp

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Syscall numbers used below (x86_64 / i386 / x32 = x32SyscallBit + x86_64).
const (
	nrMkdir386     = 39
	nrGetrandom386 = 355
	nrStatx386     = 383
	nrClone3       = 435 // same on x86_64 and i386
	nrFchmodat2    = 452
)

func TestEnosysStub(t *testing.T) {
	enosys, eperm := retErrno(unix.ENOSYS), retErrno(unix.EPERM)
	// A deny-by-default profile that knows syscalls up to getrandom (318
	// on x86_64, 355 on i386). membarrier (324) is listed with the
	// default action: the rule is dropped, but the name still counts.
	profile := func(def specs.LinuxSeccompAction, errnoRet *uint, arches ...specs.Arch) *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{
			DefaultAction: def, DefaultErrnoRet: errnoRet, Architectures: arches,
			Syscalls: []specs.LinuxSyscall{
				{Names: []string{"read", "write", "getpid", "getrandom", "no_such_call"}, Action: specs.ActAllow},
				{Names: []string{"membarrier"}, Action: def, ErrnoRet: errnoRet},
			},
		}
	}
	type probe struct {
		arch uint32
		nr   int
		want uint32
	}
	x64 := func(nr int, want uint32) probe { return probe{unix.AUDIT_ARCH_X86_64, nr, want} }
	i386 := func(nr int, want uint32) probe { return probe{unix.AUDIT_ARCH_I386, nr, want} }
	x32 := func(nr int, want uint32) probe { return probe{unix.AUDIT_ARCH_X86_64, x32SyscallBit + nr, want} }
	for _, tc := range []struct {
		name   string
		s      *specs.LinuxSeccomp
		stub   bool
		probes []probe
	}{
		{"errno default: newer syscalls get ENOSYS", profile(specs.ActErrno, nil), true, []probe{
			x64(unix.SYS_GETPID, retAllow),
			x64(unix.SYS_MKDIR, eperm),         // older than the profile, not listed
			x64(unix.SYS_MEMFD_CREATE, eperm),  // 319, below membarrier (324)
			x64(unix.SYS_MEMBARRIER, eperm),    // listed with the default action
			x64(unix.SYS_MEMBARRIER+1, enosys), // 325 mlock2
			x64(unix.SYS_STATX, enosys),
			x64(nrClone3, enosys),
			x64(nrFchmodat2, enosys),
			x64(0x3fffffff, enosys),
			x64(-1, eperm), // has the x32 bit: left to libseccomp, which gives -1 the default action
		}},
		{"kill default", profile(specs.ActKillProcess, nil), true, []probe{
			x64(unix.SYS_MKDIR, retKillProcess), x64(nrClone3, enosys),
		}},
		{"trap default", profile(specs.ActTrap, nil), true, []probe{
			x64(unix.SYS_MKDIR, retTrap), x64(nrClone3, enosys),
		}},
		{"errno EACCES default", profile(specs.ActErrno, uptr(uint(unix.EACCES))), true, []probe{
			x64(unix.SYS_MKDIR, retErrno(unix.EACCES)), x64(nrClone3, enosys),
		}},
		{"errno ENOSYS default needs no stub", profile(specs.ActErrno, uptr(uint(unix.ENOSYS))), false, []probe{
			x64(unix.SYS_MKDIR, enosys), x64(nrClone3, enosys), x64(unix.SYS_GETPID, retAllow),
		}},
		{"allow default: no stub, new syscalls stay allowed", profile(specs.ActAllow, nil), false, []probe{
			x64(nrClone3, retAllow),
		}},
		{"log default: no stub", profile(specs.ActLog, nil), false, []probe{
			x64(nrClone3, retLog),
		}},
		{"multi-arch: limits per architecture", profile(specs.ActErrno, nil, specs.ArchX86_64, specs.ArchX86, specs.ArchX32), true, []probe{
			x64(unix.SYS_STATX, enosys),
			i386(nrMkdir386, eperm),
			i386(nrGetrandom386, retAllow),
			i386(nrStatx386, enosys),    // 383 > 355
			i386(unix.SYS_STATX, eperm), // 332 is below i386's limit
			x32(unix.SYS_GETPID, retAllow),
			x32(unix.SYS_MKDIR, eperm),
			x32(unix.SYS_STATX, enosys),
			x32(0x3fffffff, enosys),
		}},
		{"x32 not in filter: x32 numbers left to libseccomp", profile(specs.ActErrno, nil, specs.ArchX86), true, []probe{
			x32(unix.SYS_GETPID, retKillThread),
			x32(unix.SYS_STATX, retKillThread),
			x64(unix.SYS_STATX, enosys),
			{unix.AUDIT_ARCH_AARCH64, 1000, retKillThread}, // not in the filter: stub does not touch it
		}},
		{"no syscalls: no stub", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno}, false, []probe{
			x64(nrClone3, eperm), x64(unix.SYS_READ, eperm),
		}},
		{"only unknown names: no stub", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"frobnicate"}, Action: specs.ActAllow}}}, false, []probe{
			x64(nrClone3, eperm),
		}},
		{"clone3 listed explicitly keeps its rule", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
			Syscalls: []specs.LinuxSyscall{
				{Names: []string{"getpid"}, Action: specs.ActAllow},
				{Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: uptr(uint(unix.EXDEV))},
			}}, true, []probe{
			x64(nrClone3, retErrno(unix.EXDEV)), x64(nrClone3+1, enosys), x64(unix.SYS_MKDIR, eperm),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustCompile(t, tc.s)
			arches, err := architectures(tc.s.Architectures)
			if err != nil {
				t.Fatal(err)
			}
			stub := enosysStub(tc.s, arches, lastSyscalls(tc.s.Syscalls, arches))
			if (len(stub) > 0) != tc.stub {
				t.Errorf("stub has %d instructions, want stub: %v", len(stub), tc.stub)
			}
			for _, pr := range tc.probes {
				if got := callArch(t, p, pr.arch, pr.nr); got != pr.want {
					t.Errorf("arch %#x nr %d: got %#x, want %#x", pr.arch, pr.nr, got, pr.want)
				}
			}
		})
	}
}

func TestLastSyscalls(t *testing.T) {
	arches := []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32, specs.ArchAARCH64}
	got := lastSyscalls([]specs.LinuxSyscall{
		{Names: []string{"read", "socket", "mkdir", "unknown_call"}},
		{Names: []string{"getrandom"}},
	}, arches)
	want := map[specs.Arch]uint32{
		specs.ArchX86_64:  unix.SYS_GETRANDOM,
		specs.ArchX86:     nrGetrandom386,
		specs.ArchX32:     x32SyscallBit + unix.SYS_GETRANDOM,
		specs.ArchAARCH64: 278, // mkdir does not exist on arm64: ignored
	}
	for a, w := range want {
		if got[a] != w {
			t.Errorf("%s: got %d, want %d", a, got[a], w)
		}
	}
}
