package nsenter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer/syncproto"
)

// Limits of the C side (nsenter.c, apply.c), written out again here so
// that a change on one side shows (maxFDs is plan.go's HAKO_MAX_FDS).
const (
	maxBoot    = 65536
	maxJoin    = 16
	maxPlan    = 64 << 20
	bpfMaxInsn = 4096
)

// maxPlanInput bounds one fuzz input (all strings and bytes together).
const maxPlanInput = 16 << 10

// FuzzExecPlan encodes an ExecPlan and the Bootstrap that carries it, from
// fuzzed fields, and reads the bytes back with a Go transcription of the
// C readers (nsenter.c's directive loop and apply.c's parse), which share
// their rules and limits. Properties: no panic; a plan or bootstrap
// refused gets an error naming the field (process.args, process.env,
// process.cwd, the keyring, the seccomp filter, the namespace path);
// everything accepted is read back by the C rules without a complaint and
// gives the same values, so the Go encoder never sends what the C stage
// would fail on.
func FuzzExecPlan(f *testing.F) {
	f.Add("sh\n-c\necho hi", "PATH=/bin\nA=1", "/", uint32(0), uint32(0), []byte{5, 0, 0, 0}, true, uint64(1<<21), true, uint32(0o22), make([]byte, 16), uint32(8), []byte{1, 0, 0, 0, 0, 0, 0, 0}, uint16(24), uint32(2), "_ses", uint32(1), uint64(unix.CLONE_NEWNS|unix.CLONE_NEWPID), "/proc/1/ns/net\n/proc/1/ns/user")
	f.Add("", "", "", uint32(1), uint32(1), []byte{}, false, uint64(0), false, uint32(0), []byte{}, uint32(0), []byte{}, uint16(0), uint32(0), "", uint32(0), uint64(0), "")
	f.Add("a\x00b", "A=\x00", "/w\x00", uint32(1), uint32(1), []byte{1}, false, uint64(0), false, uint32(0), make([]byte, 12), uint32(0), []byte{1}, uint16(0), uint32(0), "k\x00", uint32(65), uint64(0), "/a b\n/x\x00y")
	f.Add("true", "", "/", uint32(0), uint32(0), []byte{}, false, uint64(0), false, uint32(0), make([]byte, 8*(bpfMaxInsn+1)), uint32(0), []byte{}, uint16(0), uint32(0), "", uint32(2), uint64(0), "")
	// more procfs contexts than one message carries; more joins than nsenter.c takes
	f.Add("true", "", "/", uint32(0), uint32(0), []byte{}, false, uint64(0), false, uint32(0), []byte{}, uint32(0), []byte{}, uint16(0), uint32(0), "", uint32(65), uint64(0), "")
	f.Add("true", "", "/", uint32(0), uint32(0), []byte{}, false, uint64(0), false, uint32(0), []byte{}, uint32(0), []byte{}, uint16(0), uint32(0), "", uint32(0), uint64(0), strings.Repeat("/proc/1/ns/net\n", 16)+"/x")
	f.Fuzz(func(t *testing.T, args, env, cwd string, uid, gid uint32, groups []byte, hasCaps bool, capv uint64,
		nnp bool, umask uint32, filter []byte, persona uint32, mask []byte, rows uint16, preserve uint32,
		keyring string, procfs uint32, clone uint64, joins string) {
		// the filter may be a little beyond the kernel's 4096 instructions
		if len(args)+len(env)+len(cwd)+len(groups)+len(mask)+len(keyring)+len(joins) > maxPlanInput ||
			len(filter) > 8*(bpfMaxInsn+2) {
			return
		}
		p := &ExecPlan{Cwd: cwd, UID: uid, GID: gid, NoNewPrivileges: nnp, PreserveFDs: preserve}
		if args != "" {
			p.Args = strings.Split(args, "\n")
		}
		if env != "" {
			p.Env = strings.Split(env, "\n")
		}
		for i := 0; i+4 <= len(groups); i += 4 {
			p.Groups = append(p.Groups, binary.NativeEndian.Uint32(groups[i:]))
		}
		if hasCaps {
			p.Caps = &[5]uint64{capv, capv >> 1, capv >> 2, capv >> 3, capv >> 4}
			p.NeedHome = true
		}
		if umask != 0 {
			p.Umask = &umask
		}
		if len(filter) > 0 {
			p.Seccomp = &SeccompFilter{Flags: umask, Notify: nnp, Filter: filter}
		}
		if persona != 0 {
			p.Personality = &persona
		}
		if len(mask) > 0 {
			mp := &MemPolicy{Mode: persona}
			for i := 0; i+8 <= len(mask); i += 8 {
				mp.Mask = append(mp.Mask, binary.NativeEndian.Uint64(mask[i:]))
			}
			p.MemPolicy = mp
		}
		if rows != 0 {
			p.Console = &Console{SocketFD: uid, Rows: rows, Cols: uint16(gid), HasSize: nnp, Relay: hasCaps}
		}
		if procfs != 0 || keyring != "" {
			p.Create = &Create{FifoFD: gid, ProcFS: procfs, Keyring: keyring}
		}
		raw, err := p.MarshalBinary()
		if err != nil {
			if !planField(err) {
				t.Fatalf("plan refused with an error naming no field: %q", err)
			}
			return
		}
		got, err := parsePlan(raw)
		if err != nil {
			t.Fatalf("plan accepted by MarshalBinary, refused by apply.c's rules: %v", err)
		}
		if !reflect.DeepEqual(normalPlan(p), got) {
			t.Fatalf("plan read back differs:\nsent %+v\nread %+v", normalPlan(p), got)
		}

		b := &syncproto.Bootstrap{Clone: uintptr(clone), Maps: hasCaps, Timens: nnp, Plan: raw}
		if joins != "" {
			for i, path := range strings.Split(joins, "\n") {
				b.Joins = append(b.Joins, syncproto.Join{Flag: uintptr(1) << (uint(i) % 31), Path: path})
			}
		}
		stream, err := b.MarshalBinary()
		if err != nil {
			if !strings.HasPrefix(err.Error(), "namespace path") {
				t.Fatalf("bootstrap refused with an error naming no field: %q", err)
			}
			return
		}
		back, err := parseBootstrap(stream)
		if err != nil {
			t.Fatalf("bootstrap accepted by MarshalBinary, refused by nsenter.c's rules: %v", err)
		}
		if !reflect.DeepEqual(normalBoot(b), back) {
			t.Fatalf("bootstrap read back differs:\nsent %+v\nread %+v", normalBoot(b), back)
		}
	})
}

// planField says whether a MarshalBinary error names what it refuses.
func planField(err error) bool {
	for _, p := range []string{"process.args", "process.env", "process.cwd", "keyring name", "exec plan: "} {
		if strings.HasPrefix(err.Error(), p) {
			return true
		}
	}
	return false
}

// readPlan is what apply.c's parse keeps of a plan.
type readPlan struct {
	Args, Env   []string
	Cwd         string
	UID, GID    uint32
	Groups      []uint32
	Caps        *[5]uint64
	NNP, Home   bool
	Umask       *uint32
	Seccomp     *SeccompFilter
	Personality *uint32
	MemPolicy   *MemPolicy
	Console     *Console
	Preserve    uint32
	Create      *Create
}

func normalPlan(p *ExecPlan) *readPlan {
	r := &readPlan{Args: p.Args, Env: p.Env, Cwd: p.Cwd, UID: p.UID, GID: p.GID, Groups: p.Groups, Caps: p.Caps,
		NNP: p.NoNewPrivileges, Home: p.NeedHome, Umask: p.Umask, Seccomp: p.Seccomp, Personality: p.Personality,
		MemPolicy: p.MemPolicy, Console: p.Console, Preserve: p.PreserveFDs, Create: p.Create}
	if len(r.Env) == 0 {
		r.Env = nil
	}
	if len(r.Groups) == 0 {
		r.Groups = nil
	}
	if m := r.MemPolicy; m != nil && len(m.Mask) == 0 {
		r.MemPolicy = &MemPolicy{Mode: m.Mode}
	}
	return r
}

// parsePlan is apply.c's parse, in Go: the same records, sizes and limits.
func parsePlan(b []byte) (*readPlan, error) {
	r := &readPlan{}
	bad := func(what string) (*readPlan, error) { return nil, fmt.Errorf("exec plan: %s", what) }
	cwd := false
	for o := 0; o < len(b); {
		if len(b)-o < 8 {
			return bad("truncated record header")
		}
		tag, n := binary.NativeEndian.Uint32(b[o:]), binary.NativeEndian.Uint32(b[o+4:])
		if uint64(n) > uint64(len(b)-o-8) {
			return bad("truncated record")
		}
		v := b[o+8 : o+8+int(n)]
		o += 8 + int(n)
		if tag == tagArg || tag == tagEnv || tag == tagCwd {
			if n == 0 || v[n-1] != 0 {
				return bad("string without its NUL")
			}
			// C sees the string up to its first NUL
			s := string(v[:bytes.IndexByte(v, 0)])
			switch tag {
			case tagArg:
				r.Args = append(r.Args, s)
			case tagEnv:
				r.Env = append(r.Env, s)
			default:
				r.Cwd, cwd = s, true
			}
			continue
		}
		u32 := func(i int) uint32 { return binary.NativeEndian.Uint32(v[i:]) }
		switch tag {
		case tagUser:
			if n != 8 {
				return bad("user")
			}
			r.UID, r.GID = u32(0), u32(4)
		case tagGroup:
			if n != 4 {
				return bad("group")
			}
			r.Groups = append(r.Groups, u32(0))
		case tagCaps:
			if n != 40 {
				return bad("capabilities")
			}
			r.Caps = &[5]uint64{}
			for i := range r.Caps {
				r.Caps[i] = binary.NativeEndian.Uint64(v[8*i:])
			}
		case tagNoNewPrivs:
			r.NNP = true
		case tagUmask:
			if n != 4 {
				return bad("umask")
			}
			u := u32(0)
			r.Umask = &u
		case tagHome:
			r.Home = true
		case tagSeccomp:
			if n <= 8 || (n-8)%8 != 0 || (n-8)/8 > bpfMaxInsn {
				return bad("seccomp")
			}
			r.Seccomp = &SeccompFilter{Flags: u32(0), Notify: u32(4) != 0, Filter: append([]byte(nil), v[8:]...)}
		case tagPersonality:
			if n != 4 {
				return bad("personality")
			}
			u := u32(0)
			r.Personality = &u
		case tagMemPolicy:
			if n < 4 || (n-4)%8 != 0 {
				return bad("memory policy")
			}
			m := &MemPolicy{Mode: u32(0)}
			for i := 4; i < int(n); i += 8 {
				m.Mask = append(m.Mask, binary.NativeEndian.Uint64(v[i:]))
			}
			r.MemPolicy = m
		case tagConsole:
			if n != 10 {
				return bad("console")
			}
			r.Console = &Console{SocketFD: u32(0), Rows: binary.NativeEndian.Uint16(v[4:]),
				Cols: binary.NativeEndian.Uint16(v[6:]), HasSize: v[8] != 0, Relay: v[9] != 0}
		case tagPreserveFDs:
			if n != 4 {
				return bad("preserved fds")
			}
			r.Preserve = u32(0)
		case tagCreate:
			if n < 9 || v[n-1] != 0 || u32(4) > maxFDs {
				return bad("create")
			}
			k := v[8:]
			r.Create = &Create{FifoFD: u32(0), ProcFS: u32(4), Keyring: string(k[:bytes.IndexByte(k, 0)])}
		default:
			return bad("unknown record")
		}
	}
	if len(r.Args) == 0 || !cwd {
		return bad("no args or cwd")
	}
	return r, nil
}

// readBoot is what nsenter.c keeps of a bootstrap.
type readBoot struct {
	Clone       uint64
	Joins       []syncproto.Join
	Maps, Timen bool
	Plan        []byte
}

func normalBoot(b *syncproto.Bootstrap) *readBoot {
	r := &readBoot{Clone: uint64(b.Clone), Joins: b.Joins, Maps: b.Maps, Timen: b.Timens, Plan: b.Plan}
	if len(r.Joins) == 0 {
		r.Joins = nil
	}
	if len(r.Plan) == 0 {
		r.Plan = nil
	}
	return r
}

// parseBootstrap is nsenter.c's reading of the bootstrap, in Go: bytes up
// to the empty line (at most MAX_BOOT), strtok_r's lines (empty ones
// skipped), the directives, then the plan's bytes.
func parseBootstrap(s []byte) (*readBoot, error) {
	end := bytes.Index(s, []byte("\n\n"))
	if len(s) > 0 && s[0] == '\n' {
		end = -1 // a lone empty line ends it at once
	}
	if end+2 >= maxBoot {
		return nil, errors.New("read bootstrap: E2BIG")
	}
	head, rest := s[:end+2], s[end+2:]
	if end < 0 {
		head, rest = s[:1], s[1:]
	}
	r := &readBoot{}
	planLen := uint64(0)
	for _, line := range strings.Split(string(head), "\n") {
		if line == "" {
			continue
		}
		// C strings end at a NUL
		if i := strings.IndexByte(line, 0); i >= 0 {
			line = line[:i]
		}
		switch {
		case strings.HasPrefix(line, "clone "):
			r.Clone, _ = strconv.ParseUint(line[6:], 10, 64)
		case strings.HasPrefix(line, "join "):
			flag, path, ok := strings.Cut(line[5:], " ")
			if !ok || len(r.Joins) >= maxJoin {
				return nil, errors.New("bad join directive")
			}
			f, _ := strconv.Atoi(flag)
			r.Joins = append(r.Joins, syncproto.Join{Flag: uintptr(f), Path: path})
		case line == "maps":
			r.Maps = true
		case line == "timens":
			r.Timen = true
		case strings.HasPrefix(line, "plan "):
			planLen, _ = strconv.ParseUint(line[5:], 10, 64)
		default:
			return nil, fmt.Errorf("unknown bootstrap directive %s", line)
		}
	}
	if planLen > maxPlan {
		return nil, errors.New("read exec plan: E2BIG")
	}
	if uint64(len(rest)) != planLen {
		return nil, fmt.Errorf("plan of %d bytes announced, %d follow", planLen, len(rest))
	}
	if planLen > 0 {
		r.Plan = rest
	}
	return r, nil
}
