package main

import (
	"fmt"
	"io"
	"os"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// stdioPipes stand between our stdio and a foreground process without a
// terminal, as runc's do: the process gets pipes owned by the container's
// root, never the caller's own files or terminal, which the init would
// otherwise chown to the process's user (see chownStdio in initproc).
type stdioPipes struct {
	child  []*os.File // the process's stdin, stdout, stderr
	parent []*os.File // our ends of the same pipes
	wg     sync.WaitGroup
}

func newStdioPipes(s *specs.Spec) (*stdioPipes, error) {
	uid, gid := hostRootIDs(s)
	p := &stdioPipes{}
	for i := 0; i < 3; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			p.close()
			return nil, err
		}
		for _, f := range []*os.File{r, w} {
			if err := unix.Fchown(int(f.Fd()), uid, gid); err != nil {
				r.Close()
				w.Close()
				p.close()
				return nil, fmt.Errorf("give the stdio pipes to the container's root (host uid %d, gid %d from linux.uidMappings and linux.gidMappings): %w", uid, gid, err)
			}
		}
		if i == 0 {
			p.child, p.parent = append(p.child, r), append(p.parent, w)
		} else {
			p.child, p.parent = append(p.child, w), append(p.parent, r)
		}
	}
	go func() {
		io.Copy(p.parent[0], os.Stdin)
		p.parent[0].Close()
	}()
	p.wg.Add(2)
	go p.copy(os.Stdout, p.parent[1])
	go p.copy(os.Stderr, p.parent[2])
	return p, nil
}

func (p *stdioPipes) copy(w io.Writer, r *os.File) {
	defer p.wg.Done()
	io.Copy(w, r)
}

// started drops our copies of the process's ends, so that its output
// ends when the last process holding them is gone.
func (p *stdioPipes) started() {
	for _, f := range p.child {
		f.Close()
	}
	p.child = nil
}

// wait returns once the process's output has been copied to the end.
func (p *stdioPipes) wait() {
	p.started()
	p.wg.Wait()
}

func (p *stdioPipes) close() {
	for _, f := range append(p.child, p.parent...) {
		f.Close()
	}
}

// hostRootIDs are the host ids of the container's root: the owner its
// stdio pipes need for a root in a user namespace to reopen them.
func hostRootIDs(s *specs.Spec) (uid, gid int) {
	if s == nil || s.Linux == nil {
		return 0, 0
	}
	find := func(m []specs.LinuxIDMapping) int {
		for _, e := range m {
			if e.ContainerID == 0 && e.Size > 0 {
				return int(e.HostID)
			}
		}
		return 0
	}
	return find(s.Linux.UIDMappings), find(s.Linux.GIDMappings)
}
