// Package fault is a test-only crash-point hook: tests/integration/crash.bats
// kills hako (or the container's init) at each named step of create, start,
// exec and delete, then checks that list and state tell the truth and that
// `delete --force` removes everything.
//
// Release builds compile Point to nothing (fault_off.go); only a binary
// built with the hako_faults tag (`make hako-faults`) reads:
//
//	HAKO_FAULT=<point>       SIGKILL this hako process at <point>
//	HAKO_FAULT_INIT=<point>  SIGKILL the process <point> names and go on (the
//	                         container's init; the CRIU worker at criu.*)
//	HAKO_FAULT_STOP=<point>  SIGSTOP this process at <point> (the test races
//	                         another command against it, then SIGCONTs it)
//	HAKO_FAULT_LOG=<file>    append each point reached, one name per line
//
// A value ending in "*" names every point with that prefix (criu.*:
// criu.request, after each message hako writes to CRIU, and
// criu.<notification>). Points are named <verb>.<step> (create.cgroup, exec.pid, delete.killed ...);
// a test first runs the lifecycle with HAKO_FAULT_LOG to learn every point
// reached, then crashes at each.
package fault
