package libcontainer

import (
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer/initproc"
	"github.com/hako-runtime/hako/libcontainer/lsm"
	"github.com/hako-runtime/hako/libcontainer/syncproto"
	"github.com/hako-runtime/hako/libcontainer/validate"
)

// execInit drives a process joining a running container: nsenter joins
// the init's namespaces, then its C applier (or, with an LSM label, the
// Go init) sets the process up and execs it; no rootfs work, no start
// barrier.
type execInit struct {
	*spawner
	// ns: the init's namespaces, opened by Exec under the lock; nsPaths
	// are the same files as the stage sees them.
	ns      map[specs.LinuxNamespaceType]*os.File
	nsPaths map[specs.LinuxNamespaceType]string
	// subCgroups: exec --cgroup (see joinSubCgroups).
	subCgroups map[string]string
	// plan: the process is set up by nsenter's C applier (appliesInC).
	plan bool
}

func newExecInit(c *Container, o *CreateOpts, spec *specs.Spec, ns map[specs.LinuxNamespaceType]*os.File, sub map[string]string) *execInit {
	d := &execInit{spawner: &spawner{c: c, o: o, spec: spec}, ns: ns, subCgroups: sub}
	d.d = d
	return d
}

// files passes the namespaces Exec opened: nsenter joins them through
// its own fds (it opens every path before its first setns).
func (d *execInit) files(add func(*os.File) int) error {
	if err := pinInitialAffinity(d.spec.Process, true); err != nil {
		return err
	}
	d.nsPaths = map[specs.LinuxNamespaceType]string{}
	for _, ns := range d.spec.Linux.Namespaces {
		f, ok := d.ns[ns.Type]
		if !ok {
			return fmt.Errorf("exec: namespace %s of the container not open", ns.Type)
		}
		d.nsPaths[ns.Type] = fmt.Sprintf("/proc/self/fd/%d", add(f))
	}
	return nil
}

// cgroupFD: none, the process is moved by pid: the container's cgroup
// may hold sub-cgroups (cgroup v2 allows no process in an inner node).
func (d *execInit) cgroupFD() (int, error) { return -1, nil }

// joinCgroup puts pid in the container's cgroup, or in the sub-cgroups
// exec --cgroup names.
func (d *execInit) joinCgroup(pid int) error {
	m, err := d.c.cgroup()
	if err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	d.cg = m
	if len(d.subCgroups) > 0 {
		return joinSubCgroups(m.Paths(), d.subCgroups, pid)
	}
	if d.c.st.NoCgroup {
		return m.Apply(pid)
	}
	return joinCgroupPaths(m.Paths(), pid)
}

// joinCgroupPaths puts pid into the container's existing cgroups, and
// never makes one: exec runs without the container's lock, and a delete
// that removed the cgroup meanwhile must not see it made again behind
// its back (found by tests/stress: Apply's mkdir left the cgroup of a
// deleted container in every v1 hierarchy). A hierarchy whose directory
// is gone is skipped, as runc's exec does; all gone is an error.
func joinCgroupPaths(paths map[string]string, pid int) error {
	joined := 0
	var gone string
	for _, dir := range paths {
		err := writeProcsBeneath(dir, ".", pid)
		if errors.Is(err, unix.ENOENT) {
			gone = dir
			continue
		}
		if err != nil {
			return fmt.Errorf("cgroup: %w", err)
		}
		joined++
	}
	if joined == 0 && gone != "" {
		return fmt.Errorf("cgroup %s is gone: the container was deleted", gone)
	}
	return nil
}

func (d *execInit) started(pid int) error {
	if err := setAffinity(pid, d.spec.Process, true); err != nil {
		// A reset that fails leaves the caller's affinity: runc only
		// warns too. An asked-for final affinity is an error.
		if a := d.spec.Process.ExecCPUAffinity; a != nil && a.Final != "" {
			return err
		}
		d.o.Log.Warnf("%v: the container process may inherit hako's CPU affinity", err)
	}
	return nil
}

// bootstrap joins every namespace of the container and, unless the
// process needs the Go init, carries the plan of the C applier.
func (d *execInit) bootstrap() (*syncproto.Bootstrap, error) {
	var plan []byte
	if d.appliesInC() {
		p, err := d.processPlan(d.consoleFD)
		if err == nil {
			plan, err = p.MarshalBinary()
		}
		if err != nil {
			return nil, err
		}
		d.plan = true
	}
	return bootstrap(d.spec, d.nsPaths, plan), nil
}

func (d *execInit) pid(pid int) error {
	// An exec'd process enters by setns and inherits no resctrl group.
	if g := d.c.st.IntelRdt; g != nil {
		if err := g.Join("", pid); err != nil {
			return err
		}
	}
	if d.plan {
		// the applier goes on once the pid is seen
		return d.conn.Ack(syncproto.AckPid)
	}
	cfg := &initproc.Config{
		ID: d.c.ID, Spec: d.spec, Rootfs: d.c.st.Rootfs, Bundle: d.c.st.Bundle, Pid: pid,
		NoNewKeyring: true, PreserveFDs: d.o.PreserveFDs,
		FifoFD: -1, ExeFD: -1, ConsoleFD: d.consoleFD, ConsoleRelay: d.o.ConsoleConn != nil, Exec: true,
		MountNS: validate.HasNamespace(d.spec, specs.MountNamespace),
		UserNS:  validate.HasNamespace(d.spec, specs.UserNamespace),
		Seccomp: d.seccomp,
		LSM:     lsm.Detect(),
	}
	return d.conn.SendConfig(cfg)
}

func (d *execInit) handle(syncproto.Msg) (bool, error) { return false, nil }

// undo: an exec makes nothing the container outlives it by.
func (d *execInit) undo() {}
