package libcontainer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/libcontainer/validate"
)

const (
	// criuRootName, in a container's state directory, is where restore
	// binds the rootfs for CRIU (restore_linux.go).
	criuRootName = "criu-root"
	// criuYardName, beside it, is the empty directory CRIU's own mount
	// namespace mounts its cgroup yard on during a restore.
	criuYardName = "criu-yard"
	// cacheDir under the state root holds caches (compiled seccomp
	// filters); its name is not a valid container ID's start.
	cacheDir  = ".cache"
	stateFile = "state.json"
	// creatingFile is the creation record: what a create killed half-way
	// made and delete must remove (cgroup, init, resctrl group, host
	// rootfs mount). Only state.json makes a container exist.
	creatingFile = "creating.json"
	fifoName     = "exec.fifo"
)

// Container is one container's state directory, loaded and (usually)
// locked for the duration of one hako command.
type Container struct {
	ID     string
	Status Status
	dir    string
	lock   int // flock'ed directory fd, -1 when not locked
	st     persisted
	// HookDir is the working directory of poststart and poststop hooks:
	// runc's is the bundle in create and run (it changes there), the
	// caller's in start and delete.
	HookDir string
	// dirInfo is the state directory as read, to tell a deleted
	// container from a new one of the same name.
	dirInfo os.FileInfo
	// rawConfig is state.json's config until spec decodes it.
	rawConfig json.RawMessage
	// debris: a create that died before writing state.json left this
	// directory (st is its creation record, if it got that far).
	debris bool
}

// EnsureRoot creates the state root, private to its owner. A root under
// XDG_RUNTIME_DIR (sticky) gets the sticky bit, which the XDG Base
// Directory spec asks of files that must not be cleaned up while in use.
func EnsureRoot(root string, sticky bool) error {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return fmt.Errorf("create state root %s: %w", root, err)
	}
	if sticky {
		if err := os.Chmod(root, 0o700|os.ModeSticky); err != nil {
			return fmt.Errorf("state root %s: %w", root, err)
		}
	}
	return nil
}

// lockDir takes the per-container lock: an exclusive flock on the state
// directory itself, re-checked after it is granted because a concurrent
// delete may have removed the directory while we waited.
func lockDir(dir string, shared bool) (int, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	how := unix.LOCK_EX
	if shared {
		how = unix.LOCK_SH
	}
	if err := unix.Flock(fd, how); err != nil {
		unix.Close(fd)
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Nlink == 0 {
		unix.Close(fd)
		return -1, os.ErrNotExist
	}
	return fd, nil
}

// Load opens and locks the container, and derives its status.
//
// It waits for the lock only when the container exists in full (its
// state.json is written): a holder of that lock does bounded work and
// never waits for the container, a hook or an engine (see docs/
// architecture.md). A container still being created is locked by its
// creator for as long as the creator waits on hooks, the init, the
// console socket ...: it does not exist yet, as runc says, instead of
// this command waiting for all of that.
func Load(root, id string) (*Container, error) {
	fd, dir, err := openDir(root, id)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); errors.Is(err, unix.EWOULDBLOCK) {
		if !fileExists(filepath.Join(dir, stateFile)) {
			unix.Close(fd)
			return nil, notExist(id)
		}
		err = unix.Flock(fd, unix.LOCK_EX)
	} else if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("lock container %s: %w", id, err)
	}
	// Re-checked once granted: a concurrent delete may have removed the
	// directory while we waited.
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Nlink == 0 {
		unix.Close(fd)
		return nil, notExist(id)
	}
	c := &Container{ID: id, dir: dir, lock: fd}
	if err := c.read(true, false); err != nil {
		c.Unlock()
		return nil, err
	}
	return c, nil
}

// openDir validates id and opens the container's directory, whose flock
// is the container's lock; a missing one is runc's "does not exist".
func openDir(root, id string) (fd int, dir string, err error) {
	if err := validate.ID(id); err != nil {
		return -1, "", err
	}
	dir = filepath.Join(root, id)
	fd, err = unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return -1, dir, notExist(id)
	}
	if err != nil {
		return -1, dir, fmt.Errorf("open container %s: %w", id, err)
	}
	return fd, dir, nil
}

// View loads the container for reading (state, ps, events) without ever
// waiting for its lock: a hook that runs `state` while its runtime holds
// the lock must get an answer. A container whose creator holds the lock
// and has not written its state yet does not exist, as in runc.
func View(root, id string) (*Container, error) {
	fd, dir, err := openDir(root, id)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	locked := unix.Flock(fd, unix.LOCK_SH|unix.LOCK_NB) == nil
	c := &Container{ID: id, dir: dir, lock: -1}
	err = c.read(locked, false)
	var st unix.Stat_t
	if (err == nil && c.Status == Creating) || unix.Fstat(fd, &st) != nil || st.Nlink == 0 {
		return nil, notExist(id)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Exists reports whether the container's state directory is still the one
// it was loaded from (deleted, or deleted and created anew, is not).
func (c *Container) Exists() bool {
	st, err := os.Stat(c.dir)
	return err == nil && c.dirInfo != nil && os.SameFile(st, c.dirInfo)
}

// Unlock releases the lock; the Container must not be used afterwards.
func (c *Container) Unlock() {
	if c.lock >= 0 {
		unix.Close(c.lock)
		c.lock = -1
	}
}

// read loads state.json and derives the status from facts.
func (c *Container) read(locked, head bool) error {
	c.dirInfo, _ = os.Stat(c.dir)
	b, err := os.ReadFile(filepath.Join(c.dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		// No state yet: being created, unless we hold the lock, in
		// which case its creator died half-way and left debris. That
		// never runs: stopped, for delete to remove what the record
		// says was made.
		c.Status = Creating
		if locked {
			c.Status, c.debris = Stopped, true
			if b, err := os.ReadFile(filepath.Join(c.dir, creatingFile)); err == nil {
				// A torn record (impossible: it is renamed into place)
				// would leave st empty: the directory is still removed.
				_ = json.Unmarshal(b, &c.st)
			}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("read state of %s: %w", c.ID, err)
	}
	// The config is kept as JSON and decoded only by the verbs that need
	// it (see spec): a cold decode of specs.Spec is 2.5-3 ms, most of what
	// state, kill and list would spend here; list does not keep it at all.
	var h struct {
		persisted
		Config json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return fmt.Errorf("parse state of %s: %w", c.ID, err)
	}
	c.st = h.persisted
	c.st.Config = nil
	if !head && len(h.Config) > 0 && string(h.Config) != "null" {
		c.rawConfig = h.Config
	}
	c.refresh()
	return nil
}

// hookSpec is spec for the verbs that only need the hooks: a config
// without any (hako writes state.json itself, so the key is spelled
// plainly) gives an empty spec without the decode.
func (c *Container) hookSpec() (*specs.Spec, error) {
	if c.st.Config == nil && c.rawConfig != nil && !bytes.Contains(c.rawConfig, []byte(`"hooks"`)) {
		return &specs.Spec{}, nil
	}
	if c.debris {
		// a create killed before state.json: no config, no hooks
		return &specs.Spec{}, nil
	}
	return c.spec()
}

// spec is the config the container was created with, decoded from
// state.json the first time a verb asks for it.
func (c *Container) spec() (*specs.Spec, error) {
	if c.st.Config != nil {
		return c.st.Config, nil
	}
	if c.rawConfig == nil {
		// the debris of a killed create (its record has no config): an
		// error, never a nil spec a verb would dereference
		return nil, fmt.Errorf("container %s has no config (its create did not finish): delete it", c.ID)
	}
	s := &specs.Spec{}
	if err := json.Unmarshal(c.rawConfig, s); err != nil {
		return nil, fmt.Errorf("parse config in the state of %s: %w", c.ID, err)
	}
	c.st.Config, c.rawConfig = s, nil
	return s, nil
}

// refresh derives the status: init alive in a frozen cgroup = paused
// (a created container can be paused too, as in runc); alive with the
// fifo present and still waiting in it = created; alive otherwise =
// running; else stopped.
func (c *Container) refresh() {
	switch {
	case !c.st.initAlive():
		c.Status = Stopped
	case c.frozen():
		c.Status = Paused
	case fileExists(filepath.Join(c.dir, fifoName)) && c.st.initWaits():
		c.Status = Created
	default:
		c.Status = Running
	}
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func (c *Container) save() error {
	st := any(&c.st)
	if c.st.Config == nil && c.rawConfig != nil {
		// never decoded: written back as it was read
		st = &struct {
			persisted
			Config json.RawMessage `json:"config"`
		}{c.st, c.rawConfig}
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(c.dir, stateFile), b, 0o600)
}

// saveCreating writes the creation record: state without the config,
// which is what delete needs to undo a create killed before save.
func (c *Container) saveCreating() error {
	st := c.st
	st.Config, st.Annotations = nil, nil
	b, err := json.Marshal(&st)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(c.dir, creatingFile), b, 0o600); err != nil {
		return fmt.Errorf("write creation record: %w", err)
	}
	return nil
}

// Pid is the init's host pid, 0 once stopped (as runc reports it).
func (c *Container) Pid() int {
	if c.Status == Stopped {
		return 0
	}
	return c.st.InitPid
}

// Config is the spec the container was created with; an error if the
// state's copy of it cannot be decoded.
func (c *Container) Config() (*specs.Spec, error) { return c.spec() }

// State is the OCI state with runc's extra fields, in runc's field order.
type State struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      Status            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Owner       string            `json:"owner"`
}

// State reports the container as `state` and `list` print it.
func (c *Container) State() State {
	return State{
		OCIVersion: specs.Version, ID: c.ID, Pid: c.Pid(), Status: c.Status,
		Bundle: c.st.Bundle, Rootfs: c.st.Rootfs, Created: c.st.Created,
		Annotations: c.st.Annotations, Owner: owner(c.dir),
	}
}

// SpecState is the runtime-spec state given to hooks.
func (c *Container) SpecState() *specs.State {
	return &specs.State{
		Version: specs.Version, ID: c.ID, Status: specs.ContainerState(c.Status),
		Pid: c.Pid(), Bundle: c.st.Bundle, Annotations: c.st.Annotations,
	}
}

func owner(dir string) string {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return ""
	}
	ownerMu.Lock()
	defer ownerMu.Unlock()
	if name, ok := ownerNames[st.Uid]; ok {
		return name
	}
	id := strconv.Itoa(int(st.Uid))
	name := "#" + id
	if u, err := user.LookupId(id); err == nil {
		name = u.Username
	}
	ownerNames[st.Uid] = name
	return name
}

// ownerNames caches owner's passwd lookups for the process (list asks once
// per container, nearly always for the same uid).
var (
	ownerMu    sync.Mutex
	ownerNames = map[uint32]string{}
)

// List returns every container under root, sorted by ID. It does not wait
// for locks: a container whose creator holds its lock shows as creating.
func List(root string) ([]*Container, error) {
	ents, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Container
	for _, e := range ents {
		if !e.IsDir() || e.Name() == cacheDir || validate.ID(e.Name()) != nil {
			continue
		}
		c := &Container{ID: e.Name(), dir: filepath.Join(root, e.Name()), lock: -1}
		locked := false
		if fd, err := unix.Open(c.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
			if unix.Flock(fd, unix.LOCK_SH|unix.LOCK_NB) == nil {
				locked = true
			}
			unix.Close(fd)
		}
		if err := c.read(locked, true); err != nil {
			continue
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// removeStateDir removes a container's state directory. A restore killed
// half-way may have left its bind of the rootfs in it (criuRootName):
// that is detached first and never recursed into, or RemoveAll would
// delete the rootfs's own files through it.
func removeStateDir(dir string) error {
	p := filepath.Join(dir, criuRootName)
	for i := 0; i < 16; i++ {
		if err := unix.Unmount(p, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW); err != nil {
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
				break
			}
			return fmt.Errorf("unmount %s: %w", p, err)
		}
	}
	if m, err := mountinfo.Mounted(p); err == nil && m {
		return fmt.Errorf("remove state dir: %s is still a mount point", p)
	}
	return os.RemoveAll(dir)
}
