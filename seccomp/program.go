package seccomp

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"golang.org/x/sys/unix"
)

// Instruction is one classic BPF instruction, laid out like the kernel's
// struct sock_filter.
type Instruction struct {
	Code uint16
	Jt   uint8
	Jf   uint8
	K    uint32
}

// Instructions is a BPF program. In JSON it is one base64 string of
// 8-byte little-endian sock_filter records (code u16, jt u8, jf u8, k u32):
// a thousand-instruction program then costs about 11 KB and decodes in
// microseconds, instead of 30 KB of objects that take most of a cache hit
// to parse.
type Instructions []Instruction

const insSize = 8

// Native is the program as the kernel reads struct sock_filter records,
// in the host's byte order, for a loader that is not Go (nsenter's
// exec applier).
func (p Instructions) Native() []byte {
	raw := make([]byte, 0, len(p)*insSize)
	for _, ins := range p {
		raw = binary.NativeEndian.AppendUint16(raw, ins.Code)
		raw = append(raw, ins.Jt, ins.Jf)
		raw = binary.NativeEndian.AppendUint32(raw, ins.K)
	}
	return raw
}

// MarshalJSON encodes the program as a base64 string.
func (p Instructions) MarshalJSON() ([]byte, error) {
	raw := make([]byte, len(p)*insSize)
	for i, ins := range p {
		b := raw[i*insSize:]
		binary.LittleEndian.PutUint16(b[0:], ins.Code)
		b[2], b[3] = ins.Jt, ins.Jf
		binary.LittleEndian.PutUint32(b[4:], ins.K)
	}
	return json.Marshal(raw) // []byte marshals as base64
}

// UnmarshalJSON decodes what MarshalJSON produced.
func (p *Instructions) UnmarshalJSON(data []byte) error {
	var raw []byte
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("decode bpf instructions: %w", err)
	}
	if len(raw)%insSize != 0 {
		return fmt.Errorf("decode bpf instructions: %d bytes is not a whole number of instructions", len(raw))
	}
	out := make(Instructions, len(raw)/insSize)
	for i := range out {
		b := raw[i*insSize:]
		out[i] = Instruction{
			Code: binary.LittleEndian.Uint16(b[0:]),
			Jt:   b[2],
			Jf:   b[3],
			K:    binary.LittleEndian.Uint32(b[4:]),
		}
	}
	*p = out
	return nil
}

// Program is a compiled seccomp filter ready for Load. It holds no
// libseccomp state: it is plain data that is built by Compile in the host
// process and sent as JSON to the container init.
type Program struct {
	// Instructions is the complete filter: hako's ENOSYS stub (see
	// enosys.go) followed by libseccomp's program.
	Instructions Instructions `json:"instructions"`
	// Flags are the SECCOMP_FILTER_FLAG_* bits passed to seccomp(2).
	// TSYNC is always set, because the Go init is multi-threaded and a
	// thread that escapes the filter must not exist; with a listener it
	// is combined with TSYNC_ESRCH as the kernel requires.
	Flags uint `json:"flags"`
	// Notify is true when the filter has SCMP_ACT_NOTIFY rules; Flags
	// then contains NEW_LISTENER and Load returns a listener fd.
	Notify bool `json:"notify,omitempty"`
	// ListenerPath and ListenerMetadata are copied from the profile for
	// the runtime, which sends the listener fd there (SendListener).
	ListenerPath     string `json:"listenerPath,omitempty"`
	ListenerMetadata string `json:"listenerMetadata,omitempty"`
}

// maxInstructions is BPF_MAXINSNS, the kernel's limit for one filter.
const maxInstructions = 4096

// validate checks what the kernel would otherwise reject with a bare
// EINVAL, so that Load can say what is wrong.
func (p *Program) validate() error {
	n := len(p.Instructions)
	if n == 0 {
		return fmt.Errorf("empty program")
	}
	if n > maxInstructions {
		return fmt.Errorf("program has %d instructions, the kernel allows %d", n, maxInstructions)
	}
	if p.Notify != (p.Flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER != 0) {
		return fmt.Errorf("notify %v does not match flags %#x", p.Notify, p.Flags)
	}
	return nil
}

// sockFilters converts the program into the kernel's representation.
func (p *Program) sockFilters() []unix.SockFilter {
	out := make([]unix.SockFilter, len(p.Instructions))
	for i, ins := range p.Instructions {
		out[i] = unix.SockFilter{Code: ins.Code, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	return out
}
