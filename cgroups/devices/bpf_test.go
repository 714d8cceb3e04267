package devices

import (
	"testing"

	"github.com/cilium/ebpf/asm"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// run interprets the small instruction subset Program emits, so the
// program's decisions can be compared with the emulator without a kernel.
func run(t *testing.T, insns asm.Instructions, typ, access, major, minor uint32) uint64 {
	t.Helper()
	ctx := []uint32{access<<16 | typ, major, minor}
	labels := map[string]int{}
	for i, ins := range insns {
		if s := ins.Symbol(); s != "" {
			labels[s] = i
		}
	}
	var r [11]uint64
	for pc, steps := 0, 0; pc < len(insns); steps++ {
		if steps > 10000 {
			t.Fatal("program does not terminate")
		}
		ins := insns[pc]
		op := ins.OpCode
		jump := func(cond bool) {
			if cond {
				to, ok := labels[ins.Reference()]
				if !ok {
					t.Fatalf("unknown label %q", ins.Reference())
				}
				pc = to
			} else {
				pc++
			}
		}
		src := uint64(ins.Constant)
		if op.Source() == asm.RegSource {
			src = r[ins.Src]
		}
		switch {
		case op.Class() == asm.LdXClass:
			r[ins.Dst] = uint64(ctx[ins.Offset/4])
			pc++
		case op.Class().IsALU():
			switch op.ALUOp() {
			case asm.Mov:
				r[ins.Dst] = src
			case asm.And:
				r[ins.Dst] &= src
			case asm.RSh:
				r[ins.Dst] >>= src
			default:
				t.Fatalf("unexpected alu op %v", ins)
			}
			if op.Class() == asm.ALUClass {
				r[ins.Dst] &= 0xffffffff
			}
			pc++
		case op.JumpOp() == asm.Exit:
			return r[0]
		case op.JumpOp() == asm.JNE:
			jump(r[ins.Dst] != src)
		case op.JumpOp() == asm.JEq:
			jump(r[ins.Dst] == src)
		default:
			t.Fatalf("unexpected instruction %v", ins)
		}
	}
	t.Fatal("fell off the program")
	return 0
}

func TestProgramMatchesEmulator(t *testing.T) {
	sets := [][]specs.LinuxDeviceCgroup{
		nil,
		containerRules,
		{rule(false, "a", nil, nil, "rwm")},
		{rule(false, "b", i64(8), nil, "w"), rule(false, "c", i64(1), i64(3), "rm")},
		{rule(false, "a", nil, nil, "rwm"), rule(true, "b", i64(8), i64(1), "r"), rule(true, "a", nil, i64(9), "w")},
	}
	accesses := []Access{Read, Write, Mknod, Read | Write, All}
	for i, rules := range sets {
		e, err := FromSpec(rules)
		if err != nil {
			t.Fatal(err)
		}
		prog := e.Program()
		checked := 0
		for _, typ := range []byte{'c', 'b'} {
			for _, major := range []int64{1, 5, 8, 10, 136, 254} {
				for _, minor := range []int64{0, 1, 3, 9, 200} {
					for _, a := range accesses {
						bt := uint32(bpfDevChar)
						if typ == 'b' {
							bt = bpfDevBlock
						}
						got := run(t, prog, bt, uint32(bpfAccess(a)), uint32(major), uint32(minor)) == 1
						if want := e.Allowed(typ, major, minor, a); got != want {
							t.Errorf("set %d: %c %d:%d %s: program %v, emulator %v", i, typ, major, minor, a, got, want)
						}
						checked++
					}
				}
			}
		}
		if checked != 300 {
			t.Fatalf("checked %d cases", checked)
		}
	}
}
