// The exec applier: the container side of `hako exec`, with no Go runtime.
//
// nsenter.c has joined the container's namespaces (and forked into its pid
// namespace); what is left is to become the process the host described in
// the exec plan (nsenter/plan.go has the encoding and the meaning of each
// record): stdio and terminal, kernel policy, the seccomp filter,
// credentials and capabilities, the cwd, then execve. The host composed
// and validated everything; this file only applies it, in the order the Go
// init uses (libcontainer/initproc), and reports a failed step by name
// with its errno, which the host words as Go does.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/mount.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "nsenter.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

// Record tags: keep in step with nsenter/plan.go.
enum {
	PLAN_ARG = 1,
	PLAN_ENV,
	PLAN_CWD,
	PLAN_USER,
	PLAN_GROUP,
	PLAN_CAPS,
	PLAN_NO_NEW_PRIVS,
	PLAN_UMASK,
	PLAN_HOME,
	PLAN_SECCOMP,
	PLAN_PERSONALITY,
	PLAN_MEMPOLICY,
	PLAN_CONSOLE,
	PLAN_PRESERVE_FDS,
	PLAN_CREATE,
};

enum { CAP_BND, CAP_EFF, CAP_PRM, CAP_INH, CAP_AMB };

struct plan {
	char **argv, **envp;
	int argc, envc;
	const char *cwd;
	uint32_t uid, gid;
	gid_t *groups;
	int ngroups;
	int has_caps;
	uint64_t caps[5];
	int no_new_privs;
	int has_umask;
	uint32_t umask;
	int need_home;
	int has_seccomp, seccomp_notify;
	uint32_t seccomp_flags;
	struct sock_fprog seccomp;
	int has_personality;
	uint32_t personality;
	int has_mempolicy;
	uint32_t mempolicy_mode;
	unsigned long *nodemask;
	size_t nodemask_words;
	int console_fd, console_size, console_relay;
	uint16_t rows, cols;
	uint32_t preserve_fds;
	// create: a new container's first process (nsenter.Create)
	int create;
	int fifo_fd;
	uint32_t procfs;
	const char *keyring;
};

static void bad_plan(const char *what)
{
	hako_report(EINVAL, "exec plan: %s", what);
}

static uint32_t u32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t u64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

// xrealloc is realloc that reports running out of memory as a failed plan.
static void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size);
	if (p == NULL)
		hako_report(ENOMEM, "exec plan");
	return p;
}

// strv appends s to the NULL-terminated vector *v of *n entries.
static void strv(char ***v, int *n, char *s)
{
	*v = xrealloc(*v, sizeof(char *) * (size_t)(*n + 2));
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

// parse reads the records: tag u32, length u32, payload; strings carry
// their NUL. The buffer stays allocated: the plan points into it.
static void parse(char *buf, size_t len, struct plan *p)
{
	memset(p, 0, sizeof(*p));
	p->console_fd = -1;
	// empty vectors, NULL-terminated
	p->argv = xrealloc(NULL, sizeof(char *));
	p->envp = xrealloc(NULL, sizeof(char *));
	p->argv[0] = p->envp[0] = NULL;
	for (size_t o = 0; o < len;) {
		if (len - o < 8)
			bad_plan("truncated record header");
		uint32_t tag = u32(buf + o), n = u32(buf + o + 4);
		char *v = buf + o + 8;
		if (n > len - o - 8)
			bad_plan("truncated record");
		o += 8 + (size_t)n;
		int str = tag == PLAN_ARG || tag == PLAN_ENV || tag == PLAN_CWD;
		if (str && (n == 0 || v[n - 1] != '\0'))
			bad_plan("string without its NUL");
		switch (tag) {
		case PLAN_ARG:
			strv(&p->argv, &p->argc, v);
			break;
		case PLAN_ENV:
			strv(&p->envp, &p->envc, v);
			break;
		case PLAN_CWD:
			p->cwd = v;
			break;
		case PLAN_USER:
			if (n != 8)
				bad_plan("user");
			p->uid = u32(v);
			p->gid = u32(v + 4);
			break;
		case PLAN_GROUP:
			if (n != 4)
				bad_plan("group");
			p->groups = xrealloc(p->groups, sizeof(gid_t) * (size_t)(p->ngroups + 1));
			p->groups[p->ngroups++] = u32(v);
			break;
		case PLAN_CAPS:
			if (n != 40)
				bad_plan("capabilities");
			p->has_caps = 1;
			for (int i = 0; i < 5; i++)
				p->caps[i] = u64(v + 8 * i);
			break;
		case PLAN_NO_NEW_PRIVS:
			p->no_new_privs = 1;
			break;
		case PLAN_UMASK:
			if (n != 4)
				bad_plan("umask");
			p->has_umask = 1;
			p->umask = u32(v);
			break;
		case PLAN_HOME:
			p->need_home = 1;
			break;
		case PLAN_SECCOMP:
			// flags u32, notify u32, then 1 to BPF_MAXINSNS sock_filter
			// records (more would wrap sock_fprog's 16-bit length)
			if (n <= 8 || (n - 8) % sizeof(struct sock_filter) != 0 ||
			    (n - 8) / sizeof(struct sock_filter) > BPF_MAXINSNS)
				bad_plan("seccomp");
			p->has_seccomp = 1;
			p->seccomp_flags = u32(v);
			p->seccomp_notify = u32(v + 4) != 0;
			p->seccomp.len = (unsigned short)((n - 8) / sizeof(struct sock_filter));
			// copied: the record is not aligned for struct sock_filter
			p->seccomp.filter = xrealloc(NULL, n - 8);
			memcpy(p->seccomp.filter, v + 8, n - 8);
			break;
		case PLAN_PERSONALITY:
			if (n != 4)
				bad_plan("personality");
			p->has_personality = 1;
			p->personality = u32(v);
			break;
		case PLAN_MEMPOLICY:
			// mode u32, then the node mask as u64 words
			if (n < 4 || (n - 4) % 8 != 0)
				bad_plan("memory policy");
			p->has_mempolicy = 1;
			p->mempolicy_mode = u32(v);
			p->nodemask_words = (n - 4) / 8;
			if (p->nodemask_words > 0) {
				p->nodemask = xrealloc(NULL, n - 4);
				for (size_t i = 0; i < p->nodemask_words; i++)
					p->nodemask[i] = (unsigned long)u64(v + 4 + 8 * i);
			}
			break;
		case PLAN_CONSOLE:
			// socket fd u32, rows u16, cols u16, has size u8, relay u8
			if (n != 10)
				bad_plan("console");
			p->console_fd = (int)u32(v);
			memcpy(&p->rows, v + 4, 2);
			memcpy(&p->cols, v + 6, 2);
			p->console_size = v[8] != 0;
			p->console_relay = v[9] != 0;
			break;
		case PLAN_PRESERVE_FDS:
			if (n != 4)
				bad_plan("preserved fds");
			p->preserve_fds = u32(v);
			break;
		case PLAN_CREATE:
			// fifo fd u32, procfs count u32, keyring name with its NUL
			if (n < 9 || v[n - 1] != '\0' || u32(v + 4) > HAKO_MAX_FDS)
				bad_plan("create");
			p->create = 1;
			p->fifo_fd = (int)u32(v);
			p->procfs = u32(v + 4);
			p->keyring = v + 8;
			break;
		default:
			bad_plan("unknown record");
		}
	}
	if (p->argc == 0 || p->cwd == NULL)
		bad_plan("no args or cwd");
}

// expect_ok waits for the host's answer to a request: a JSON line whose
// type is "ok". Anything else means the host failed the step and has the
// error already: exit quietly.
static void expect_ok(void)
{
	char line[512];
	size_t n = 0;
	for (;;) {
		char c;
		if (hako_read_byte(&c) < 0)
			_exit(1);
		if (c == '\n')
			break;
		if (n < sizeof(line) - 1)
			line[n++] = c;
	}
	line[n] = '\0';
	if (strncmp(line, "{\"type\":\"ok\"", 12) != 0)
		_exit(1);
}

// cloexec_from keeps every fd from first up away from the process (the
// caller's leftovers, CVE-2024-21626): close-on-exec, so that the sync
// socket and the trace fd still work until the execve.
static void cloexec_from(unsigned int first)
{
	if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		hako_report(errno, "list fds");
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd >= (int)first && fd != dirfd(d))
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(d);
}

// setup_console makes a pty from the container's devpts, sends its master
// over the console socket (SCM_RIGHTS, the pty name as payload, as runc's
// receivers expect) and makes the slave stdio and controlling terminal.
static void setup_console(struct plan *p)
{
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		hako_report(errno, "open /dev/ptmx");
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		hako_report(errno, "unlock pty");
	unsigned int ptn;
	if (ioctl(master, TIOCGPTN, &ptn) < 0)
		hako_report(errno, "get pty number");
	// from the master itself: no path lookup the image could redirect
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		hako_report(errno, "open pty slave");
	if (p->console_size) {
		struct winsize ws = { .ws_row = p->rows, .ws_col = p->cols };
		if (ioctl(master, TIOCSWINSZ, &ws) < 0)
			hako_report(errno, "process.consoleSize");
	}
	if (p->console_relay) {
		struct termios t;
		if (tcgetattr(master, &t) < 0)
			hako_report(errno, "clear onlcr on pty");
		t.c_oflag &= ~(tcflag_t)ONLCR;
		if (tcsetattr(master, TCSANOW, &t) < 0)
			hako_report(errno, "clear onlcr on pty");
	}
	char name[64];
	int nlen = snprintf(name, sizeof(name), "/dev/pts/%u", ptn);
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec iov = { .iov_base = name, .iov_len = (size_t)nlen };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	if (sendmsg(p->console_fd, &mh, 0) < 0)
		hako_report(errno, "send pty master over console socket");
	for (int fd = 0; fd < 3; fd++)
		if (dup3(slave, fd, 0) < 0)
			hako_report(errno, "dup pty to fd %d", fd);
	if (ioctl(0, TIOCSCTTY, 0) < 0)
		hako_report(errno, "set controlling terminal");
	close(master);
	close(slave);
	close(p->console_fd);
}

// passwd_home is the home directory of uid in the container's
// /etc/passwd, "/" when the file or the entry is missing (runc's rule).
// Only a regular file is read: a fifo there must not hang the exec.
static char *passwd_home(uint32_t uid)
{
	int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0)
		return "/";
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return "/";
	}
	FILE *f = fdopen(fd, "r");
	if (f == NULL) {
		close(fd);
		return "/";
	}
	char want[16], *line = NULL, *home = "/";
	size_t cap = 0;
	ssize_t n;
	snprintf(want, sizeof(want), "%u", uid);
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		char *field[6], *rest = line;
		int nf = 0;
		while (nf < 6 && rest != NULL)
			field[nf++] = strsep(&rest, ":");
		if (nf == 6 && strcmp(field[2], want) == 0) {
			// the sixth field ends at the next ':'
			home = strdup(field[5]);
			break;
		}
	}
	fclose(f);
	return home != NULL ? home : "/";
}

static void load_seccomp(struct plan *p)
{
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->seccomp_flags, &p->seccomp);
	if (fd < 0 && errno == EINVAL && (p->seccomp_flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH)) {
		// no TSYNC_ESRCH before Linux 5.7; one thread here anyway
		unsigned int f = p->seccomp_flags & ~(unsigned int)(SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH);
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f, &p->seccomp);
	}
	if (fd < 0)
		hako_report(errno, "linux.seccomp: load seccomp filter");
	if (!p->seccomp_notify)
		return;
	// the host takes the listener with pidfd_getfd, by its number here
	hako_send("seccomp", NULL, "fd", fd, 0);
	expect_ok();
	close((int)fd);
}

// chown_stdio gives the process's stdio to its user, as runc does (only
// the owner; /dev/null and what may not be chowned are left alone).
static void chown_stdio(uint32_t uid)
{
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;
		if (fstat(fd, &st) < 0)
			hako_report(errno, "fstat stdio fd %d", fd);
		int dev_null = S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
		if (st.st_uid == uid || dev_null)
			continue;
		if (fchown(fd, uid, (gid_t)-1) < 0 && errno != EPERM && errno != EROFS)
			hako_report(errno, "chown stdio fd %d", fd);
	}
}

static void set_caps(struct plan *p)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(p->caps[CAP_EFF] >> (32 * i));
		data[i].permitted = (uint32_t)(p->caps[CAP_PRM] >> (32 * i));
		data[i].inheritable = (uint32_t)(p->caps[CAP_INH] >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		hako_report(errno, "capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		hako_report(errno, "clear ambient capabilities");
	for (int i = 0; i < 64; i++) {
		if (!(p->caps[CAP_AMB] & (1ULL << i)))
			continue;
		// a warning, as in runc: the host names the capability
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0)
			hako_send("ambient", NULL, "cap", i, errno);
	}
}

// executable says why execve would refuse p (0: it would not), with the
// process's final credentials (faccessat2 AT_EACCESS, as at execve).
static int executable(const char *p, int *stat_failed)
{
	struct stat st;
	*stat_failed = 0;
	if (stat(p, &st) < 0) {
		*stat_failed = 1;
		return errno;
	}
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (syscall(SYS_faccessat2, AT_FDCWD, p, X_OK, AT_EACCESS) == 0)
		return 0;
	if (errno != ENOSYS && errno != EPERM)
		return errno;
	// no faccessat2, or a filter refusing it: the mode bits
	return (st.st_mode & 0111) ? 0 : EACCES;
}

// look_path finds argv[0] as execve will see it with the process's PATH,
// and words failures as Go's exec.LookPath does (engines match them).
static char *look_path(struct plan *p)
{
	const char *file = p->argv[0];
	int stat_failed, err;
	if (strcmp(file, "") == 0 || strcmp(file, ".") == 0 || strcmp(file, "..") == 0)
		hako_report(0, "exec: \"%s\": executable file not found in $PATH", file);
	if (strchr(file, '/') != NULL) {
		if ((err = executable(file, &stat_failed)) == 0)
			return (char *)file;
		if (stat_failed)
			hako_report(err, "exec: \"%s\": stat %s", file, file);
		hako_report(err, "exec: \"%s\"", file);
	}
	const char *path = "";
	for (int i = 0; i < p->envc; i++)
		if (strncmp(p->envp[i], "PATH=", 5) == 0)
			path = p->envp[i] + 5;
	char *dirs = strdup(path), *rest = dirs;
	if (dirs == NULL)
		hako_report(ENOMEM, "exec: \"%s\"", file);
	for (char *dir; (dir = strsep(&rest, ":")) != NULL;) {
		if (*dir == '\0')
			dir = ".";
		size_t dl = strlen(dir);
		char *cand = malloc(dl + strlen(file) + 2);
		if (cand == NULL)
			hako_report(ENOMEM, "exec: \"%s\"", file);
		sprintf(cand, "%s%s%s", dir, dir[dl - 1] == '/' ? "" : "/", file);
		if (executable(cand, &stat_failed) != 0) {
			free(cand);
			continue;
		}
		// Go refuses these since 1.19, and so runc does
		if (dir[0] != '/')
			hako_report(0, "exec: \"%s\": cannot run executable found relative to current directory", file);
		return cand;
	}
	hako_report(0, "exec: \"%s\": executable file not found in $PATH", file);
}

// make_rootfs has the host make the container's rootfs: it needs one
// procfs context per proc mount from here, since a procfs takes the pid
// namespace of the process that opens it. The host mounts, pivots the
// root (this process's root moves with it; the cwd is entered later) and
// sets the hostname and sysctls from a thread in the container's other
// namespaces.
static void make_rootfs(struct plan *p)
{
	int fds[HAKO_MAX_FDS];
	for (uint32_t i = 0; i < p->procfs; i++) {
		fds[i] = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
		if (fds[i] < 0)
			hako_report(errno, "fsopen proc");
	}
	hako_send_fds("rootfs", fds, (int)p->procfs);
	for (uint32_t i = 0; i < p->procfs; i++)
		close(fds[i]);
	expect_ok();
	hako_trace("rootfs made by the host");
	// a private session keyring: the host's keys stay out of reach
	if (p->keyring[0] != '\0' && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, p->keyring) < 0 && errno != ENOSYS)
		hako_report(errno, "join session keyring");
}

void hako_apply(char *buf, size_t len)
{
	struct plan p;
	parse(buf, len, &p);
	// The host has seen the pid (oom_score_adj written) when it says 'p'.
	char ack;
	if (hako_read_byte(&ack) < 0 || ack != 'p')
		_exit(1);
	cloexec_from(3 + p.preserve_fds);
	// a new session: the process never shares the caller's terminal
	// session, and it can take a pty as controlling terminal
	if (setsid() < 0)
		hako_report(errno, "setsid");
	if (p.create)
		make_rootfs(&p);
	if (p.console_fd >= 0)
		setup_console(&p);
	if (p.has_personality && syscall(SYS_personality, (unsigned long)p.personality) < 0)
		hako_report(errno, "linux.personality");
	if (p.has_mempolicy && syscall(SYS_set_mempolicy, p.mempolicy_mode, p.nodemask_words ? p.nodemask : NULL,
				       p.nodemask_words ? p.nodemask_words * 64 + 1 : 0) < 0)
		hako_report(errno, "linux.memoryPolicy: set_mempolicy");
	if (p.need_home) {
		const char *home = passwd_home(p.uid);
		char *kv = malloc(strlen(home) + 6);
		if (kv == NULL)
			hako_report(ENOMEM, "HOME");
		sprintf(kv, "HOME=%s", home);
		strv(&p.envp, &p.envc, kv);
	}
	// without no_new_privs the kernel wants CAP_SYS_ADMIN for a filter
	if (p.has_seccomp && !p.no_new_privs)
		load_seccomp(&p);
	// the cwd with the runtime's privileges first, else as the user
	int cwd_later = 0;
	if (chdir(p.cwd) < 0) {
		if (errno != EACCES && errno != EPERM)
			hako_report(errno, "process.cwd %s", p.cwd);
		cwd_later = 1;
	}
	// the host sets rlimits, I/O priority and scheduler by pid now
	hako_send("limits", NULL, NULL, 0, 0);
	expect_ok();
	chown_stdio(p.uid);
	if (p.has_caps) {
		for (int i = 0; i < 64; i++)
			if (!(p.caps[CAP_BND] & (1ULL << i)) && prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0 && errno != EINVAL)
				hako_report(errno, "drop bounding capability %d", i);
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		hako_report(errno, "set keepcaps");
	// in a user namespace with setgroups denied, an empty list is fine
	if (setgroups((size_t)p.ngroups, p.groups) < 0 && !(errno == EPERM && p.ngroups == 0))
		hako_report(errno, "process.user.additionalGids");
	if (setresgid(p.gid, p.gid, p.gid) < 0)
		hako_report(errno, "process.user.gid %u", p.gid);
	if (setresuid(p.uid, p.uid, p.uid) < 0)
		hako_report(errno, "process.user.uid %u", p.uid);
	if (cwd_later && chdir(p.cwd) < 0)
		hako_report(errno, "process.cwd %s", p.cwd);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		hako_report(errno, "clear keepcaps");
	if (p.has_caps)
		set_caps(&p);
	// the uid change made the process dumpable as fs.suid_dumpable says;
	// it stays non-dumpable until its execve
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		hako_report(errno, "set non-dumpable");
	// an inherited directory outside the root would show as "(unreachable)"
	char cwd[4096];
	if (syscall(SYS_getcwd, cwd, sizeof(cwd)) < 0)
		hako_report(errno, "process.cwd: getcwd");
	if (cwd[0] != '/')
		hako_report(0, "process.cwd: current working directory is outside of the container root");
	if (p.has_umask)
		umask((mode_t)p.umask);
	char *path = look_path(&p);
	if (p.no_new_privs) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			hako_report(errno, "set no_new_privs");
		if (p.has_seccomp)
			load_seccomp(&p);
	}
	hako_trace("exec plan applied");
	hako_send("ready", NULL, NULL, 0, 0);
	if (p.create) {
		char name[16];
		close(hako_sync_fd);
		snprintf(name, sizeof(name), "%d", p.fifo_fd);
		hako_wait_start(p.fifo_fd, name);
	} else {
		hako_default_signals();
	}
	execve(path, p.argv, p.envp);
	char msg[256];
	dprintf(2, "hako init: exec \"%s\": %s\n", p.argv[0], hako_strerror(errno, msg, sizeof(msg)));
	_exit(127);
}
