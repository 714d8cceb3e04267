package lsm

import (
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Host is what the running kernel offers. It travels from the host
// process to the init (which cannot look at the host's /sys after
// pivot_root), so it is a plain value.
type Host struct {
	AppArmor bool `json:"apparmor,omitempty"`
	SELinux  bool `json:"selinux,omitempty"`
}

// Check refuses a process whose labels the host cannot apply. An empty
// label is always fine (nothing is asked for). A requested profile or
// label without the LSM is an error rather than a silent downgrade:
// running a process unconfined that its author wanted confined is the
// failure mode that matters (runc refuses the SELinux case the same way).
func Check(p *specs.Process, h Host) error {
	if p == nil {
		return nil
	}
	if prof := p.ApparmorProfile; prof != "" {
		if err := checkText(prof); err != nil {
			return fmt.Errorf("process.apparmorProfile: %w", err)
		}
		if !h.AppArmor {
			return fmt.Errorf("process.apparmorProfile: profile %q requested but AppArmor is not enabled on this host", prof)
		}
	}
	if l := p.SelinuxLabel; l != "" {
		if err := checkContext(l); err != nil {
			return fmt.Errorf("process.selinuxLabel: %w", err)
		}
		if !h.SELinux {
			return fmt.Errorf("process.selinuxLabel: label %q requested but SELinux is not enabled on this host", l)
		}
	}
	return nil
}

// CheckSpec is Check for the container's process plus linux.mountLabel.
// A well-formed mount label without SELinux is accepted and not applied:
// it labels files, confines nothing, and there are no file labels to set
// on such a kernel (runc's FormatMountLabel is a no-op there too).
func CheckSpec(s *specs.Spec, h Host) error {
	if err := Check(s.Process, h); err != nil {
		return err
	}
	if s.Linux != nil && s.Linux.MountLabel != "" {
		if err := checkContext(s.Linux.MountLabel); err != nil {
			return fmt.Errorf("linux.mountLabel: %w", err)
		}
	}
	return nil
}

// MountLabel is the label new filesystems of the container get: the
// spec's linux.mountLabel when SELinux is enabled, else none.
func MountLabel(s *specs.Spec, h Host) string {
	if !h.SELinux || s.Linux == nil {
		return ""
	}
	return s.Linux.MountLabel
}

// MountOption is the fsconfig option that labels a new filesystem of
// fstype, if that type takes one. proc, sysfs and cgroup hierarchies keep
// the kernel's own labels; mqueue is labelled after the mount instead
// (LabelMount), as older kernels refuse context= on it. The value is
// given bare: fsconfig passes it whole, so the quotes mount(2) data needs
// around a context with commas (s0:c1,c2) must not be added.
func MountOption(fstype, label string) (string, bool) {
	if label == "" {
		return "", false
	}
	switch fstype {
	case "proc", "sysfs", "cgroup", "cgroup2", "mqueue":
		return "", false
	}
	return "context=" + label, true
}

// appArmorExec is what /proc/thread-self/attr/apparmor/exec takes to run
// the next execve under a profile (libapparmor's aa_change_onexec).
func appArmorExec(profile string) string { return "exec " + profile }

// checkText refuses what the kernel would silently cut or reinterpret:
// a NUL or newline ends the value early, surrounding blanks are trimmed.
func checkText(v string) error {
	if strings.ContainsAny(v, "\x00\n\r") {
		return fmt.Errorf("%q contains a NUL or newline", v)
	}
	if strings.TrimSpace(v) != v {
		return fmt.Errorf("%q has leading or trailing blanks", v)
	}
	return nil
}

// checkContext wants the shape of an SELinux context, user:role:type with
// an optional level (which may itself contain colons, s0:c1,c2); whether
// the policy knows it is for the kernel to say.
func checkContext(v string) error {
	if err := checkText(v); err != nil {
		return err
	}
	f := strings.SplitN(v, ":", 4)
	if len(f) < 3 || f[0] == "" || f[1] == "" || f[2] == "" || (len(f) == 4 && f[3] == "") {
		return fmt.Errorf("%q is not an SELinux context (user:role:type[:level])", v)
	}
	if strings.ContainsAny(v, " \t") {
		return fmt.Errorf("%q is not an SELinux context (contains blanks)", v)
	}
	return nil
}
