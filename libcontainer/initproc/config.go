package initproc

import (
	"errors"
	"fmt"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hako-runtime/hako/libcontainer/lsm"
	"github.com/hako-runtime/hako/seccomp"
)

// Config is everything the init needs, sent by the host as one JSON value
// after the nsenter stage; the spec is the already validated one, never
// re-read from the bundle (which could have changed since).
type Config struct {
	ID           string      `json:"id"`
	Spec         *specs.Spec `json:"spec"`
	Rootfs       string      `json:"rootfs"`
	Bundle       string      `json:"bundle"`
	Pid          int         `json:"pid"` // host pid of the init, for hook state
	NoPivot      bool        `json:"no_pivot,omitempty"`
	NoNewKeyring bool        `json:"no_new_keyring,omitempty"`
	PreserveFDs  int         `json:"preserve_fds,omitempty"`
	FifoFD       int         `json:"fifo_fd"` // -1 for exec
	// ExeFD is the sealed hako binary (see libcontainer/exeguard_linux.go)
	// when the init is to wait for `start` in its C stage: once every step
	// is done, the init execs it as "hako-init <fifo fd> <path> <argv...>"
	// (nsenter/nsenter.c, hako_wait). -1: the init waits in Go.
	ExeFD int `json:"exe_fd"`
	// Exec is a process joining a running container: no rootfs work, no
	// start barrier.
	Exec      bool `json:"exec,omitempty"`
	ConsoleFD int  `json:"console_fd"` // -1 when no terminal
	// MountNS: the container has a mount namespace, new or joined by
	// path; without one (create only) the rootfs is prepared in the
	// host's and chrooted into, as runc does.
	MountNS bool `json:"mount_ns"`
	// UserNS: the container has a user namespace, new or joined by path;
	// either way its root is not the host's (devices are bind-mounted,
	// bind sources are opened by the host).
	UserNS bool `json:"user_ns"`
	// ConsoleRelay says hako itself relays the pty (foreground -t): the
	// pty does not add CRs (ONLCR off) from the first byte on, where
	// runc's relay clears it as soon as it receives the master.
	ConsoleRelay bool `json:"console_relay,omitempty"`
	// Seccomp is the filter compiled on the host; the init only loads it.
	Seccomp *seccomp.Program `json:"seccomp,omitempty"`
	// LSM is what the host kernel offers, detected by the host: after
	// pivot_root the init only sees the container's /sys.
	LSM lsm.Host `json:"lsm"`
}

// Msg is one JSON line on the sync socket, in either direction.
type Msg struct {
	Type string `json:"type"` // maps, pid, hooks, limits, warn, ready, error
	Pid  int    `json:"pid,omitempty"`
	Msg  string `json:"msg,omitempty"`
	// Errno is the error number of a failed step of the C stages
	// (nsenter.c, apply.c); the host words it as Go does, after Msg.
	Errno int `json:"errno,omitempty"`
}

// Err is the error an "error" message carries, its errno wrapped.
func (m Msg) Err() error {
	if m.Errno != 0 {
		return fmt.Errorf("%s: %w", m.Msg, syscall.Errno(m.Errno))
	}
	return errors.New(m.Msg)
}

// Sync socket message types.
const (
	MsgMaps = "maps"
	// MsgTimens asks the host to write linux.timeOffsets for the new
	// time namespace of the nsenter stage (answered with one byte 't').
	MsgTimens = "timens"
	MsgPid    = "pid"
	// MsgHooks: the mounts are made; the host applies linux.resources
	// and runs prestart and createRuntime hooks (create only).
	MsgHooks = "hooks"
	// MsgLimits: the runtime's own work is done; the host sets the
	// process's rlimits, I/O priority and scheduler by pid.
	MsgLimits = "limits"
	// MsgWarn carries a warning for the host's log (no reply).
	MsgWarn  = "warn"
	MsgReady = "ready"
	MsgError = "error"
	// MsgSeccomp carries the init's fd number of the seccomp listener in
	// Pid; the host takes it with pidfd_getfd.
	MsgSeccomp = "seccomp"
	// MsgMountSources asks the host for the bind mount sources of a
	// container with a new user namespace (see mountsrc_linux.go); the
	// reply carries Pid = the number of fds, sent with SCM_RIGHTS.
	MsgMountSources = "mountsrc"
	// MsgHostRoot carries in Pid the mount ID of the rootfs bind made in
	// the host's mount namespace (no mount namespace); no reply.
	MsgHostRoot = "hostroot"
	// MsgAmbient: the exec applier could not raise ambient capability
	// Pid-1 (Errno); the host warns, as runc does. No reply.
	MsgAmbient = "ambient"
)
