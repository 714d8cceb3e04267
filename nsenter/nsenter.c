// The pre-runtime stage of "hako init"; see doc.go for the protocol.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "nsenter.h"

static void loopback_up(void);

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

#define MAX_BOOT 65536
#define MAX_JOIN 16
// argv and env of an exec are bounded by the kernel's ARG_MAX (a quarter of
// the stack limit); this leaves room for a raised one.
#define MAX_PLAN (64 << 20)

int hako_sync_fd = -1;

void hako_write_all(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(hako_sync_fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

int hako_read_byte(char *c)
{
	for (;;) {
		ssize_t n = read(hako_sync_fd, c, 1);
		if (n == 1)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return -1;
	}
}

// json_string appends s as a JSON string body (no quotes) to out.
static size_t json_string(char *out, size_t o, size_t cap, const char *s)
{
	for (const char *p = s; *p && o < cap - 8; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	return o;
}

void hako_send(const char *type, const char *msg, const char *key, long val, int err)
{
	char out[2400];
	size_t o = (size_t)snprintf(out, sizeof(out), "{\"type\":\"%s\"", type);
	if (msg != NULL) {
		o += (size_t)snprintf(out + o, sizeof(out) - o, ",\"msg\":\"");
		o = json_string(out, o, sizeof(out) - 64, msg);
		out[o++] = '"';
	}
	if (key != NULL)
		o += (size_t)snprintf(out + o, sizeof(out) - o, ",\"%s\":%ld", key, val);
	if (err != 0)
		o += (size_t)snprintf(out + o, sizeof(out) - o, ",\"errno\":%d", err);
	o += (size_t)snprintf(out + o, sizeof(out) - o, "}\n");
	hako_write_all(out, o);
}

void hako_send_fds(const char *type, const int *fds, int n)
{
	char line[128];
	int len = snprintf(line, sizeof(line), "{\"type\":\"%s\",\"count\":%d}\n", type, n);
	struct iovec iov = { .iov_base = line, .iov_len = (size_t)len };
	union {
		char buf[CMSG_SPACE(sizeof(int) * HAKO_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (n > HAKO_MAX_FDS)
		hako_report(E2BIG, "send %s", type);
	if (n > 0) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	}
	// one sendmsg: the host reads the line and the fds in one recvmsg
	ssize_t w;
	do
		w = sendmsg(hako_sync_fd, &msg, 0);
	while (w < 0 && errno == EINTR);
	if (w != len)
		hako_report(w < 0 ? errno : EPIPE, "send %s", type);
}

const char *hako_strerror(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(err));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

void hako_report(int err, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hako_send("error", msg, NULL, 0, err);
	_exit(1);
}

// fail reports a failed step of this stage with errno; the parent turns it
// into the last error line, so it names the step and the errno.
__attribute__((noreturn, format(printf, 1, 2)))
static void fail(const char *fmt, ...)
{
	char msg[1024];
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hako_report(saved, "nsenter: %s", msg);
}

struct join {
	int flag;
	int fd;
	char *path;
};

// The RLIMIT_NOFILE this process started with, before the Go runtime
// raises its soft limit; the init restores it for the container's process
// when it does not exec through Go's syscall.Exec (which would).
struct rlimit hako_nofile_at_start;
int hako_nofile_known;

// hako_wait_signal mirrors what the Go runtime does with a signal it has
// no use for: the default action, and exit status 2 where the kernel will
// not deliver it (the init of a pid namespace ignores its own signals that
// have no handler, as it would `hako kill TERM` from the host).
static void hako_wait_signal(int sig)
{
	sigset_t set;
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(2);
}

// hako_wait is the container's first process between create and start,
// when the Go init has finished every step and only the start barrier and
// the execve are left. It is exec'd from the sealed hako binary (so its
// /proc/<pid>/exe is that binary, never the host file) as
//
//	hako-init <exec fifo fd> <path> <argv...>
//
// with the process's final environment, credentials, capabilities and
// seccomp filter; the Go runtime never starts, so the waiting process
// holds a few pages of libc instead of a Go heap and its threads.
static void hako_wait(int argc, char **argv, char **envp)
{
	int fd = atoi(argv[1]);
	// dumpable again after the execve that started this image, until here
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_NAME, "hako:init", 0, 0, 0);
	hako_wait_start(fd, argv[1]);
	(void)argc;
	// handlers are reset to SIG_DFL by the execve itself
	execve(argv[2], argv + 3, envp);
	char msg[256];
	dprintf(2, "hako init: exec \"%s\": %s\n", argv[3], hako_strerror(errno, msg, sizeof(msg)));
	_exit(127);
}

// hako_criu_ns is how CRIU runs for checkpoint and restore:
//
//	hako-criu-ns <socket fd> <cgroup yard | -> <criu path> <criu argv...>
//
// in a mount namespace of its own whose mounts are slaves of the host's.
// CRIU mounts a cgroup yard while it restores and removes it at the end;
// a criu killed half-way (its hako killed: the parent-death signal) left
// it mounted in the host's namespace, in its work directory, where it
// also broke the next restore from that image. Here the yard is a tmpfs
// on the given directory (hako's, in the state directory; empty on the
// host) and goes with the namespace. Slave, not private (what Go's
// Unshareflags would make): the host's mounts still reach the namespace,
// and so the external mounts CRIU binds into a restored container, as
// when CRIU ran in the host's namespace. One message on the RPC socket
// says the namespace is made ("ok") or why not; hako then opens the
// image and work directories through this namespace. The parent-death
// signal and no_new_privs pass through both execs (no set-id or file
// capabilities).
static void hako_criu_ns(char **argv, char **envp)
{
	char msg[256], why[PATH_MAX + 320];
	int sk = atoi(argv[1]);
	const char *yard = argv[2];
	if (unshare(CLONE_NEWNS) < 0) {
		snprintf(why, sizeof(why), "criu mount namespace: unshare: %s", hako_strerror(errno, msg, sizeof(msg)));
		goto fail;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
		snprintf(why, sizeof(why), "criu mount namespace: make / rslave: %s", hako_strerror(errno, msg, sizeof(msg)));
		goto fail;
	}
	if (strcmp(yard, "-") != 0 && mount("tmpfs", yard, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0) {
		snprintf(why, sizeof(why), "criu cgroup yard %s: %s", yard, hako_strerror(errno, msg, sizeof(msg)));
		goto fail;
	}
	if (write(sk, "ok", 2) != 2)
		_exit(127);
	execve(argv[3], argv + 3, envp);
	// hako has its answer: the worker never came
	dprintf(2, "hako: exec %s: %s\n", argv[3], hako_strerror(errno, msg, sizeof(msg)));
	_exit(127);
fail:
	if (write(sk, why, strlen(why)) < 0)
		dprintf(2, "hako: %s\n", why);
	_exit(127);
}

// The kernel's struct sigaction (x86_64, arm64: with sa_restorer): the
// raw call reaches glibc's own real-time signals too.
struct hako_ksigaction {
	unsigned long handler, flags, restorer, mask;
};

void hako_default_signals(void)
{
	for (int sig = 1; sig < NSIG; sig++) {
		struct hako_ksigaction old, dfl = { 0 };
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (syscall(SYS_rt_sigaction, sig, NULL, &old, sizeof(old.mask)) == 0 && old.handler == (unsigned long)SIG_IGN)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
	}
}

void hako_wait_start(int fd, const char *name)
{
	struct stat st;
	if (fd < 3 || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		dprintf(2, "hako init: wait for start: fd %s is not the exec fifo\n", name);
		_exit(1);
	}
	// The container's process starts with every signal at its default
	// action; until then the ones whose default is to end the process
	// get a handler that does so (the execve resets it).
	hako_default_signals();
	for (int sig = 1; sig < NSIG; sig++) {
		switch (sig) {
		case SIGKILL: case SIGSTOP: case SIGCHLD: case SIGCONT:
		case SIGURG: case SIGWINCH: case SIGTSTP: case SIGTTIN: case SIGTTOU:
			continue;
		}
		struct sigaction sa = { .sa_handler = hako_wait_signal };
		// glibc keeps its own real-time signals (32, 33) from
		// sigaction: they stay at the kernel's default
		sigaction(sig, &sa, NULL);
	}
	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);
		if (n == 1)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		char msg[256];
		dprintf(2, "hako init: wait for start: %s\n", n == 0 ? "end of file" : hako_strerror(errno, msg, sizeof(msg)));
		_exit(1);
	}
	close(fd);
}

// When this image started running code (before the Go runtime), for
// HAKO_TRACE (libcontainer/trace); always taken, it costs one vDSO call.
struct timespec hako_ctor_time;

// trace writes a libcontainer/trace line for this C stage to the fd named
// by _HAKO_TRACEFD, when the host passed one.
void hako_trace(const char *phase)
{
	const char *env = getenv("_HAKO_TRACEFD");
	struct timespec now;
	if (env == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	double t = (double)(now.tv_sec - hako_ctor_time.tv_sec) * 1e3 + (double)(now.tv_nsec - hako_ctor_time.tv_nsec) / 1e6;
	dprintf(atoi(env), "hako-trace pid=%d at=%lld t=%.3f d=%.3f nsenter: %s\n", getpid(),
		(long long)now.tv_sec * 1000000000LL + now.tv_nsec, t, t, phase);
}

void hako_nsenter(int argc, char **argv, char **envp)
{
	clock_gettime(CLOCK_REALTIME, &hako_ctor_time);
	if (argc >= 4 && argv != NULL && strcmp(argv[0], "hako-init") == 0 && getenv("_HAKO_SYNCFD") == NULL)
		hako_wait(argc, argv, envp);
	if (argc >= 4 && argv != NULL && strcmp(argv[0], "hako-criu-ns") == 0 && getenv("_HAKO_SYNCFD") == NULL)
		hako_criu_ns(argv, envp);
	const char *env = getenv("_HAKO_SYNCFD");
	if (env == NULL)
		return;
	hako_sync_fd = atoi(env);
	if (hako_sync_fd < 3)
		return;
	if (getrlimit(RLIMIT_NOFILE, &hako_nofile_at_start) == 0)
		hako_nofile_known = 1;
	// Non-dumpable for as long as this process is hako: /proc/<pid>/exe,
	// fd/, mem and environ of a non-dumpable process need CAP_SYS_PTRACE,
	// so the container it enters cannot reach hako's memory, fds or binary
	// (CVE-2016-9962, CVE-2019-5736). The kernel makes the process
	// dumpable again, as its rules say, at the execve of the container's
	// program; nothing in hako does.
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail("set non-dumpable");
	// The init is exec'd through /proc/<pid>/fd/<n> (see
	// libcontainer/exeguard_linux.go), which would otherwise be its name.
	prctl(PR_SET_NAME, "hako:init", 0, 0, 0);

	// The bootstrap message is small; read it a byte at a time so that
	// nothing meant for the Go stage is consumed from the stream.
	static char boot[MAX_BOOT];
	size_t len = 0;
	for (;;) {
		char c;
		if (hako_read_byte(&c) < 0) {
			errno = EPIPE;
			fail("read bootstrap");
		}
		if (len + 1 >= sizeof(boot)) {
			errno = E2BIG;
			fail("read bootstrap");
		}
		boot[len++] = c;
		if (len >= 2 && boot[len - 1] == '\n' && boot[len - 2] == '\n')
			break;
		if (len == 1 && c == '\n')
			break;
	}
	boot[len] = '\0';

	unsigned long clone_flags = 0;
	int want_maps = 0;
	struct join joins[MAX_JOIN];
	int njoin = 0;
	int want_timens = 0;
	size_t plan_len = 0;

	char *save = NULL;
	for (char *line = strtok_r(boot, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "clone ", 6) == 0) {
			clone_flags = strtoul(line + 6, NULL, 10);
		} else if (strncmp(line, "join ", 5) == 0) {
			char *sp = strchr(line + 5, ' ');
			if (sp == NULL || njoin >= MAX_JOIN) {
				errno = EINVAL;
				fail("bad join directive");
			}
			*sp = '\0';
			joins[njoin].flag = atoi(line + 5);
			joins[njoin].path = sp + 1;
			joins[njoin].fd = -1;
			njoin++;
		} else if (strcmp(line, "maps") == 0) {
			want_maps = 1;
		} else if (strcmp(line, "timens") == 0) {
			want_timens = 1;
		} else if (strncmp(line, "plan ", 5) == 0) {
			plan_len = strtoul(line + 5, NULL, 10);
		} else {
			errno = EINVAL;
			fail("unknown bootstrap directive %s", line);
		}
	}

	// The exec plan follows the directives: nothing of the stream is meant
	// for a Go stage, since the applier never returns.
	char *plan = NULL;
	if (plan_len > 0) {
		if (plan_len > MAX_PLAN) {
			errno = E2BIG;
			fail("read exec plan");
		}
		plan = malloc(plan_len);
		if (plan == NULL)
			fail("read exec plan");
		for (size_t got = 0; got < plan_len;) {
			ssize_t n = read(hako_sync_fd, plan + got, plan_len - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (n == 0)
					errno = EPIPE;
				fail("read exec plan");
			}
			got += (size_t)n;
		}
	}

	// Open every namespace first: after setns into a mount namespace the
	// host paths would resolve differently.
	for (int i = 0; i < njoin; i++) {
		joins[i].fd = open(joins[i].path, O_RDONLY | O_CLOEXEC);
		if (joins[i].fd < 0)
			fail("open namespace %s", joins[i].path);
	}
	// runc's order: first every namespace the host's credentials may
	// join (one owned by an unrelated user namespace among them), then the
	// user namespace, then what only its root may join (EPERM before).
	int joined[MAX_JOIN] = { 0 };
	for (int pass = 0; pass < 3; pass++) {
		for (int i = 0; i < njoin; i++) {
			int is_user = joins[i].flag == CLONE_NEWUSER;
			if (joined[i] || (pass == 1) != is_user)
				continue;
			if (setns(joins[i].fd, joins[i].flag) < 0) {
				if (errno == EPERM && pass == 0)
					continue;
				fail("setns %s", joins[i].path);
			}
			joined[i] = 1;
			close(joins[i].fd);
			if (is_user && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
				fail("become root in joined user namespace %s", joins[i].path);
		}
	}

	if (clone_flags & CLONE_NEWUSER) {
		if (unshare(CLONE_NEWUSER) < 0)
			fail("unshare user namespace");
		// The maps must be written from outside (by the parent) because
		// only it holds the privilege over the parent namespace.
		if (want_maps) {
			// Dumpable only while the parent writes the maps, so that
			// /proc/<pid>/uid_map belongs to the user who may write it;
			// no process of the new user namespace exists yet.
			if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
				fail("set dumpable for uid/gid maps");
			hako_write_all("{\"type\":\"maps\"}\n", 16);
			char ack;
			if (hako_read_byte(&ack) < 0 || ack != 'm') {
				errno = EPIPE;
				fail("wait for uid/gid maps");
			}
			if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
				fail("set non-dumpable");
		}
		// Root in the new namespace when it is mapped; an unmapped 0 is
		// the rootless-without-root-mapping case and not an error here.
		if (setresgid(0, 0, 0) < 0 && errno != EINVAL)
			fail("setresgid 0 in user namespace");
		if (setresuid(0, 0, 0) < 0 && errno != EINVAL)
			fail("setresuid 0 in user namespace");
	}

	unsigned long rest = clone_flags & ~(unsigned long)CLONE_NEWUSER;
	if (rest != 0 && unshare((int)rest) < 0)
		fail("unshare namespaces 0x%lx", rest);
	if (rest & CLONE_NEWNET)
		loopback_up();

	if (want_timens) {
		// The host writes the offsets: with a new user namespace this
		// process, non-dumpable, may not open its own timens_offsets.
		hako_write_all("{\"type\":\"timens\"}\n", 18);
		char ack;
		if (hako_read_byte(&ack) < 0 || ack != 't') {
			errno = EPIPE;
			fail("wait for time namespace offsets");
		}
	}

	hako_trace("namespaces joined and made");
	int need_fork = (clone_flags & (CLONE_NEWPID | CLONE_NEWTIME)) != 0;
	for (int i = 0; i < njoin; i++)
		if (joins[i].flag == CLONE_NEWPID || joins[i].flag == CLONE_NEWTIME)
			need_fork = 1;

	pid_t pid = getpid();
	if (need_fork) {
		// CLONE_PARENT: the init becomes a sibling, i.e. a direct child
		// of the hako process, which can then wait for it.
		pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
		if (pid < 0) {
			// The kernel answers ENOMEM when the joined pid namespace
			// takes no new pids: its init has exited (an exec racing
			// the container's end; alloc_pid, kernel/pid.c).
			int joined_pidns = 0;
			for (int i = 0; i < njoin; i++)
				if (joins[i].flag == CLONE_NEWPID)
					joined_pidns = 1;
			if (errno == ENOMEM && joined_pidns)
				fail("clone into the container's pid namespace: its init has exited");
			fail("clone init");
		}
		if (pid == 0) {
			if (plan != NULL)
				hako_apply(plan, plan_len);
			return; // the init: carry on into the Go runtime
		}
	}
	hako_send("pid", NULL, "pid", pid, 0);
	if (need_fork)
		_exit(0);
	if (plan != NULL)
		hako_apply(plan, plan_len);
}

// A new network namespace starts with its loopback down; runc brings it
// up (its "loopback" network) and programs expect 127.0.0.1 to answer.
// Any socket reaches the netdev ioctls of its own namespace: AF_UNIX
// needs no IPv4.
static void loopback_up(void)
{
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		fail("loopback: socket");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		fail("loopback: get the flags of lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		fail("loopback: set lo up");
	close(s);
}
