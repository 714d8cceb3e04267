package seccomp

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// A small classic-BPF interpreter for seccomp programs, so that Compile's
// output can be table-tested without loading it: the test feeds a
// seccomp_data (arch, nr, args) and checks the SECCOMP_RET_* value.

type seccompData struct {
	nr   int32
	arch uint32
	args [6]uint64
}

// bytes lays the data out like struct seccomp_data, in native order.
func (d seccompData) bytes() []byte {
	b := make([]byte, 64)
	binary.NativeEndian.PutUint32(b[0:], uint32(d.nr))
	binary.NativeEndian.PutUint32(b[4:], d.arch)
	for i, a := range d.args {
		binary.NativeEndian.PutUint64(b[16+8*i:], a)
	}
	return b
}

func runBPF(prog []Instruction, d seccompData) (uint32, error) {
	data := d.bytes()
	var a, x uint32
	var mem [16]uint32
	for pc := 0; pc < len(prog); pc++ {
		ins := prog[pc]
		k := ins.K
		src := k
		if ins.Code&0x08 == unix.BPF_X {
			src = x
		}
		switch ins.Code & 0x07 { // class
		case unix.BPF_LD, unix.BPF_LDX:
			var v uint32
			switch ins.Code & 0xe0 { // mode
			case unix.BPF_ABS:
				if ins.Code&0x18 != unix.BPF_W || k%4 != 0 || int(k)+4 > len(data) {
					return 0, fmt.Errorf("pc %d: bad load %#x k=%d", pc, ins.Code, k)
				}
				v = binary.NativeEndian.Uint32(data[k:])
			case unix.BPF_IMM:
				v = k
			case unix.BPF_MEM:
				v = mem[k%16]
			case unix.BPF_LEN:
				v = uint32(len(data))
			default:
				return 0, fmt.Errorf("pc %d: unsupported load %#x", pc, ins.Code)
			}
			if ins.Code&0x07 == unix.BPF_LD {
				a = v
			} else {
				x = v
			}
		case unix.BPF_ST:
			mem[k%16] = a
		case unix.BPF_STX:
			mem[k%16] = x
		case unix.BPF_ALU:
			switch ins.Code & 0xf0 {
			case unix.BPF_ADD:
				a += src
			case unix.BPF_SUB:
				a -= src
			case unix.BPF_AND:
				a &= src
			case unix.BPF_OR:
				a |= src
			case unix.BPF_XOR:
				a ^= src
			case unix.BPF_LSH:
				a <<= src
			case unix.BPF_RSH:
				a >>= src
			case unix.BPF_NEG:
				a = -a
			default:
				return 0, fmt.Errorf("pc %d: unsupported alu %#x", pc, ins.Code)
			}
		case unix.BPF_JMP:
			var cond bool
			switch ins.Code & 0xf0 {
			case unix.BPF_JA:
				pc += int(k)
				continue
			case unix.BPF_JEQ:
				cond = a == src
			case unix.BPF_JGT:
				cond = a > src
			case unix.BPF_JGE:
				cond = a >= src
			case unix.BPF_JSET:
				cond = a&src != 0
			default:
				return 0, fmt.Errorf("pc %d: unsupported jump %#x", pc, ins.Code)
			}
			if cond {
				pc += int(ins.Jt)
			} else {
				pc += int(ins.Jf)
			}
		case unix.BPF_RET:
			if ins.Code&0x18 == unix.BPF_A {
				return a, nil
			}
			return k, nil
		case unix.BPF_MISC:
			if ins.Code&0xf8 == unix.BPF_TAX {
				x = a
			} else {
				a = x
			}
		}
	}
	return 0, fmt.Errorf("fell off the end of the program")
}
