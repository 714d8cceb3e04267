package caps

import (
	"fmt"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Sets are the five OCI capability sets, parsed.
type Sets struct {
	Bounding, Effective, Permitted, Inheritable, Ambient Set
}

// FromSpec parses every set. Unknown names are skipped and listed, each
// once, sorted, for the caller to warn about (runc's "ignoring unknown or
// unavailable capabilities").
func FromSpec(c *specs.LinuxCapabilities) (s Sets, unknown []string) {
	if c == nil {
		return s, nil
	}
	seen := map[string]bool{}
	for _, f := range []struct {
		list []string
		dst  *Set
	}{
		{c.Bounding, &s.Bounding}, {c.Effective, &s.Effective}, {c.Permitted, &s.Permitted},
		{c.Inheritable, &s.Inheritable}, {c.Ambient, &s.Ambient},
	} {
		var u []string
		*f.dst, u = Parse(f.list)
		for _, n := range u {
			if !seen[n] {
				seen[n] = true
				unknown = append(unknown, n)
			}
		}
	}
	sort.Strings(unknown)
	return s, unknown
}

// UnknownWarning is the warning for names FromSpec skipped, in runc's words.
func UnknownWarning(unknown []string) string {
	return fmt.Sprintf("ignoring unknown or unavailable capabilities: [%s]", strings.Join(unknown, " "))
}

// DropBounding removes from the bounding set every capability not in keep.
// It needs CAP_SETPCAP, so it runs before the uid change.
func DropBounding(keep Set) error {
	for i := 0; i <= Last(); i++ {
		if keep&(1<<uint(i)) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(i), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("drop bounding capability %s: %w", names[i], err)
		}
	}
	return nil
}

// AmbientWarning is runc's warning for ambient capability n that the
// kernel would not raise.
func AmbientWarning(n int, err error) string {
	name := fmt.Sprintf("%d", n)
	if n >= 0 && n < len(names) {
		name = names[n]
	}
	return fmt.Sprintf("can't raise ambient capability %s: %v", name, err)
}

// Apply sets effective, permitted and inheritable on the calling thread and
// raises the ambient set (which the kernel requires to be a subset of
// permitted and inheritable); what cannot be raised goes to warn.
func Apply(s Sets, warn func(string)) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{
		{Effective: uint32(s.Effective), Permitted: uint32(s.Permitted), Inheritable: uint32(s.Inheritable)},
		{Effective: uint32(s.Effective >> 32), Permitted: uint32(s.Permitted >> 32), Inheritable: uint32(s.Inheritable >> 32)},
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && err != unix.EINVAL {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	for i := 0; i <= Last(); i++ {
		if s.Ambient&(1<<uint(i)) == 0 {
			continue
		}
		// Not an error, as in runc: an ambient capability outside the
		// permitted or inheritable set is a configuration the kernel
		// refuses, and specs have long carried such entries.
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(i), 0, 0); err != nil {
			warn(AmbientWarning(i, err))
		}
	}
	return nil
}
