package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hako-runtime/hako/libcontainer/caps"
)

// ExecOpts describe a process joining a running container.
type ExecOpts struct {
	Process       *specs.Process
	ConsoleSocket string
	ConsoleConn   *os.File
	PidFile       string
	PreserveFDs   int
	IgnorePaused  bool
}

// Exec starts o.Process inside the container's namespaces and cgroup and
// returns its host pid once it has been exec'd (it is a child of the
// calling process). The container's seccomp profile applies to it.
func (c *Container) Exec(o *ExecOpts) (int, error) {
	if err := c.Require(OpExec); err != nil && !(o.IgnorePaused && c.Status == Paused) {
		return 0, err
	}
	p := o.Process
	if p == nil || (len(p.Args) == 0 && p.CommandLine == "") {
		return 0, errors.New("process.args: must not be empty")
	}
	if p.Cwd == "" {
		p.Cwd = "/"
	}
	if _, err := caps.FromSpec(p.Capabilities); err != nil {
		return 0, err
	}
	if p.ApparmorProfile != "" || p.SelinuxLabel != "" {
		return 0, errors.New("process.apparmorProfile/selinuxLabel: LSM labels are not supported by hako yet")
	}
	if p.Terminal && o.ConsoleSocket == "" && o.ConsoleConn == nil {
		return 0, errors.New("cannot allocate tty if hako will detach without setting console socket")
	}
	spec := *c.st.Config
	spec.Process = p
	spec.Hooks = nil
	sp := &spawner{c: c, spec: &spec, execPid: c.st.InitPid, o: &CreateOpts{
		Root: filepath.Dir(c.dir), ID: c.ID, ConsoleSocket: o.ConsoleSocket, ConsoleConn: o.ConsoleConn,
		PreserveFDs: o.PreserveFDs, NoNewKeyring: true,
	}}
	if err := sp.run(); err != nil {
		sp.abort()
		return 0, fmt.Errorf("exec in container %s: %w", c.ID, err)
	}
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, sp.initPid); err != nil {
			return sp.initPid, err
		}
	}
	return sp.initPid, nil
}
