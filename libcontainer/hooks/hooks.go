// Package hooks runs OCI hooks: the state JSON on stdin, the hook's own
// args and env, and its timeout. It is used on the host (prestart,
// createRuntime, poststart, poststop) and inside the init (createContainer,
// startContainer), so it depends on nothing but the spec types.
package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Opts is the process context runc gives the hooks of one kind.
type Opts struct {
	// Dir is the working directory; "" keeps ours.
	Dir string
	// Env is the environment of a hook whose env is absent or empty; nil
	// leaves such a hook our own environment (what runc's host-side hooks
	// get).
	Env []string
}

// Run runs each hook in order and stops at the first failure. The error
// is runc's ("error running KIND hook #N: exit status 1, stdout: ...,
// stderr: ...") with the hook's path beside its index.
func Run(kind string, list []specs.Hook, state *specs.State, o Opts) error {
	if len(list) == 0 {
		return nil
	}
	in, err := json.Marshal(state)
	if err != nil {
		return err
	}
	for i, h := range list {
		if err := runOne(h, in, o); err != nil {
			return fmt.Errorf("error running %s hook #%d (%s): %w", kind, i, h.Path, err)
		}
	}
	return nil
}

// outputGrace bounds how long a hook that has exited may keep its stdout
// or stderr open through a child of its own: its output is then cut short
// instead of the runtime waiting forever.
const outputGrace = 2 * time.Second

func runOne(h specs.Hook, stdin []byte, o Opts) error {
	ctx := context.Background()
	if h.Timeout != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	args := h.Args
	if len(args) == 0 {
		args = []string{h.Path}
	}
	cmd := exec.CommandContext(ctx, h.Path)
	cmd.Args = args
	cmd.Dir = o.Dir
	cmd.Env = h.Env
	if len(h.Env) == 0 && o.Env != nil {
		cmd.Env = o.Env
	}
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = outputGrace
	// A hook past its timeout is killed with its process group: killing
	// only the hook (what exec.CommandContext does) would leave what it
	// started (the `sleep` of a `sh -c` hook) running, and holding the
	// hook's output open.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("hook ran past specified timeout of %.1fs", float64(*h.Timeout))
	}
	if err != nil {
		return fmt.Errorf("%w, stdout: %s, stderr: %s", err, stdout.String(), stderr.String())
	}
	return nil
}
