package seccomp

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// archInfo ties a profile architecture name to the libseccomp token used
// to build the filter and to the AUDIT_ARCH_* value the kernel puts into
// seccomp_data.arch, which the ENOSYS stub compares against.
type archInfo struct {
	scmp  libseccomp.ScmpArch
	audit uint32
}

// archs lists every architecture of the runtime-spec. An entry whose
// libseccomp token is unsupported by the linked libseccomp fails in
// AddArch with an error naming the field.
var archs = map[specs.Arch]archInfo{
	specs.ArchX86:         {libseccomp.ArchX86, unix.AUDIT_ARCH_I386},
	specs.ArchX86_64:      {libseccomp.ArchAMD64, unix.AUDIT_ARCH_X86_64},
	specs.ArchX32:         {libseccomp.ArchX32, unix.AUDIT_ARCH_X86_64}, // x32 shares AUDIT_ARCH_X86_64, nr has bit 30 set
	specs.ArchARM:         {libseccomp.ArchARM, unix.AUDIT_ARCH_ARM},
	specs.ArchAARCH64:     {libseccomp.ArchARM64, unix.AUDIT_ARCH_AARCH64},
	specs.ArchMIPS:        {libseccomp.ArchMIPS, unix.AUDIT_ARCH_MIPS},
	specs.ArchMIPS64:      {libseccomp.ArchMIPS64, unix.AUDIT_ARCH_MIPS64},
	specs.ArchMIPS64N32:   {libseccomp.ArchMIPS64N32, unix.AUDIT_ARCH_MIPS64N32},
	specs.ArchMIPSEL:      {libseccomp.ArchMIPSEL, unix.AUDIT_ARCH_MIPSEL},
	specs.ArchMIPSEL64:    {libseccomp.ArchMIPSEL64, unix.AUDIT_ARCH_MIPSEL64},
	specs.ArchMIPSEL64N32: {libseccomp.ArchMIPSEL64N32, unix.AUDIT_ARCH_MIPSEL64N32},
	specs.ArchPPC:         {libseccomp.ArchPPC, unix.AUDIT_ARCH_PPC},
	specs.ArchPPC64:       {libseccomp.ArchPPC64, unix.AUDIT_ARCH_PPC64},
	specs.ArchPPC64LE:     {libseccomp.ArchPPC64LE, unix.AUDIT_ARCH_PPC64LE},
	specs.ArchS390:        {libseccomp.ArchS390, unix.AUDIT_ARCH_S390},
	specs.ArchS390X:       {libseccomp.ArchS390X, unix.AUDIT_ARCH_S390X},
	specs.ArchPARISC:      {libseccomp.ArchPARISC, unix.AUDIT_ARCH_PARISC},
	specs.ArchPARISC64:    {libseccomp.ArchPARISC64, unix.AUDIT_ARCH_PARISC64},
	specs.ArchRISCV64:     {libseccomp.ArchRISCV64, unix.AUDIT_ARCH_RISCV64},
	specs.ArchLOONGARCH64: {libseccomp.ArchLOONGARCH64, unix.AUDIT_ARCH_LOONGARCH64},
	specs.ArchM68K:        {libseccomp.ArchM68K, unix.AUDIT_ARCH_M68K},
	specs.ArchSH:          {libseccomp.ArchSH, unix.AUDIT_ARCH_SHEL}, // libseccomp: SH is little endian,
	specs.ArchSHEB:        {libseccomp.ArchSHEB, unix.AUDIT_ARCH_SH},
}

// x32SyscallBit is __X32_SYSCALL_BIT: x32 processes run with
// AUDIT_ARCH_X86_64 and syscall numbers at or above this value.
const x32SyscallBit = 0x40000000

// nativeArch returns the spec name of the architecture this binary runs
// on, the one libseccomp always puts into a new filter.
func nativeArch() (specs.Arch, error) {
	a, err := libseccomp.GetNativeArch()
	if err != nil {
		return "", err
	}
	for name, info := range archs {
		if info.scmp == a {
			return name, nil
		}
	}
	return "", unknownErr("native architecture", a.String())
}

var operators = map[specs.LinuxSeccompOperator]libseccomp.ScmpCompareOp{
	specs.OpNotEqual:     libseccomp.CompareNotEqual,
	specs.OpLessThan:     libseccomp.CompareLess,
	specs.OpLessEqual:    libseccomp.CompareLessOrEqual,
	specs.OpEqualTo:      libseccomp.CompareEqual,
	specs.OpGreaterEqual: libseccomp.CompareGreaterEqual,
	specs.OpGreaterThan:  libseccomp.CompareGreater,
	specs.OpMaskedEqual:  libseccomp.CompareMaskedEqual,
}

// Flag names accepted in linux.seccomp.flags. TSYNC is not in the
// runtime-spec constants but runc accepts it; hako always synchronises
// threads anyway (see Program.Flags), so it is accepted and redundant.
const flagTsync specs.LinuxSeccompFlag = "SECCOMP_FILTER_FLAG_TSYNC"

var filterFlags = map[specs.LinuxSeccompFlag]uint{
	flagTsync:                              unix.SECCOMP_FILTER_FLAG_TSYNC,
	specs.LinuxSeccompFlagLog:              unix.SECCOMP_FILTER_FLAG_LOG,
	specs.LinuxSeccompFlagSpecAllow:        unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	specs.LinuxSeccompFlagWaitKillableRecv: unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
}

// maxArgs is the number of syscall arguments in seccomp_data.
const maxArgs = 6

// defaultErrno is what ERRNO and TRACE return when the profile sets no
// errnoRet, as in runc.
const defaultErrno = uint(unix.EPERM)

// action translates a profile action and its optional errnoRet into a
// libseccomp action. field is the path of the action field, errnoField the
// path of its errnoRet, both for errors.
func action(field, errnoField string, a specs.LinuxSeccompAction, errnoRet *uint) (libseccomp.ScmpAction, error) {
	ret := defaultErrno
	if errnoRet != nil {
		if a != specs.ActErrno && a != specs.ActTrace {
			return 0, fieldErr(errnoField, invalidErr("only valid with %s or %s, not %q", specs.ActErrno, specs.ActTrace, a))
		}
		if *errnoRet > 0xffff {
			return 0, fieldErr(errnoField, invalidErr("%d does not fit in 16 bits", *errnoRet))
		}
		ret = *errnoRet
	}
	switch a {
	case specs.ActKill, specs.ActKillThread:
		return libseccomp.ActKillThread, nil
	case specs.ActKillProcess:
		return libseccomp.ActKillProcess, nil
	case specs.ActTrap:
		return libseccomp.ActTrap, nil
	case specs.ActErrno:
		return libseccomp.ActErrno.SetReturnCode(int16(ret)), nil
	case specs.ActTrace:
		return libseccomp.ActTrace.SetReturnCode(int16(ret)), nil
	case specs.ActAllow:
		return libseccomp.ActAllow, nil
	case specs.ActLog:
		return libseccomp.ActLog, nil
	case specs.ActNotify:
		return libseccomp.ActNotify, nil
	}
	return 0, fieldErr(field, unknownErr("action", string(a)))
}
