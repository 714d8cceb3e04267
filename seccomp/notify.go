package seccomp

import (
	"encoding/json"
	"fmt"
	"net"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hako-runtime/hako/internal/fdpass"
)

// sendTimeout bounds connecting to and writing to the agent, so that a
// dead agent fails the create instead of hanging it.
const sendTimeout = 10 * time.Second

// SendListener hands a seccomp listener fd to the agent listening on the
// unix stream socket listenerPath, with the protocol runc uses: one
// message whose data is the OCI ContainerProcessState JSON (ociVersion,
// fds ["seccompFd"], pid, metadata, state) and whose SCM_RIGHTS control
// message carries fd. The caller keeps fd and may close it afterwards.
func SendListener(listenerPath string, fd int, state specs.State, metadata string) error {
	msg, err := json.Marshal(specs.ContainerProcessState{
		Version:  specs.Version,
		Fds:      []string{specs.SeccompFdName},
		Pid:      state.Pid,
		Metadata: metadata,
		State:    state,
	})
	if err != nil {
		return fmt.Errorf("send seccomp listener: %w", err)
	}
	conn, err := net.DialTimeout("unix", listenerPath, sendTimeout)
	if err != nil {
		return fmt.Errorf("send seccomp listener: %w", err)
	}
	defer conn.Close()
	uc := conn.(*net.UnixConn)
	if err := uc.SetDeadline(time.Now().Add(sendTimeout)); err != nil {
		return fmt.Errorf("send seccomp listener: %w", err)
	}
	n, err := fdpass.Send(uc, msg, fd)
	if err != nil {
		return fmt.Errorf("send seccomp listener to %s: %w", listenerPath, err)
	}
	if n < len(msg) { // a stream socket may take part of it; the fd went with the first part
		if _, err := uc.Write(msg[n:]); err != nil {
			return fmt.Errorf("send seccomp listener to %s: %w", listenerPath, err)
		}
	}
	return nil
}
