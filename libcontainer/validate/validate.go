// Package validate holds the pure checks hako runs on a container ID and a
// specs.Spec before anything is created, so that bad input fails with one
// error naming the field and leaves nothing behind. No root needed.
package validate

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer/intelrdt"
)

// MaxIDLen keeps the state directory name a valid path component.
const MaxIDLen = 255

// idChars is runc's ^[\w+\-.]+$ (ASCII letters, digits, _ + - .), without
// compiling a regexp at every hako start.
func idChars(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_' || c == '+' || c == '-' || c == '.':
		default:
			return false
		}
	}
	return true
}

// ID applies runc's container ID rules.
func ID(id string) error {
	switch {
	case id == "":
		return errors.New("container id cannot be empty")
	case len(id) > MaxIDLen:
		return fmt.Errorf("invalid container id: longer than %d characters", MaxIDLen)
	case id == "." || id == ".." || !idChars(id):
		return fmt.Errorf("invalid container id format: %s", id)
	}
	return nil
}

// NamespaceFlags maps spec namespace types to clone flags.
var NamespaceFlags = map[specs.LinuxNamespaceType]uintptr{
	specs.PIDNamespace:     unix.CLONE_NEWPID,
	specs.NetworkNamespace: unix.CLONE_NEWNET,
	specs.MountNamespace:   unix.CLONE_NEWNS,
	specs.IPCNamespace:     unix.CLONE_NEWIPC,
	specs.UTSNamespace:     unix.CLONE_NEWUTS,
	specs.UserNamespace:    unix.CLONE_NEWUSER,
	specs.CgroupNamespace:  unix.CLONE_NEWCGROUP,
	specs.TimeNamespace:    unix.CLONE_NEWTIME,
}

// OCIVersion accepts the runtime-spec versions hako implements: 1.0 to 1.3.
func OCIVersion(v string) error {
	parts := strings.SplitN(strings.SplitN(v, "-", 2)[0], ".", 3)
	if len(parts) == 3 && parts[0] == "1" {
		if minor, err := strconv.Atoi(parts[1]); err == nil && minor >= 0 && minor <= 3 {
			if _, err := strconv.Atoi(parts[2]); err == nil {
				return nil
			}
		}
	}
	return fmt.Errorf("ociVersion: unsupported version %q (hako implements 1.0.0 to 1.3.x)", v)
}

// HasNamespace reports whether the spec creates or joins namespace t.
func HasNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	if s.Linux == nil {
		return false
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == t {
			return true
		}
	}
	return false
}

// Spec checks everything that can be checked without touching the system
// (except nothing: the rootfs is checked by the caller, who knows the
// bundle, and the mounts by rootfs.Plan, which the caller makes of them).
func Spec(s *specs.Spec) error {
	if err := OCIVersion(s.Version); err != nil {
		return err
	}
	if s.Root == nil || s.Root.Path == "" {
		return errors.New("root.path: must be set")
	}
	if s.Process == nil {
		return errors.New("process: must be set")
	}
	if err := process(s.Process); err != nil {
		return err
	}
	if s.Linux == nil {
		return errors.New("linux: must be set")
	}
	if err := nulFree(s); err != nil {
		return err
	}
	if err := namespaces(s); err != nil {
		return err
	}
	if err := linux(s); err != nil {
		return err
	}
	return hooks(s.Hooks)
}

func process(p *specs.Process) error {
	if len(p.Args) == 0 && p.CommandLine == "" {
		return errors.New("process.args: must not be empty")
	}
	if p.Cwd == "" || !filepath.IsAbs(p.Cwd) {
		return fmt.Errorf("process.cwd: must be an absolute path, got %q", p.Cwd)
	}
	for i, r := range p.Rlimits {
		if _, ok := Rlimits[r.Type]; !ok {
			return fmt.Errorf("process.rlimits[%d].type: unknown rlimit %q", i, r.Type)
		}
		if r.Soft > r.Hard {
			return fmt.Errorf("process.rlimits[%d]: soft limit %d is above hard limit %d", i, r.Soft, r.Hard)
		}
	}
	if _, _, err := Env(p.Env); err != nil {
		return err
	}
	if p.OOMScoreAdj != nil && (*p.OOMScoreAdj < -1000 || *p.OOMScoreAdj > 1000) {
		return fmt.Errorf("process.oomScoreAdj: %d is outside -1000..1000", *p.OOMScoreAdj)
	}
	return ProcessAttrs(p)
}

// ProcessAttrs checks the attributes the host applies to the process by
// pid (ioPriority, scheduler, execCPUAffinity); exec checks them too.
func ProcessAttrs(p *specs.Process) error {
	if err := User(&p.User); err != nil {
		return err
	}
	if p.IOPriority != nil {
		if _, err := IOPriority(p.IOPriority); err != nil {
			return err
		}
	}
	if p.Scheduler != nil {
		if _, err := SchedAttr(p.Scheduler); err != nil {
			return err
		}
	}
	if a := p.ExecCPUAffinity; a != nil {
		if a.Initial != "" {
			if _, err := CPUList("process.execCPUAffinity.initial", a.Initial); err != nil {
				return err
			}
		}
		if a.Final != "" {
			if _, err := CPUList("process.execCPUAffinity.final", a.Final); err != nil {
				return err
			}
		}
	}
	return nil
}

// invalidID is (uid_t)-1: setuid, setgid and setgroups take it as "no
// change", so a process asked to run as it would keep the init's ids
// (root). runc 1.5.3 refuses it too (cannot setuid to unmapped uid).
const invalidID = 1<<32 - 1

// User refuses the ids no process can run as.
func User(u *specs.User) error {
	if u.UID == invalidID {
		return fmt.Errorf("process.user.uid: %d is not a valid uid", u.UID)
	}
	if u.GID == invalidID {
		return fmt.Errorf("process.user.gid: %d is not a valid gid", u.GID)
	}
	for i, g := range u.AdditionalGids {
		if g == invalidID {
			return fmt.Errorf("process.user.additionalGids[%d]: %d is not a valid gid", i, g)
		}
	}
	return nil
}

// Rlimits maps the spec's rlimit names to resource numbers.
var Rlimits = map[string]int{
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_CPU": unix.RLIMIT_CPU,
	"RLIMIT_DATA": unix.RLIMIT_DATA, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE,
	"RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_STACK": unix.RLIMIT_STACK,
}

func namespaces(s *specs.Spec) error {
	seen := map[specs.LinuxNamespaceType]bool{}
	for i, ns := range s.Linux.Namespaces {
		if _, ok := NamespaceFlags[ns.Type]; !ok {
			return fmt.Errorf("linux.namespaces[%d].type: unknown namespace %q", i, ns.Type)
		}
		if seen[ns.Type] {
			return fmt.Errorf("linux.namespaces[%d]: namespace %q given twice", i, ns.Type)
		}
		seen[ns.Type] = true
		if ns.Path != "" && (!filepath.IsAbs(ns.Path) || strings.ContainsAny(ns.Path, "\n\x00")) {
			return fmt.Errorf("linux.namespaces[%d].path: %q must be an absolute path", i, ns.Path)
		}
	}
	l := s.Linux
	userNew := false
	for _, ns := range l.Namespaces {
		if ns.Type == specs.UserNamespace && ns.Path == "" {
			userNew = true
		}
	}
	if (len(l.UIDMappings) > 0 || len(l.GIDMappings) > 0) && !seen[specs.UserNamespace] {
		return errors.New("linux.uidMappings: mappings need a user namespace")
	}
	if userNew && (len(l.UIDMappings) == 0 || len(l.GIDMappings) == 0) {
		return errors.New("linux.uidMappings: a new user namespace needs uidMappings and gidMappings")
	}
	if err := idMappings("linux.uidMappings", l.UIDMappings); err != nil {
		return err
	}
	if err := idMappings("linux.gidMappings", l.GIDMappings); err != nil {
		return err
	}
	if len(l.TimeOffsets) > 0 && !seen[specs.TimeNamespace] {
		return errors.New("linux.timeOffsets: offsets need a time namespace")
	}
	for _, ns := range l.Namespaces {
		// A time namespace that exists has its offsets: they cannot be
		// changed once a process is in it.
		if ns.Type == specs.TimeNamespace && ns.Path != "" && len(l.TimeOffsets) > 0 {
			return errors.New("linux.timeOffsets: a time namespace joined by path keeps its own offsets")
		}
	}
	for clock := range l.TimeOffsets {
		if clock != "monotonic" && clock != "boottime" {
			return fmt.Errorf("linux.timeOffsets: unknown clock %q", clock)
		}
	}
	if (s.Hostname != "" || s.Domainname != "") && !seen[specs.UTSNamespace] {
		return errors.New("hostname: setting hostname or domainname needs a uts namespace")
	}
	// Without a mount namespace the container runs chrooted in the host's
	// (as in runc), where nothing may be masked or made read-only.
	if !seen[specs.MountNamespace] && (len(l.MaskedPaths) > 0 || len(l.ReadonlyPaths) > 0) {
		return errors.New("linux.maskedPaths/readonlyPaths: masking or making paths read-only needs a mount namespace")
	}
	return nil
}

// maxIDMapLines is the kernel's limit on the lines of a uid_map or
// gid_map (since Linux 4.15).
const maxIDMapLines = 340

// idMappings checks what the kernel would refuse on writing uid_map or
// gid_map with a bare EINVAL: an empty range, a range past 2^32, ranges
// that overlap on either side, too many lines.
func idMappings(field string, m []specs.LinuxIDMapping) error {
	if len(m) > maxIDMapLines {
		return fmt.Errorf("%s: %d mappings, the kernel takes at most %d", field, len(m), maxIDMapLines)
	}
	for i, a := range m {
		if a.Size == 0 {
			return fmt.Errorf("%s[%d].size: must not be zero", field, i)
		}
		if uint64(a.ContainerID)+uint64(a.Size) > 1<<32 || uint64(a.HostID)+uint64(a.Size) > 1<<32 {
			return fmt.Errorf("%s[%d]: range of %d ids from %d (container) / %d (host) goes past 2^32", field, i, a.Size, a.ContainerID, a.HostID)
		}
		for j, b := range m[:i] {
			if overlap(a.ContainerID, a.Size, b.ContainerID, b.Size) {
				return fmt.Errorf("%s[%d]: container ids %d-%d overlap %s[%d]", field, i, a.ContainerID, uint64(a.ContainerID)+uint64(a.Size)-1, field, j)
			}
			if overlap(a.HostID, a.Size, b.HostID, b.Size) {
				return fmt.Errorf("%s[%d]: host ids %d-%d overlap %s[%d]", field, i, a.HostID, uint64(a.HostID)+uint64(a.Size)-1, field, j)
			}
		}
	}
	return nil
}

func overlap(a, an, b, bn uint32) bool {
	return uint64(a) < uint64(b)+uint64(bn) && uint64(b) < uint64(a)+uint64(an)
}

// sysctlNamespace says which namespace makes a sysctl container-local.
func sysctlNamespace(key string) (specs.LinuxNamespaceType, bool) {
	switch {
	case key == "kernel.msgmax" || key == "kernel.msgmnb" || key == "kernel.msgmni" ||
		key == "kernel.sem" || key == "kernel.shmall" || key == "kernel.shmmax" ||
		key == "kernel.shmmni" || key == "kernel.shm_rmid_forced" || strings.HasPrefix(key, "fs.mqueue."):
		return specs.IPCNamespace, true
	case strings.HasPrefix(key, "net."):
		return specs.NetworkNamespace, true
	case key == "kernel.hostname" || key == "kernel.domainname":
		return specs.UTSNamespace, true
	}
	return "", false
}

func linux(s *specs.Spec) error {
	l := s.Linux
	for key := range l.Sysctl {
		if strings.Contains(key, "..") || strings.HasPrefix(key, "/") || strings.ContainsAny(key, "\x00") {
			return fmt.Errorf("linux.sysctl: invalid key %q", key)
		}
		name := strings.ReplaceAll(key, "/", ".")
		if name == "kernel.hostname" {
			// runc's rule: the hostname field says it, and a second
			// way would leave which one wins to the order of the steps.
			return fmt.Errorf("linux.sysctl: %q is not allowed as it conflicts with the OCI \"hostname\" field", key)
		}
		ns, ok := sysctlNamespace(name)
		if !ok {
			return fmt.Errorf("linux.sysctl: %q is not in a separate kernel namespace", key)
		}
		if !HasNamespace(s, ns) {
			return fmt.Errorf("linux.sysctl: %q needs a %s namespace", key, ns)
		}
	}
	switch l.RootfsPropagation {
	case "", "shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable", "runbindable":
	default:
		return fmt.Errorf("linux.rootfsPropagation: unknown value %q", l.RootfsPropagation)
	}
	for i, d := range l.Devices {
		field := fmt.Sprintf("linux.devices[%d]", i)
		if !filepath.IsAbs(d.Path) || filepath.Clean(d.Path) == "/" {
			return fmt.Errorf("%s.path: %q must be an absolute path below /", field, d.Path)
		}
		switch d.Type {
		case "c", "u", "b":
			// mknod's dev_t as the kernel decodes it: 12 bits of
			// major, 20 of minor; anything else names another device.
			if d.Major < 0 || d.Major > 0xfff {
				return fmt.Errorf("%s.major: %d is outside 0..4095", field, d.Major)
			}
			if d.Minor < 0 || d.Minor > 0xfffff {
				return fmt.Errorf("%s.minor: %d is outside 0..1048575", field, d.Minor)
			}
		case "p":
		default:
			return fmt.Errorf("%s.type: unknown device type %q", field, d.Type)
		}
	}
	for _, f := range []struct {
		name  string
		paths []string
	}{{"linux.maskedPaths", l.MaskedPaths}, {"linux.readonlyPaths", l.ReadonlyPaths}} {
		for i, p := range f.paths {
			if !filepath.IsAbs(p) {
				return fmt.Errorf("%s[%d]: %q must be an absolute path", f.name, i, p)
			}
		}
	}
	// The form only: whether resctrl is mounted, and the groups, are
	// create's to find (intelrdt.Detect, Apply).
	if err := intelrdt.Validate(l.IntelRdt); err != nil {
		return err
	}
	if l.Personality != nil {
		if _, err := Personality(l.Personality); err != nil {
			return err
		}
	}
	if l.MemoryPolicy != nil {
		if _, _, err := MemPolicy(l.MemoryPolicy); err != nil {
			return err
		}
	}
	if r := l.Resources; r != nil && r.CPU != nil {
		if err := cpusetList("linux.resources.cpu.cpus", r.CPU.Cpus); err != nil {
			return err
		}
		if err := cpusetList("linux.resources.cpu.mems", r.CPU.Mems); err != nil {
			return err
		}
	}
	if len(l.NetDevices) > 0 && !HasNamespace(s, specs.NetworkNamespace) {
		return errors.New("linux.netDevices: needs a network namespace")
	}
	for host, d := range l.NetDevices {
		for _, n := range []string{host, d.Name} {
			if n != "" && (len(n) > 15 || n == "." || n == ".." || strings.ContainsAny(n, "/: \t\n\x00")) {
				return fmt.Errorf("linux.netDevices[%s]: invalid device name %q", host, n)
			}
		}
	}
	return nil
}

// cpusetList checks the syntax of a cpuset.cpus or cpuset.mems list as
// the kernel's bitmap_parselist reads it (N, N-M, N-M:used/group, joined
// by commas), so that a typo names the field rather than failing as the
// cgroup write's EINVAL. Which cpus or nodes exist is the kernel's to say.
func cpusetList(field, list string) error {
	if list == "" {
		return nil // not set
	}
	num := func(s string) (uint64, bool) {
		n, err := strconv.ParseUint(s, 10, 32)
		return n, err == nil
	}
	for _, part := range strings.Split(strings.TrimSuffix(list, "\n"), ",") {
		rng, group, hasGroup := strings.Cut(part, ":")
		lo, hi, isRange := strings.Cut(rng, "-")
		a, ok1 := num(lo)
		b, ok2 := a, true
		if isRange {
			b, ok2 = num(hi)
		}
		ok3 := true
		if hasGroup {
			used, size, _ := strings.Cut(group, "/")
			u, okU := num(used)
			g, okG := num(size)
			ok3 = isRange && okU && okG && u > 0 && g > 0 && u <= g
		}
		if !ok1 || !ok2 || !ok3 || b < a {
			return fmt.Errorf("%s: invalid list %q (want N, N-M or N-M:used/group, joined by commas)", field, list)
		}
	}
	return nil
}

func hooks(h *specs.Hooks) error {
	if h == nil {
		return nil
	}
	all := map[string][]specs.Hook{
		"prestart": h.Prestart, "createRuntime": h.CreateRuntime, "createContainer": h.CreateContainer,
		"startContainer": h.StartContainer, "poststart": h.Poststart, "poststop": h.Poststop,
	}
	for name, list := range all {
		for i, hk := range list {
			if !filepath.IsAbs(hk.Path) {
				return fmt.Errorf("hooks.%s[%d].path: %q must be an absolute path", name, i, hk.Path)
			}
			if hk.Timeout != nil && *hk.Timeout <= 0 {
				return fmt.Errorf("hooks.%s[%d].timeout: must be positive", name, i)
			}
			// In nanoseconds (time.Duration) a larger one wraps negative:
			// the hook would be killed at once as past its timeout.
			if hk.Timeout != nil && int64(*hk.Timeout) > math.MaxInt64/int64(time.Second) {
				return fmt.Errorf("hooks.%s[%d].timeout: %d seconds is more than %d", name, i, *hk.Timeout, math.MaxInt64/int64(time.Second))
			}
		}
	}
	return nil
}
