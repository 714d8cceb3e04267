package initproc

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hako-runtime/hako/libcontainer/lsm"
	"github.com/hako-runtime/hako/libcontainer/rootfs"
	"github.com/hako-runtime/hako/seccomp"
)

// Config is everything the init needs, sent by the host as one JSON value
// in answer to the nsenter stage's pid (see syncproto); the spec is the
// already validated one, never
// re-read from the bundle (which could have changed since).
type Config struct {
	ID   string      `json:"id"`
	Spec *specs.Spec `json:"spec"`
	// Mounts is the host's rootfs.Plan of Spec.Mounts (create only).
	Mounts       []rootfs.MountOp `json:"mounts,omitempty"`
	Rootfs       string           `json:"rootfs"`
	Bundle       string           `json:"bundle"`
	Pid          int              `json:"pid"` // host pid of the init, for hook state
	NoPivot      bool             `json:"no_pivot,omitempty"`
	NoNewKeyring bool             `json:"no_new_keyring,omitempty"`
	PreserveFDs  int              `json:"preserve_fds,omitempty"`
	FifoFD       int              `json:"fifo_fd"` // -1 for exec
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
	// Unprivileged: hako runs as a user other than root, which may
	// neither open the init's mount namespace nor join it; the init opens
	// its bind sources itself, with the same access to the host's files
	// as that user (its root is the user's id).
	Unprivileged bool `json:"unprivileged,omitempty"`
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
