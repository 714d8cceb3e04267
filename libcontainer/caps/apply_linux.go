package caps

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Sets are the five OCI capability sets, parsed.
type Sets struct {
	Bounding, Effective, Permitted, Inheritable, Ambient Set
}

// FromSpec parses every set, naming the failing field.
func FromSpec(c *specs.LinuxCapabilities) (Sets, error) {
	var s Sets
	if c == nil {
		return s, nil
	}
	var err error
	for _, f := range []struct {
		name string
		list []string
		dst  *Set
	}{
		{"bounding", c.Bounding, &s.Bounding},
		{"effective", c.Effective, &s.Effective},
		{"permitted", c.Permitted, &s.Permitted},
		{"inheritable", c.Inheritable, &s.Inheritable},
		{"ambient", c.Ambient, &s.Ambient},
	} {
		if *f.dst, err = Parse("process.capabilities."+f.name, f.list); err != nil {
			return s, err
		}
	}
	return s, nil
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

// Apply sets effective, permitted and inheritable on the calling thread and
// raises the ambient set (which the kernel requires to be a subset of
// permitted and inheritable).
func Apply(s Sets) error {
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
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(i), 0, 0); err != nil {
			return fmt.Errorf("raise ambient capability %s: %w", names[i], err)
		}
	}
	return nil
}
