package nsenter

/*
#cgo CFLAGS: -Wall -O2
#include <sys/resource.h>
extern void hako_nsenter(int argc, char **argv, char **envp);
#include <time.h>
extern struct rlimit hako_nofile_at_start;
extern struct timespec hako_ctor_time;
extern int hako_nofile_known;
// glibc passes argc, argv and envp to ELF constructors.
void __attribute__((constructor)) hako_nsenter_init(int argc, char **argv, char **envp) { hako_nsenter(argc, argv, envp); }
*/
import "C"

// NofileAtStart is the RLIMIT_NOFILE soft and hard limit of "hako init"
// as it was exec'd, before the Go runtime raised the soft limit to the
// hard one; ok is false outside "hako init".
func NofileAtStart() (cur, max uint64, ok bool) {
	if C.hako_nofile_known == 0 {
		return 0, 0, false
	}
	return uint64(C.hako_nofile_at_start.rlim_cur), uint64(C.hako_nofile_at_start.rlim_max), true
}

// ConstructorTime is when this process's image started running code: the
// C constructor, before the Go runtime (for libcontainer/trace).
func ConstructorTime() (sec, nsec int64) {
	return int64(C.hako_ctor_time.tv_sec), int64(C.hako_ctor_time.tv_nsec)
}
