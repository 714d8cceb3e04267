// Package seccomp compiles linux.seccomp profiles into classic BPF in the
// host process and loads the finished program inside the container, so
// that the container init does no libseccomp work between create and
// execve.
//
// # API
//
//	type Program struct {
//		Instructions     Instructions  // ENOSYS stub + libseccomp program (base64 in JSON)
//		Flags            uint          // SECCOMP_FILTER_FLAG_* for seccomp(2)
//		Notify           bool          // NEW_LISTENER: Load returns a listener fd
//		ListenerPath     string        // linux.seccomp.listenerPath
//		ListenerMetadata string        // linux.seccomp.listenerMetadata
//	}
//
//	func Compile(s *specs.LinuxSeccomp) (*Program, error)
//	func CompileCached(s *specs.LinuxSeccomp, cacheDir string) (*Program, error)
//	func Load(p *Program) (notifyFd int, err error)
//	func SendListener(listenerPath string, fd int, state specs.State, metadata string) error
//
// Program is plain JSON-serialisable data: the runtime compiles it with
// Compile or CompileCached (host side, libseccomp through cgo) and sends it
// to the init, which calls Load as the very last step before execve. Load
// uses only seccomp(2) via golang.org/x/sys/unix. A nil profile gives a nil
// Program and Load(nil) loads nothing.
//
// Load needs no_new_privs or CAP_SYS_ADMIN. When process.noNewPrivileges is
// false the init must therefore call Load while it still has CAP_SYS_ADMIN,
// that is before dropping capabilities; when it is true, after
// PR_SET_NO_NEW_PRIVS and as late as possible.
//
// With SCMP_ACT_NOTIFY rules, Load returns the listener fd; the runtime
// passes it to the host side, which calls SendListener to hand it to the
// agent at listenerPath with runc's protocol (the OCI ContainerProcessState
// JSON with fds ["seccompFd"] and the fd as SCM_RIGHTS in one message).
//
// # Semantics
//
// Compile follows runc (see Compile's documentation): unknown syscall names
// are skipped, rules with the default action are dropped, ERRNO and TRACE
// default to EPERM, several conditions on one argument are ORed. Unknown
// actions, architectures, operators and flags fail with a *FieldError such
// as `linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"`.
//
// Syscalls with a number above the highest one the profile names for an
// architecture return ENOSYS instead of the default action, so that a new
// libc falls back to older syscalls (enosys.go explains the design).
//
// # Must never
//
// This package must never change process state on the host side (Compile
// only builds data), never call libseccomp from Load, and never set
// no_new_privs or capabilities itself: that order belongs to the init.
package seccomp
