package libcontainer

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hako-runtime/hako/libcontainer/intelrdt"
)

// Status is derived from facts on every load, never trusted from disk.
type Status string

const (
	Creating Status = "creating"
	Created  Status = "created"
	Running  Status = "running"
	Paused   Status = "paused"
	Stopped  Status = "stopped"
)

// Op is a lifecycle operation checked against the transition table.
type Op string

const (
	OpStart  Op = "start"
	OpKill   Op = "kill"
	OpDelete Op = "delete"
	OpExec   Op = "exec"
	OpPause  Op = "pause"
	OpResume Op = "resume"
)

// transitions is the ONE table of which operation is allowed in which
// status; the value is the error text when it is not (runc's texts).
var transitions = map[Op]map[Status]string{
	OpStart: {
		Creating: "cannot start a container that is still being created",
		Running:  "cannot start an already running container",
		Paused:   "cannot start a container in the paused state",
		Stopped:  "cannot start a container that has stopped",
	},
	OpKill: {
		Creating: "container not running",
		Stopped:  "container not running",
	},
	OpDelete: {
		Creating: "cannot delete container %[1]s that is being created",
		Running:  "cannot delete container %[1]s that is not stopped: running",
		Paused:   "cannot delete container %[1]s that is not stopped: paused",
	},
	OpExec: {
		Creating: "cannot exec in a container that is being created",
		Paused:   "cannot exec in a paused container (use --ignore-paused to override)",
		Stopped:  "cannot exec in a stopped container",
	},
	// runc freezes a created container too (it is then paused until
	// resumed, and start refuses it meanwhile).
	OpPause: {
		Creating: "container not running",
		Paused:   "container not running",
		Stopped:  "container not running",
	},
	OpResume: {
		Creating: "container not paused",
		Created:  "container not paused",
		Running:  "container not paused",
		Stopped:  "container not paused",
	},
}

// Require fails when op is not allowed in the container's current status.
func (c *Container) Require(op Op) error {
	if msg, bad := transitions[op][c.Status]; bad {
		if strings.Contains(msg, "%[1]s") {
			return fmt.Errorf(msg, c.ID)
		}
		if msg == ErrNotRunning.Error() {
			return ErrNotRunning
		}
		return errors.New(msg)
	}
	return nil
}

// persisted is what cannot be observed: everything else is derived.
type persisted struct {
	ID          string            `json:"id"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	InitPid     int               `json:"init_pid"`
	InitStart   uint64            `json:"init_start"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Config      *specs.Spec       `json:"config"`
	// CgroupPath is the cgroupsPath the container was created with.
	CgroupPath string `json:"cgroup_path,omitempty"`
	// CgroupPaths are the directories the manager resolved at create.
	CgroupPaths map[string]string `json:"cgroup_paths,omitempty"`
	Systemd     bool              `json:"systemd,omitempty"`
	Rootless    bool              `json:"rootless,omitempty"`
	// NoCgroup: a rootless container that runs in its caller's cgroup
	// (cgroups.ErrRootless); CgroupPaths is then empty.
	NoCgroup bool `json:"no_cgroup,omitempty"`
	// IntelRdt is linux.intelRdt's resctrl group as Apply left it (what
	// it made, for delete and for exec's processes to join).
	IntelRdt *intelrdt.Group `json:"intel_rdt,omitempty"`
	// HostRootMount is the mount ID of the rootfs bind made in the host's
	// mount namespace for a container without one (removed by delete).
	HostRootMount uint64 `json:"host_root_mount,omitempty"`
}

// procStart returns the start time (clock ticks since boot, field 22 of
// /proc/pid/stat) and whether the process is a zombie. A pid with another
// start time is another process: the container's init is gone.
func procStart(pid int) (start uint64, zombie bool, err error) {
	f, err := statFields(pid)
	if err != nil {
		return 0, false, err
	}
	if len(f) < 20 {
		return 0, false, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return start, f[0] == "Z" || f[0] == "X", err
}

// statFields returns the fields of /proc/pid/stat after comm (proc(5):
// f[0] is field 3, state; f[1] the ppid). comm may contain spaces and
// parentheses: the fields start after the last ')'.
func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	return strings.Fields(string(b[i+1:])), nil
}

// initAlive reports whether the recorded init process still runs.
func (p *persisted) initAlive() bool {
	if p.InitPid <= 0 {
		return false
	}
	start, zombie, err := procStart(p.InitPid)
	return err == nil && !zombie && start == p.InitStart
}

// initWaitName is the init's comm until it execs the container's process
// (nsenter.c names it so): a start killed after releasing the init and
// before removing the exec fifo leaves a fifo behind a running container.
const initWaitName = "hako:init"

// initWaits reports whether the recorded init is still hako's, i.e. has
// not exec'd the container's process yet.
func (p *persisted) initWaits() bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.InitPid) + "/comm")
	return err != nil || string(bytes.TrimSuffix(b, []byte("\n"))) == initWaitName
}

// writeFileAtomic writes via a temporary file and rename, so a reader (or a
// crash) never sees a half-written file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
