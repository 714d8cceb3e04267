package libcontainer

import (
	"github.com/hako-runtime/hako/libcontainer/caps"
	"github.com/hako-runtime/hako/libcontainer/initproc"
	"github.com/hako-runtime/hako/libcontainer/validate"
	"github.com/hako-runtime/hako/nsenter"
)

// appliesInC says whether an exec'd process is set up by nsenter's C
// applier (nsenter/apply.c) from a plan the host composes, rather than by
// a Go init: no second Go runtime starts, which is most of an exec's cost.
// An LSM exec label stays with the Go init: its write to the container's
// procfs needs the checks of libcontainer/lsm (CVE-2025-52881 class), and
// the hosts that label every process are not the ones this path is for
// yet.
func (d *execInit) appliesInC() bool {
	p := d.spec.Process
	return p.ApparmorProfile == "" && p.SelinuxLabel == ""
}

// processPlan composes what the C applier applies for the process (see
// nsenter.ExecPlan), exec'd or a new container's first one; consoleFD is
// the console socket's fd in the stage, -1 without one.
func (sp *spawner) processPlan(consoleFD int) (*nsenter.ExecPlan, error) {
	p := sp.spec.Process
	env, hasHome, err := validate.Env(p.Env)
	if err != nil {
		return nil, err
	}
	plan := &nsenter.ExecPlan{
		Args: p.Args, Env: env, NeedHome: !hasHome, Cwd: p.Cwd,
		UID: p.User.UID, GID: p.User.GID,
		NoNewPrivileges: p.NoNewPrivileges, Umask: p.User.Umask,
		PreserveFDs: uint32(sp.o.PreserveFDs),
		Groups:      initproc.SupplementaryGroups(p.User),
	}
	if p.Capabilities != nil {
		s, _ := caps.FromSpec(p.Capabilities) // Exec warned about unknown names
		plan.Caps = &[5]uint64{uint64(s.Bounding), uint64(s.Effective), uint64(s.Permitted), uint64(s.Inheritable), uint64(s.Ambient)}
	}
	if prog := sp.seccomp; prog != nil {
		plan.Seccomp = &nsenter.SeccompFilter{Flags: uint32(prog.Flags), Notify: prog.Notify, Filter: prog.Instructions.Native()}
	}
	l := sp.spec.Linux
	if l.Personality != nil {
		v, err := validate.Personality(l.Personality)
		if err != nil {
			return nil, err
		}
		persona := uint32(v)
		plan.Personality = &persona
	}
	if l.MemoryPolicy != nil {
		mode, mask, err := validate.MemPolicy(l.MemoryPolicy)
		if err != nil {
			return nil, err
		}
		plan.MemPolicy = &nsenter.MemPolicy{Mode: uint32(mode), Mask: mask}
	}
	if consoleFD >= 0 {
		c := &nsenter.Console{SocketFD: uint32(consoleFD), Relay: sp.o.ConsoleConn != nil}
		if cs := p.ConsoleSize; cs != nil {
			c.HasSize, c.Rows, c.Cols = true, uint16(cs.Height), uint16(cs.Width)
		}
		plan.Console = c
	}
	return plan, nil
}
