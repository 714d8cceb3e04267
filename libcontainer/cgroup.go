package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/cgroups"
)

// The cgroup side of the lifecycle: the manager is rebuilt by every
// command from what create persisted (the resolved paths), so a relative
// cgroupsPath means the same directories whoever runs the command.

func (c *Container) cgroup() (cgroups.Manager, error) {
	if c.st.NoCgroup {
		return noCgroup{c}, nil
	}
	cfg := cgroups.Config{
		Path: c.st.CgroupPath, ID: c.ID, Systemd: c.st.Systemd, Rootless: c.st.Rootless,
		Paths: c.st.CgroupPaths, Annotations: c.st.Annotations,
	}
	// Without the config (List reads the state only; the other verbs
	// decode it only when they need it) the manager still finds the
	// cgroup and reads it; the resources are only used by the systemd
	// driver's Apply at create, when the config is at hand.
	if c.st.Config != nil {
		cfg.Resources = effectiveResources(c.st.Config)
	}
	return cgroups.New(cfg)
}

// startInCgroup starts sp.cmd (the init) inside the container's cgroup.
//
// On cgroup v2 with the fs driver the cgroup is created and given its
// limits first, and the init is cloned straight into it (clone3 with
// CLONE_INTO_CGROUP): no pid is written, and nothing of the init runs or
// is charged in hako's own cgroup. Elsewhere (v1 and hybrid; a systemd
// scope, which needs a pid to start; exec, which joins a cgroup that may
// hold sub-cgroups) or when the kernel or a seccomp filter refuses the
// clone, the init starts in hako's cgroup and is moved in by pid. That is
// still before it runs anything of the container: nsenter waits for the
// bootstrap, which is sent after this returns.
func (sp *spawner) startInCgroup() error {
	fd, err := sp.d.cgroupFD()
	if err != nil {
		return err
	}
	if fd >= 0 {
		defer syscall.Close(fd)
	}
	cmd, cloned, err := startCloned(sp.cmd, fd)
	sp.cmd = cmd
	if err != nil {
		return fmt.Errorf("start init: %w", err)
	}
	pid := cmd.Process.Pid
	switch {
	case cloned:
		sp.o.Log.Debugf("init %d cloned into cgroup %s", pid, sp.cg.Path(""))
		return nil
	case fd >= 0:
		// The cgroup is ready: only the move is left.
		sp.o.Log.Debugf("init %d: clone3 into the cgroup refused, moving it by pid", pid)
		if err := sp.cg.Apply(pid); err != nil {
			return fmt.Errorf("cgroup: %w", err)
		}
		return nil
	}
	return sp.d.joinCgroup(pid)
}

// startCloned starts cmd cloned into the cgroup open at fd (-1: plainly).
// When the clone is refused (clone3 unknown before Linux 5.3 and
// CLONE_INTO_CGROUP before 5.7, a seccomp filter that denies clone3, a
// cgroup the kernel will not clone into) a copy of cmd is started plainly
// and returned with cloned false. The caller's fds are not touched by a
// failed Start, so the copy gets the same ones.
func startCloned(cmd *exec.Cmd, fd int) (_ *exec.Cmd, cloned bool, _ error) {
	if fd < 0 {
		return cmd, false, cmd.Start()
	}
	plain := *cmd
	attr := syscall.SysProcAttr{}
	if cmd.SysProcAttr != nil {
		attr = *cmd.SysProcAttr
	}
	attr.UseCgroupFD, attr.CgroupFD = true, fd
	cmd.SysProcAttr = &attr
	if err := cmd.Start(); err == nil {
		return cmd, true, nil
	}
	return &plain, false, plain.Start()
}

// checkCgroupUnused refuses a cgroup that already holds processes (they
// would become part of the container, and be killed with it) or that is
// frozen (the init would wait there forever), with runc's words.
func (c *Container) checkCgroupUnused() error {
	m, err := c.cgroup()
	if err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	field := "linux.cgroupsPath (default)"
	if c.st.CgroupPath != "" {
		field = fmt.Sprintf("linux.cgroupsPath %q", c.st.CgroupPath)
	}
	pids, err := m.Pids()
	if err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("%s: unable to get cgroup PIDs: %w", field, err)
	}
	if len(pids) != 0 {
		return fmt.Errorf("%s: container's cgroup is not empty: %d process(es) found", field, len(pids))
	}
	frozen, err := m.Frozen()
	if err != nil {
		return fmt.Errorf("%s: unable to get cgroup freezer state: %w", field, err)
	}
	if frozen {
		return fmt.Errorf("%s: container's cgroup unexpectedly frozen", field)
	}
	return nil
}

func (c *Container) frozen() bool {
	m, err := c.cgroup()
	if err != nil {
		return false
	}
	f, err := m.Frozen()
	return err == nil && f
}

func (c *Container) thaw() {
	if m, err := c.cgroup(); err == nil {
		m.Thaw()
	}
}

// destroyCgroup kills what is left in the cgroup (processes of a container
// that shared the host pid namespace outlive its init) and removes it.
func (c *Container) destroyCgroup() error {
	if c.st.CgroupPaths == nil {
		return nil
	}
	m, err := c.cgroup()
	if err != nil {
		return err
	}
	for i := 0; i < 50; i++ {
		pids, err := m.Pids()
		if err != nil || len(pids) == 0 {
			break
		}
		m.Kill(unix.SIGKILL)
		time.Sleep(10 * time.Millisecond)
	}
	if err := m.Destroy(); err != nil {
		return fmt.Errorf("remove cgroup: %w", err)
	}
	return nil
}

// signalAll signals every process in the container's cgroup.
func (c *Container) signalAll(sig unix.Signal) error {
	m, err := c.cgroup()
	if err != nil {
		return err
	}
	if sig == 0 {
		// A liveness check delivers nothing: no need to freeze the
		// cgroup against forks as a real signal does.
		_, err := m.Pids()
		return err
	}
	return m.Kill(sig)
}

// Pause and Resume freeze and thaw the container's cgroup.
func (c *Container) Pause() error { return c.withCgroup(OpPause, cgroups.Manager.Freeze) }

func (c *Container) Resume() error { return c.withCgroup(OpResume, cgroups.Manager.Thaw) }

func (c *Container) withCgroup(op Op, fn func(cgroups.Manager) error) error {
	if err := c.Require(op); err != nil {
		return err
	}
	m, err := c.cgroup()
	if err != nil {
		return err
	}
	return fn(m)
}

func devRule(t string, major, minor int64, access string) specs.LinuxDeviceCgroup {
	r := specs.LinuxDeviceCgroup{Allow: true, Type: t, Access: access}
	if major >= 0 {
		r.Major = &major
	}
	if minor >= 0 {
		r.Minor = &minor
	}
	return r
}

// defaultDevice is one of runc's default allow rules; path names the
// device node it stands for, if any.
type defaultDevice struct {
	path string
	rule specs.LinuxDeviceCgroup
}

// defaultAllowed are the device rules every container gets after its own
// (later rules win), runc's list in runc's order: mknod of anything
// (opening it is what the rules guard), the default devices, ptys and
// /dev/net/tun.
var defaultAllowed = []defaultDevice{
	{"", devRule("c", -1, -1, "m")}, {"", devRule("b", -1, -1, "m")},
	{"/dev/null", devRule("c", 1, 3, "rwm")}, {"/dev/random", devRule("c", 1, 8, "rwm")},
	{"/dev/full", devRule("c", 1, 7, "rwm")}, {"/dev/tty", devRule("c", 5, 0, "rwm")},
	{"/dev/zero", devRule("c", 1, 5, "rwm")}, {"/dev/urandom", devRule("c", 1, 9, "rwm")},
	{"", devRule("c", 136, -1, "rwm")}, {"", devRule("c", 5, 2, "rwm")},
	{"", devRule("c", 10, 200, "rwm")},
}

// effectiveResources appends runc's default device rules to the spec's own
// rules, without touching the spec itself. As in runc, a linux.devices
// entry only creates its node: access to it is what linux.resources.devices
// allows; and a default whose path linux.devices names again is dropped
// (the spec's entry takes its place, rule included).
func effectiveResources(s *specs.Spec) *specs.LinuxResources {
	if s.Linux == nil {
		return nil
	}
	var r specs.LinuxResources
	if s.Linux.Resources != nil {
		r = *s.Linux.Resources
	}
	devs := append([]specs.LinuxDeviceCgroup{}, r.Devices...)
next:
	for _, d := range defaultAllowed {
		if d.path != "" {
			for _, sd := range s.Linux.Devices {
				if sd.Path == d.path {
					continue next
				}
			}
		}
		devs = append(devs, d.rule)
	}
	r.Devices = devs
	return &r
}

// requireLive is the status check of the cgroup verbs (update, events, ps).
func (c *Container) requireLive() error {
	if c.Status == Stopped || c.Status == Creating {
		return ErrNotRunning
	}
	return nil
}

// Update applies new resources and records them in the persisted config,
// so later commands (and a later update) start from them.
func (c *Container) Update(r *specs.LinuxResources) error {
	if err := c.requireLive(); err != nil {
		return err
	}
	spec, err := c.spec()
	if err != nil {
		return err
	}
	m, err := c.cgroup()
	if err != nil {
		return err
	}
	if spec.Linux.Resources == nil {
		spec.Linux.Resources = &specs.LinuxResources{}
	}
	// Set does not merge: a flag like --memory-swap needs the stored
	// memory limit beside it, so the touched sub-structs are merged field
	// by field with what the container has and applied whole.
	merged := *spec.Linux.Resources
	mergeResources(&merged, r)
	// What runc's update changes: devices, hugepage limits, network and
	// rdma are left as they are (engines send the whole linux.resources).
	apply := &specs.LinuxResources{
		Memory: pick(r.Memory != nil, merged.Memory), CPU: pick(r.CPU != nil, merged.CPU),
		Pids: r.Pids, BlockIO: r.BlockIO, Unified: r.Unified,
	}
	// The new state is written before the cgroup is touched, and renamed
	// into place after: a full state root fails the update with the
	// cgroup as it was, instead of limits that state.json does not know.
	old := *spec.Linux.Resources
	*spec.Linux.Resources = merged
	b, err := json.Marshal(&c.st)
	if err != nil {
		*spec.Linux.Resources = old
		return err
	}
	commit, err := stageFile(filepath.Join(c.dir, stateFile), b, 0o600)
	if err != nil {
		*spec.Linux.Resources = old
		return fmt.Errorf("save state: %w", err)
	}
	if err := m.Set(apply); err != nil {
		*spec.Linux.Resources = old
		commit(false)
		return err
	}
	if err := commit(true); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// stageFile writes data to a temporary file beside path; commit(true)
// renames it over path, commit(false) removes it. What can fail for lack
// of space fails here, before the caller changes anything else.
func stageFile(path string, data []byte, perm os.FileMode) (commit func(bool) error, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-")
	if err != nil {
		return nil, err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return nil, err
	}
	return func(keep bool) error {
		if !keep {
			return os.Remove(tmp.Name())
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			os.Remove(tmp.Name())
			return err
		}
		return nil
	}, nil
}

func pick[T any](ok bool, v *T) *T {
	if ok {
		return v
	}
	return nil
}

// overlay returns dst with every field src sets copied over it. The spec's
// resource structs mark unset fields with nil/omitempty, so a JSON round
// trip of src onto a copy of dst is exactly a field-level merge.
func overlay[T any](dst, src *T) *T {
	var out T
	if dst != nil {
		out = *dst
	}
	if b, err := json.Marshal(src); err == nil {
		_ = json.Unmarshal(b, &out)
	}
	return &out
}

// mergeResources copies every sub-struct r sets over dst, field by field
// for memory and cpu (update flags set single fields).
func mergeResources(dst, r *specs.LinuxResources) {
	if r.Memory != nil {
		dst.Memory = overlay(dst.Memory, r.Memory)
	}
	if r.CPU != nil {
		dst.CPU = overlay(dst.CPU, r.CPU)
	}
	if r.Pids != nil {
		dst.Pids = r.Pids
	}
	if r.BlockIO != nil {
		dst.BlockIO = r.BlockIO
	}
	if r.Unified != nil {
		dst.Unified = r.Unified
	}
}

// Processes lists the container's processes from its cgroup. A stopped
// container lists what is left in its cgroup (nothing, unless it shared
// a pid namespace), as runc does, not an error.
func (c *Container) Processes() ([]int, error) {
	if c.Status == Creating {
		return nil, ErrNotRunning
	}
	m, err := c.cgroup()
	if err != nil {
		return nil, err
	}
	pids, err := m.Pids()
	if err != nil && c.Status == Stopped && errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return pids, err
}

// Cgroup returns the manager of a running container (events, ps).
func (c *Container) Cgroup() (cgroups.Manager, error) {
	if err := c.requireLive(); err != nil {
		return nil, err
	}
	return c.cgroup()
}
