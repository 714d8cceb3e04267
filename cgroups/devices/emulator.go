package devices

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Wildcard is the value of Major or Minor that matches every number.
const Wildcard int64 = -1

// Access is a set of device permissions.
type Access uint8

// Access bits, as in the kernel's devices controller.
const (
	Mknod Access = 1 << iota
	Read
	Write
	All = Mknod | Read | Write
)

// ParseAccess parses "rwm" style access; "" means all.
func ParseAccess(s string) (Access, error) {
	if s == "" {
		return All, nil
	}
	var a Access
	for _, c := range s {
		switch c {
		case 'r':
			a |= Read
		case 'w':
			a |= Write
		case 'm':
			a |= Mknod
		default:
			return 0, fmt.Errorf("invalid device access %q", s)
		}
	}
	return a, nil
}

func (a Access) String() string {
	var b strings.Builder
	if a&Read != 0 {
		b.WriteByte('r')
	}
	if a&Write != 0 {
		b.WriteByte('w')
	}
	if a&Mknod != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

// Key identifies the devices an exception applies to: Type is 'c' or
// 'b', numbers may be Wildcard.
type Key struct {
	Type  byte
	Major int64
	Minor int64
}

// Rule is one exception: the devices of Key with Access.
type Rule struct {
	Key
	Access Access
}

func num(n int64) string {
	if n == Wildcard {
		return "*"
	}
	return strconv.FormatInt(n, 10)
}

// String formats the rule as devices.allow/deny expect: "c 1:3 rwm".
func (r Rule) String() string {
	return fmt.Sprintf("%c %s:%s %s", r.Type, num(r.Major), num(r.Minor), r.Access)
}

// Emulator is the state of a v1 devices cgroup: a default policy and the
// exceptions to it. The zero value denies everything.
type Emulator struct {
	DefaultAllow bool
	exceptions   map[Key]Access
}

// New returns an emulator in the state of a fresh v1 cgroup below the
// root: everything allowed.
func New() *Emulator { return &Emulator{DefaultAllow: true} }

// FromSpec evaluates rules starting from allow-all (the state a new cgroup
// inherits), which is what the kernel does with the same writes.
func FromSpec(rules []specs.LinuxDeviceCgroup) (*Emulator, error) {
	e := New()
	for i, r := range rules {
		if err := e.ApplySpec(r); err != nil {
			return nil, fmt.Errorf("linux.resources.devices[%d]: %w", i, err)
		}
	}
	return e, nil
}

// ApplySpec applies one spec rule.
func (e *Emulator) ApplySpec(r specs.LinuxDeviceCgroup) error {
	access, err := ParseAccess(r.Access)
	if err != nil {
		return err
	}
	major, minor := Wildcard, Wildcard
	if r.Major != nil {
		if *r.Major < 0 || *r.Major > math.MaxInt32 {
			return fmt.Errorf("invalid major %d", *r.Major)
		}
		major = *r.Major
	}
	if r.Minor != nil {
		if *r.Minor < 0 || *r.Minor > math.MaxInt32 {
			return fmt.Errorf("invalid minor %d", *r.Minor)
		}
		minor = *r.Minor
	}
	switch r.Type {
	case "", "a":
		if major == Wildcard && minor == Wildcard && access == All {
			e.reset(r.Allow)
			return nil
		}
		// "all types" with a number or partial access: the kernel would
		// read any "a" line as a reset, so model it as both types.
		e.apply(r.Allow, Rule{Key{'c', major, minor}, access})
		e.apply(r.Allow, Rule{Key{'b', major, minor}, access})
	case "c", "b":
		e.apply(r.Allow, Rule{Key{r.Type[0], major, minor}, access})
	default:
		return fmt.Errorf("invalid device type %q", r.Type)
	}
	return nil
}

func (e *Emulator) reset(allow bool) {
	e.DefaultAllow = allow
	e.exceptions = nil
}

// apply follows the kernel: a rule in the direction of the default removes
// access from the exception with exactly the same key; a rule against the
// default adds access to that exception.
func (e *Emulator) apply(allow bool, r Rule) {
	if allow == e.DefaultAllow {
		if cur, ok := e.exceptions[r.Key]; ok {
			if left := cur &^ r.Access; left == 0 {
				delete(e.exceptions, r.Key)
			} else {
				e.exceptions[r.Key] = left
			}
		}
		return
	}
	if e.exceptions == nil {
		e.exceptions = make(map[Key]Access)
	}
	e.exceptions[r.Key] |= r.Access
}

// Exceptions returns the exceptions in a stable order (type, major, minor;
// wildcards first).
func (e *Emulator) Exceptions() []Rule {
	rules := make([]Rule, 0, len(e.exceptions))
	for k, a := range e.exceptions {
		rules = append(rules, Rule{k, a})
	}
	slices.SortFunc(rules, func(a, b Rule) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Major, b.Major), cmp.Compare(a.Minor, b.Minor))
	})
	return rules
}

func (r Rule) matches(typ byte, major, minor int64) bool {
	return r.Type == typ && (r.Major == Wildcard || r.Major == major) && (r.Minor == Wildcard || r.Minor == minor)
}

// Allowed says whether access to the device is permitted, with the
// kernel's matching: against an allow list one exception must cover all
// requested access; against a deny list any overlap denies.
func (e *Emulator) Allowed(typ byte, major, minor int64, access Access) bool {
	for k, a := range e.exceptions {
		r := Rule{k, a}
		if !r.matches(typ, major, minor) {
			continue
		}
		if e.DefaultAllow && access&a != 0 {
			return false
		}
		if !e.DefaultAllow && access&^a == 0 {
			return true
		}
	}
	return e.DefaultAllow
}
