package validate

import (
	"fmt"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// nulFree refuses a NUL byte in the strings of s the kernel takes as C
// strings (paths, arguments, names, sysctl values): the system call would
// fail with EINVAL long after the field could be named, with the
// container half made. The mounts (rootfs.Check), namespace paths, env
// and LSM labels have their own checks.
func nulFree(s *specs.Spec) error {
	type str struct{ field, v string }
	var all []str
	add := func(field, v string) { all = append(all, str{field, v}) }
	add("root.path", s.Root.Path)
	add("process.cwd", s.Process.Cwd)
	for i, a := range s.Process.Args {
		add(fmt.Sprintf("process.args[%d]", i), a)
	}
	add("hostname", s.Hostname)
	add("domainname", s.Domainname)
	l := s.Linux
	add("linux.cgroupsPath", l.CgroupsPath)
	for i, d := range l.Devices {
		add(fmt.Sprintf("linux.devices[%d].path", i), d.Path)
	}
	for i, p := range l.MaskedPaths {
		add(fmt.Sprintf("linux.maskedPaths[%d]", i), p)
	}
	for i, p := range l.ReadonlyPaths {
		add(fmt.Sprintf("linux.readonlyPaths[%d]", i), p)
	}
	keys := make([]string, 0, len(l.Sysctl))
	for k := range l.Sysctl {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(fmt.Sprintf("linux.sysctl[%q]", k), l.Sysctl[k])
	}
	if h := s.Hooks; h != nil {
		for _, kind := range []struct {
			name string
			list []specs.Hook
		}{
			{"prestart", h.Prestart}, {"createRuntime", h.CreateRuntime}, {"createContainer", h.CreateContainer},
			{"startContainer", h.StartContainer}, {"poststart", h.Poststart}, {"poststop", h.Poststop},
		} {
			for i, hk := range kind.list {
				field := fmt.Sprintf("hooks.%s[%d]", kind.name, i)
				add(field+".path", hk.Path)
				for j, a := range hk.Args {
					add(fmt.Sprintf("%s.args[%d]", field, j), a)
				}
				for j, e := range hk.Env {
					add(fmt.Sprintf("%s.env[%d]", field, j), e)
				}
			}
		}
	}
	for _, x := range all {
		if strings.IndexByte(x.v, 0) >= 0 {
			return fmt.Errorf("%s: %q contains a NUL byte", x.field, x.v)
		}
	}
	return nil
}
