package doctor

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/cgroups"
)

// Evaluate judges the facts: one item per fact, in a fixed order. It is
// pure, so the verdicts are tested on made-up facts.
func Evaluate(opts Options, f *Facts) *Report {
	e := &evaluator{opts: opts, f: f, root: f.EUID == 0 && !f.InUserNS}
	e.host()
	e.state()
	e.cgroups()
	e.systemd()
	e.userns()
	e.mounts()
	e.process()
	e.security()
	e.checkpoint()
	return &Report{Items: e.items}
}

type evaluator struct {
	opts  Options
	f     *Facts
	root  bool // root in the initial user namespace
	items []Item
	group string
}

func (e *evaluator) add(name string, v Verdict, essential bool, detail, hint string) {
	if v == OK {
		hint = ""
	}
	e.items = append(e.items, Item{Group: e.group, Name: name, Verdict: v, Essential: essential, Detail: detail, Hint: hint})
}

// kernelAtLeast compares the release's major.minor with want.
func kernelAtLeast(release string, major, minor int) bool {
	ma, mi, ok := kernelVersion(release)
	return ok && (ma > major || ma == major && mi >= minor)
}

func kernelVersion(release string) (major, minor int, ok bool) {
	p := strings.SplitN(release, ".", 3)
	if len(p) < 2 {
		return 0, 0, false
	}
	ma, err1 := strconv.Atoi(p[0])
	mi, err2 := strconv.Atoi(p[1][:digits(p[1])])
	return ma, mi, err1 == nil && err2 == nil
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (e *evaluator) host() {
	e.group = "host"
	f := e.f
	k := f.Kernel
	if f.Machine != "" {
		k += " (" + f.Machine + ")"
	}
	switch {
	case !kernelAtLeast(f.Kernel, 5, 6):
		e.add("kernel", Fail, true, k, "hako's mount code needs the new mount API (Linux 5.2) and openat2 (5.6): upgrade the kernel")
	case !kernelAtLeast(f.Kernel, 5, 12):
		e.add("kernel", Warn, true, k, "Linux 5.12 or newer is needed for mount_setattr: recursive mount attributes (rro, ...) and idmapped mounts fail")
	default:
		e.add("kernel", OK, true, k, "")
	}

	who := fmt.Sprintf("uid %d", f.EUID)
	if f.User != "" {
		who += " (" + f.User + ")"
	}
	cg := "each container gets its own cgroup"
	if e.opts.Rootless {
		cg = "rootless cgroups: a container without limits may stay in the caller's cgroup"
	}
	switch {
	case e.root:
		e.add("privileges", OK, false, who+", root in the initial user namespace; "+cg, "")
	case f.EUID == 0:
		e.add("privileges", Info, false, who+" in a user namespace that is not the initial one (rootless engine, unshare -r); "+cg,
			"containers get only the ids of this namespace, and cgroups only where one is delegated to it")
	default:
		e.add("privileges", Info, false, who+", not root: rootless mode; "+cg,
			"a container needs a user namespace (hako spec --rootless), ids beyond your own need /etc/subuid ranges, limits need a delegated cgroup v2 subtree; run as root for the rest")
	}

	var have, missing []string
	for _, n := range []string{"mount", "pid", "ipc", "uts", "network", "cgroup", "user"} {
		if f.Namespaces[n] {
			have = append(have, n)
		} else {
			missing = append(missing, n)
		}
	}
	detail := "available: " + strings.Join(have, " ")
	switch {
	case !f.Namespaces["mount"] || !f.Namespaces["pid"]:
		e.add("namespaces", Fail, true, detail+"; missing: "+strings.Join(missing, " "), "every container gets its own mount and pid namespaces: use a kernel built with CONFIG_NAMESPACES and CONFIG_PID_NS")
	case len(missing) > 0:
		e.add("namespaces", Warn, true, detail+"; missing: "+strings.Join(missing, " "), "a config asking for a missing namespace fails: rebuild the kernel with it, or drop it from linux.namespaces")
	default:
		e.add("namespaces", OK, true, detail, "")
	}
	if f.Namespaces["time"] {
		e.add("time-namespace", OK, false, "/proc/self/ns/time exists: a time namespace and linux.timeOffsets work", "")
	} else {
		e.add("time-namespace", Warn, false, "/proc/self/ns/time missing", "a config with a time namespace or linux.timeOffsets fails: it needs Linux 5.6 with CONFIG_TIME_NS")
	}
}

func (e *evaluator) state() {
	e.group = "state"
	f := e.f
	if f.Root == "" {
		e.add("state-root", Info, true, "no state root given", "pass --root DIR")
		return
	}
	var d string
	if f.RootExists {
		d = fmt.Sprintf("%s exists, on %s", f.Root, f.RootFS)
	} else {
		d = fmt.Sprintf("%s does not exist yet (create makes it under %s, on %s)", f.Root, f.RootDir, f.RootFS)
	}
	switch {
	case errors.Is(f.RootWritable, unix.ENOTDIR):
		d := fmt.Sprintf("%s cannot be made: %s is not a directory", f.Root, f.RootDir)
		if f.RootDir == f.Root {
			d = f.Root + " is not a directory"
		}
		e.add("state-root", Fail, true, d,
			"pass --root with a directory, or a path that can be made")
	case f.RootWritable != nil:
		e.add("state-root", Fail, true, d+"; not writable: "+errText(f.RootWritable),
			"create writes the container's state there: run as a user who may write it, or pass --root with a writable directory")
	case f.RootFS != "tmpfs" && f.RootFS != "ramfs":
		e.add("state-root", Info, true, d+", writable",
			"not on tmpfs: state outlives a reboot, and containers of an earlier boot show as stopped until deleted; a directory under /run is usual")
	default:
		e.add("state-root", OK, true, d+", writable", "")
	}
}

// v1Wanted are the v1 controllers hako's fs driver sets limits through
// (rdma, hugetlb, net_cls, net_prio, perf_event only when asked for).
var v1Wanted = []string{"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids"}

// v2Wanted likewise, for cgroup v2.
var v2Wanted = []string{"cpu", "cpuset", "io", "memory", "pids"}

func (e *evaluator) cgroups() {
	e.group = "cgroups"
	f := e.f
	essential := !e.opts.Rootless
	switch f.CgroupMode {
	case cgroups.Unified:
		e.add("cgroup-mode", OK, essential, "unified: cgroup v2 only, at "+f.V2Mount, "")
	case cgroups.Hybrid:
		e.add("cgroup-mode", Info, essential, fmt.Sprintf("hybrid: v1 controllers under %s, cgroup2 (no controllers) at %s", f.CgroupRoot, f.V2Mount),
			"limits go through cgroup v1 here; --systemd-cgroup and cloning into the cgroup need a unified host (boot with systemd.unified_cgroup_hierarchy=1 or mount cgroup2 at "+f.CgroupRoot+")")
	case cgroups.Legacy:
		e.add("cgroup-mode", Info, essential, "legacy: cgroup v1 only, under "+f.CgroupRoot,
			"limits go through cgroup v1; --systemd-cgroup and cloning into the cgroup need cgroup v2 (systemd.unified_cgroup_hierarchy=1)")
	default:
		v := Fail
		if !essential {
			v = Warn
		}
		e.add("cgroup-mode", v, essential, "no cgroup file system at "+f.CgroupRoot,
			"mount one: mount -t cgroup2 none "+f.CgroupRoot+" (or run rootless with no limits)")
	}

	if f.CgroupMode == cgroups.Unified {
		var missing, off []string
		for _, c := range v2Wanted {
			switch {
			case !slices.Contains(f.V2Controllers, c):
				missing = append(missing, c)
			case !slices.Contains(f.V2Subtree, c):
				off = append(off, c)
			}
		}
		d := fmt.Sprintf("at %s: available: %s; enabled for children: %s", f.V2Parent, orNone(f.V2Controllers), orNone(f.V2Subtree))
		switch {
		case len(missing) > 0:
			e.add("cgroup-controllers", Warn, false, d+"; missing: "+strings.Join(missing, " "),
				"a limit through a missing controller fails: enable it in the parent's cgroup.subtree_control (for a user: delegate them, e.g. systemd's Delegate=yes)")
		case len(off) > 0 && !e.root:
			e.add("cgroup-controllers", Warn, false, d+"; not enabled: "+strings.Join(off, " "),
				"hako enables them in "+f.V2Parent+"/cgroup.subtree_control when it may write there; otherwise delegate that cgroup to this user")
		default:
			e.add("cgroup-controllers", OK, false, d, "")
		}
	} else {
		var have, missing []string
		for _, c := range sortedKeys(f.V1) {
			have = append(have, c)
		}
		for _, c := range v1Wanted {
			if _, ok := f.V1[c]; !ok {
				missing = append(missing, c)
			}
		}
		d := "v1 hierarchies: " + orNone(have)
		if f.V2Mount != "" {
			d += "; cgroup2 at " + f.V2Mount + " holds the process only"
		}
		if len(missing) > 0 {
			e.add("cgroup-controllers", Warn, false, d+"; missing: "+strings.Join(missing, " "),
				"a limit through a missing controller fails (devices: the default device rules too): mount it under "+f.CgroupRoot)
		} else {
			e.add("cgroup-controllers", OK, false, d, "")
		}
	}

	switch {
	case f.CgroupMode != cgroups.Unified:
		if p, ok := f.V1["freezer"]; ok {
			e.add("freezer", OK, false, "v1 freezer at "+p, "")
		} else {
			e.add("freezer", Warn, false, "no v1 freezer hierarchy", "pause, resume and checkpoint fail: mount the freezer controller under "+f.CgroupRoot)
		}
	case f.V2Freeze || kernelAtLeast(f.Kernel, 5, 2):
		e.add("freezer", OK, false, "cgroup v2 cgroup.freeze (Linux 5.2+)", "")
	default:
		e.add("freezer", Warn, false, "no cgroup.freeze (kernel "+f.Kernel+")", "pause, resume and checkpoint need Linux 5.2's cgroup v2 freezer")
	}

	switch {
	case f.IntoCgroupSkip != "" || f.IntoCgroupErr != nil:
		why := f.IntoCgroupSkip
		if why == "" {
			why = errText(f.IntoCgroupErr)
		}
		if f.CgroupMode != cgroups.Unified {
			e.add("clone-into-cgroup", Info, false, "not used on a "+f.CgroupMode.String()+" host; probe: "+why,
				"the init starts in hako's cgroup and is moved into its own by pid before it runs anything")
		} else {
			e.add("clone-into-cgroup", Warn, false, "clone3 with CLONE_INTO_CGROUP failed: "+why,
				"the init is moved into its cgroup by pid instead (Linux 5.7 and write access to the cgroup are needed to clone into it)")
		}
	case f.CgroupMode != cgroups.Unified:
		e.add("clone-into-cgroup", Info, false, "works (probed in "+f.V2Own+"), but not used on a "+f.CgroupMode.String()+" host",
			"hako clones the init into its cgroup only on a unified host with the fs driver; here it is moved in by pid before it runs anything")
	default:
		e.add("clone-into-cgroup", OK, false, "clone3 with CLONE_INTO_CGROUP works (probed in "+f.V2Own+")", "")
	}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}

func (e *evaluator) systemd() {
	e.group = "systemd"
	f := e.f
	essential := e.opts.SystemdCgroup
	bad := Info
	if essential {
		bad = Fail
	}
	pid1 := f.PID1
	if pid1 == "" {
		pid1 = "unknown"
	}
	d := "PID 1 is " + pid1
	if !f.SystemdBooted {
		e.add("systemd", bad, essential, d+"; not booted with systemd (no /run/systemd/system)",
			"the default cgroupfs driver is used; --systemd-cgroup needs systemd as PID 1")
		return
	}
	bus, what := f.SystemBus, "system"
	if !e.root {
		bus, what = f.UserBus, "user"
	}
	if bus == "" {
		hint := "--systemd-cgroup cannot reach systemd: start dbus, or check /run/systemd/private"
		if !e.root {
			hint = "--systemd-cgroup as a user needs its systemd user instance (loginctl enable-linger USER; XDG_RUNTIME_DIR set)"
		}
		e.add("systemd", bad, essential, d+"; no "+what+" bus socket answered", hint)
		return
	}
	d += "; " + what + " bus at " + bus
	if f.CgroupMode != cgroups.Unified {
		e.add("systemd", bad, essential, d+"; cgroups are "+f.CgroupMode.String(),
			"hako's systemd driver needs cgroup v2 only: use the default cgroupfs driver here")
		return
	}
	e.add("systemd", OK, essential, d+": --systemd-cgroup can work", "")
}

func (e *evaluator) userns() {
	e.group = "userns"
	f := e.f
	var sys []string
	for _, s := range []struct {
		name string
		v    int
	}{
		{"kernel.unprivileged_userns_clone", f.UnprivClone},
		{"user.max_user_namespaces", f.MaxUserNS},
		{"kernel.apparmor_restrict_unprivileged_userns", f.AppArmorUserns},
	} {
		if s.v >= 0 {
			sys = append(sys, fmt.Sprintf("%s=%d", s.name, s.v))
		}
	}
	d := strings.Join(sys, ", ")
	if d != "" {
		d = "; " + d
	}
	// An unprivileged caller's containers all need a user namespace.
	essential := !e.root
	bad := Warn
	if essential {
		bad = Fail
	}
	var hint string
	switch {
	case f.MaxUserNS == 0:
		hint = "user.max_user_namespaces is 0: sysctl -w user.max_user_namespaces=15000"
	case f.UnprivClone == 0 && !e.root:
		hint = "sysctl -w kernel.unprivileged_userns_clone=1"
	case f.AppArmorUserns == 1 && !e.root:
		hint = "AppArmor strips capabilities in unprivileged user namespaces: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile for hako with the userns rule"
	default:
		hint = "configs with a user namespace fail: use a kernel with CONFIG_USER_NS"
	}
	switch {
	case f.UsernsErr != nil:
		e.add("user-namespaces", bad, essential, "cannot make one: "+errText(f.UsernsErr)+d, hint)
	case !f.UsernsProbed:
		e.add("user-namespaces", Info, essential, "not probed"+d, "run hako doctor from the hako binary to probe")
	case f.AppArmorUserns == 1 && !e.root:
		e.add("user-namespaces", Warn, essential, "made one, but AppArmor restricts unprivileged user namespaces"+d, hint)
	default:
		e.add("user-namespaces", OK, essential, "a user namespace with the caller's ids mapped was made"+d, "")
	}

	helper := func(h Helper) (string, bool) {
		switch {
		case h.Path == "":
			return "missing", false
		case h.Setuid:
			return h.Path + " (setuid root)", true
		case h.FileCaps:
			return h.Path + " (file capabilities)", true
		case h.Unmapped:
			return h.Path + " (setuid, but its owner is not mapped in this user namespace)", false
		}
		return h.Path + " (neither setuid root nor file capabilities)", false
	}
	u, uok := helper(f.NewUIDMap)
	g, gok := helper(f.NewGIDMap)
	d = "newuidmap: " + u + "; newgidmap: " + g
	switch {
	case uok && gok:
		e.add("id-map-helpers", OK, false, d, "")
	case f.EUID == 0:
		e.add("id-map-helpers", Info, false, d, "not needed as root (hako writes the id maps itself); a user mapping more than its own ids needs them (package uidmap)")
	default:
		e.add("id-map-helpers", Warn, false, d, "only your own uid and gid can be mapped (hako spec --rootless); ranges from /etc/subuid need newuidmap and newgidmap, setuid root (package uidmap)")
	}

	switch {
	case f.EUID == 0:
		e.add("subordinate-ids", OK, false, "not needed as root (hako writes any mapping of its namespace's ids itself)", "")
	case f.SubErr != nil:
		e.add("subordinate-ids", Warn, false, "cannot read them: "+errText(f.SubErr), "make /etc/subuid and /etc/subgid readable")
	case len(f.SubUID) > 0 && len(f.SubGID) > 0:
		e.add("subordinate-ids", OK, false, fmt.Sprintf("%s: /etc/subuid %s; /etc/subgid %s", f.User, strings.Join(f.SubUID, " "), strings.Join(f.SubGID, " ")), "")
	default:
		name := f.User
		if name == "" {
			name = "USER"
		}
		e.add("subordinate-ids", Warn, false, fmt.Sprintf("%s: /etc/subuid %s; /etc/subgid %s", name, orNone(f.SubUID), orNone(f.SubGID)),
			"only your own ids can be mapped; for more: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 "+name)
	}
}

func (e *evaluator) mounts() {
	e.group = "mounts"
	f := e.f
	const fsHint = "idmapped mounts work only on file systems that support them (ext4, xfs, btrfs, tmpfs 6.3+, overlayfs 5.19+, ...): keep idmapped bind sources on one"
	switch {
	case f.IdmapProbed:
		yes := func(err error) string {
			if err == nil {
				return "yes"
			}
			return "no (" + errText(err) + ")"
		}
		d := fmt.Sprintf("detached tmpfs: %s; / (%s): %s", yes(f.IdmapTmpfs), f.IdmapRootFS, yes(f.IdmapRoot))
		switch {
		case f.IdmapTmpfs == nil && f.IdmapRoot == nil:
			e.add("idmapped-mounts", OK, false, d, "")
		case f.IdmapTmpfs != nil && f.IdmapRoot != nil && errors.Is(f.IdmapTmpfs, unix.ENOSYS):
			e.add("idmapped-mounts", Warn, false, d, "mounts with uidMappings or idmap fail: they need Linux 5.12")
		default:
			e.add("idmapped-mounts", Warn, false, d, fsHint)
		}
	case kernelAtLeast(f.Kernel, 5, 12):
		e.add("idmapped-mounts", Info, false, "not probed ("+f.IdmapSkip+"); kernel "+f.Kernel+" has mount_setattr (5.12+)",
			"support is per file system: run hako doctor as root to probe tmpfs and /")
	default:
		e.add("idmapped-mounts", Warn, false, "kernel "+f.Kernel+" is older than 5.12 (not probed: "+f.IdmapSkip+")", "mounts with uidMappings or idmap fail: they need Linux 5.12")
	}

	if f.Filesystems["overlay"] || f.ExeMethod == "overlayfs" {
		e.add("overlayfs", OK, false, "overlay in /proc/filesystems", "")
	} else {
		e.add("overlayfs", Info, false, "overlay not in /proc/filesystems (it may be a module not loaded yet)",
			"hako protects its binary with a sealed memfd copy instead; overlay mounts in a config fail unless the module loads (modprobe overlay)")
	}
	if f.Filesystems["tmpfs"] {
		e.add("tmpfs", OK, true, "tmpfs in /proc/filesystems", "")
	} else {
		e.add("tmpfs", Fail, true, "tmpfs not in /proc/filesystems", "the default config mounts tmpfs on /dev: use a kernel with CONFIG_TMPFS")
	}
}

func (e *evaluator) process() {
	e.group = "process"
	f := e.f
	if f.PidfdErr == nil {
		e.add("pidfd", OK, true, "pidfd_open works", "")
	} else {
		e.add("pidfd", Fail, true, errText(f.PidfdErr), "kill, delete and the notify proxy reach the init by pidfd: they need Linux 5.3")
	}
	if f.Clone3Err == nil {
		e.add("clone3", OK, false, "clone3 is available", "")
	} else {
		e.add("clone3", Info, false, errText(f.Clone3Err)+" (Linux 5.3; a seccomp filter over hako may hide it)",
			"the init cannot be cloned into its cgroup and is moved in by pid instead; nothing else needs it")
	}
}

func (e *evaluator) security() {
	e.group = "security"
	f := e.f
	own := ""
	if f.SeccompMode == 2 {
		own = "; hako itself runs under a seccomp filter (inside a container?): what it blocks fails here too"
	}
	if f.SeccompErr == nil {
		e.add("seccomp", OK, false, "filter mode available; libseccomp "+f.SeccompLib+" linked in"+own, "")
	} else {
		e.add("seccomp", Warn, false, errText(f.SeccompErr)+"; libseccomp "+f.SeccompLib+own,
			"configs with linux.seccomp fail: use a kernel with CONFIG_SECCOMP_FILTER")
	}
	var off []string
	for _, k := range f.SeccompKnown {
		if !slices.Contains(f.SeccompSupported, k) {
			off = append(off, k)
		}
	}
	d := "supported: " + orNone(f.SeccompSupported)
	if f.SeccompListener {
		d += "; SCMP_ACT_NOTIFY: yes (NEW_LISTENER with TSYNC_ESRCH)"
	} else {
		d += "; SCMP_ACT_NOTIFY: no (NEW_LISTENER with TSYNC_ESRCH refused)"
	}
	switch {
	case len(off) > 0:
		e.add("seccomp-flags", Warn, false, d+"; not by this kernel: "+strings.Join(off, " "),
			"a profile with these linux.seccomp.flags fails (SPEC_ALLOW: 4.17, WAIT_KILLABLE_RECV: 5.19): drop them or upgrade the kernel")
	case !f.SeccompListener && f.SeccompErr == nil:
		e.add("seccomp-flags", Warn, false, d, "a profile with SCMP_ACT_NOTIFY fails: the listener needs Linux 5.7")
	default:
		e.add("seccomp-flags", OK, false, d, "")
	}

	switch f.AppArmor {
	case "Y":
		e.add("apparmor", OK, false, "enabled: process.apparmorProfile is applied", "")
	default:
		e.add("apparmor", Info, false, "not enabled (/sys/module/apparmor/parameters/enabled: "+orMissing(f.AppArmor)+")",
			"a config naming process.apparmorProfile fails here; engines leave it out on such hosts")
	}
	switch f.SELinux {
	case 1:
		e.add("selinux", OK, false, "enforcing: selinuxLabel and mountLabel are applied", "")
	case 0:
		e.add("selinux", Info, false, "permissive: labels are applied but not enforced", "setenforce 1 to enforce them")
	default:
		e.add("selinux", Info, false, "not enabled (no /sys/fs/selinux)", "a config with process.selinuxLabel fails here; a mountLabel alone is not applied")
	}

	switch {
	case f.ExeErr != nil:
		e.add("binary-protection", Fail, true, errText(f.ExeErr),
			"create refuses to run the init from an unprotected hako binary (CVE-2019-5736): it needs overlayfs with the new mount API as root, or memfd_create with sealing")
	case f.ExeMethod == "overlayfs":
		e.add("binary-protection", OK, true, "the init runs from a read-only detached overlayfs (CVE-2019-5736)", "")
	default:
		e.add("binary-protection", Info, true, "the init runs from a sealed memfd copy (CVE-2019-5736); overlayfs: "+errText(f.ExeOverlayErr),
			"safe, but each create and exec copies the binary; the overlay needs CAP_SYS_ADMIN, and Linux 6.15 when the state root is inside the binary's directory")
	}
}

func orMissing(s string) string {
	if s == "" {
		return "missing"
	}
	return s
}

func (e *evaluator) checkpoint() {
	e.group = "checkpoint"
	f := e.f
	ver := func(v int) string { return fmt.Sprintf("%d.%d.%d", v/10000, v/100%100, v%100) }
	switch {
	case f.CriuErr != nil && f.CriuPath == "":
		e.add("criu", Warn, false, "not found: "+errText(f.CriuErr),
			"checkpoint and restore need CRIU 3.0 or newer: install the criu package, or pass --criu PATH")
	case f.CriuErr != nil && !e.root:
		e.add("criu", Info, false, f.CriuPath+" found; version not known as a user ("+errText(f.CriuErr)+")",
			"checkpoint and restore need root in the initial user namespace")
	case f.CriuErr != nil:
		e.add("criu", Warn, false, errText(f.CriuErr), "checkpoint and restore need CRIU 3.0 or newer: upgrade criu or pass --criu PATH")
	case !e.root:
		e.add("criu", Info, false, "criu "+ver(f.CriuVersion)+" at "+f.CriuPath,
			"checkpoint and restore need root in the initial user namespace")
	default:
		e.add("criu", OK, false, "criu "+ver(f.CriuVersion)+" at "+f.CriuPath+" (3.0+ needed)", "")
	}
}
