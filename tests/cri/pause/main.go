// Command pause is the pod sandbox image's only program for hack/test-cri.sh:
// no registry is reachable, so Kubernetes' pause image is replaced by this
// static binary. Like the real one it holds the pod's namespaces open,
// exits 0 on SIGTERM or SIGINT, and reaps children, since as PID 1 of a
// shared-PID pod it inherits every orphan of the pod's containers.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		// SIGCHLD coalesces: one signal may stand for several exits.
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
