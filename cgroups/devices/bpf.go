package devices

import (
	"fmt"

	"github.com/cilium/ebpf/asm"
)

// Kernel ABI of BPF_PROG_TYPE_CGROUP_DEVICE (include/uapi/linux/bpf.h):
// struct bpf_cgroup_dev_ctx { __u32 access_type; __u32 major; __u32 minor; }
// where access_type is (access << 16) | type.
const (
	bpfDevBlock = 1
	bpfDevChar  = 2
	bpfAccMknod = 1
	bpfAccRead  = 2
	bpfAccWrite = 4
)

func bpfAccess(a Access) int32 {
	var v int32
	if a&Mknod != 0 {
		v |= bpfAccMknod
	}
	if a&Read != 0 {
		v |= bpfAccRead
	}
	if a&Write != 0 {
		v |= bpfAccWrite
	}
	return v
}

// Program compiles the emulator state into a cgroup device program that
// returns 1 (allow) or 0 (deny). Each exception is one block of
// comparisons; the first matching exception decides, and no match gives
// the default. Against an allow list an exception matches when it covers
// all requested access, against a deny list when it covers any of it, as
// in the v1 controller.
func (e *Emulator) Program() asm.Instructions {
	deflt, except := int32(0), int32(1)
	if e.DefaultAllow {
		deflt, except = 1, 0
	}
	insns := asm.Instructions{
		// R2 = type, R3 = access, R4 = major, R5 = minor
		asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
		asm.And.Imm32(asm.R2, 0xffff),
		asm.LoadMem(asm.R3, asm.R1, 0, asm.Word),
		asm.RSh.Imm32(asm.R3, 16),
		asm.LoadMem(asm.R4, asm.R1, 4, asm.Word),
		asm.LoadMem(asm.R5, asm.R1, 8, asm.Word),
	}
	for i, r := range e.Exceptions() {
		next := fmt.Sprintf("rule%d", i+1)
		var block asm.Instructions
		typ := int32(bpfDevChar)
		if r.Type == 'b' {
			typ = bpfDevBlock
		}
		block = append(block, asm.JNE.Imm(asm.R2, typ, next))
		if acc := bpfAccess(r.Access); acc != bpfAccMknod|bpfAccRead|bpfAccWrite {
			block = append(block, asm.Mov.Reg32(asm.R1, asm.R3), asm.And.Imm32(asm.R1, acc))
			if e.DefaultAllow {
				block = append(block, asm.JEq.Imm(asm.R1, 0, next))
			} else {
				block = append(block, asm.JNE.Reg(asm.R1, asm.R3, next))
			}
		}
		if r.Major != Wildcard {
			block = append(block, asm.JNE.Imm(asm.R4, int32(r.Major), next))
		}
		if r.Minor != Wildcard {
			block = append(block, asm.JNE.Imm(asm.R5, int32(r.Minor), next))
		}
		block = append(block, asm.Mov.Imm32(asm.R0, except), asm.Return())
		block[0] = block[0].WithSymbol(fmt.Sprintf("rule%d", i))
		insns = append(insns, block...)
	}
	last := asm.Mov.Imm32(asm.R0, deflt)
	insns = append(insns, last.WithSymbol(fmt.Sprintf("rule%d", len(e.exceptions))), asm.Return())
	return insns
}
