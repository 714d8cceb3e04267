// Package nsenter holds the only C in hako: a constructor that runs in the
// "hako init" process before the Go runtime starts any thread. Joining a
// user or mount namespace with setns(2) and unsharing a user namespace are
// refused to multi-threaded processes, and a new pid or time namespace only
// applies to children, so this stage does exactly those steps and then
// forks the real init (CLONE_PARENT, so the init stays a child of the hako
// process that spawned it and `hako run` can wait for it directly).
// For an exec, and for a new container's first process unless it needs
// the Go init, it then goes on in C (apply.c) instead of the Go runtime;
// between create and start the init waits in C too (hako_wait_start).
//
// It is driven by a short text message read from the sync socket named by
// _HAKO_SYNCFD; its replies (a request for uid/gid maps, the init pid, or an
// error text) are JSON lines on the same socket. Without _HAKO_SYNCFD it
// does nothing, so every other hako verb pays only a getenv.
//
// Bootstrap message, one directive per line, ended by an empty line:
//
//	clone <flags>          namespaces to create (CLONE_NEW* bits, decimal)
//	join <flag> <path>     setns into the namespace at path (runc's order:
//	                       others, user, then others refused before it)
//	maps                   wait for the parent to write uid_map/gid_map
//	timens                 wait for the parent to write timens_offsets
//	plan <length>          an ExecPlan of that many bytes follows the
//	                       empty line; apply.c applies it in the joined
//	                       or made namespaces and execs the process, so
//	                       no Go runtime starts (see ExecPlan, Create)
//
// The stages' messages are JSON lines of libcontainer/syncproto's Msg,
// which also tables every step: "pid" (field pid), "maps" and "timens"
// (answered by one byte each), "error" (msg, errno: the host appends the
// errno in Go's words). The applier also sends "limits" and, with a
// seccomp listener, "seccomp" (field fd, the listener's number here; both
// answered {"type":"ok"}), "ambient" (fields cap, errno) for an ambient
// capability the kernel would not raise (warned by the host), and "ready"
// just before its execve; it waits for one byte 'p' after the pid. For a
// new container it first sends "rootfs" (field count) with its procfs
// contexts attached, and waits for {"type":"ok"} once the host has made
// the rootfs.
package nsenter
