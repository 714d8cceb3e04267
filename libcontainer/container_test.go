package libcontainer

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// holdLock takes the container's lock as another command would.
func holdLock(t *testing.T, dir string) {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
}

// within fails the test when fn does not return in time: a wait for a
// lock held by someone else is a hang.
func within[T any](t *testing.T, fn func() (T, error)) (T, error) {
	t.Helper()
	type res struct {
		v   T
		err error
	}
	ch := make(chan res, 1)
	go func() { v, err := fn(); ch <- res{v, err} }()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-time.After(5 * time.Second):
		t.Fatal("waited for a lock held by another command")
	}
	var zero T
	return zero, nil
}

func TestLoadOfContainerBeingCreatedDoesNotWait(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "c1")
	if err := os.Mkdir(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	holdLock(t, dir) // the creator, state.json not written yet
	if _, err := within(t, func() (*Container, error) { return Load(root, "c1") }); !errors.Is(err, ErrNotExist) {
		t.Errorf("Load = %v, want %v", err, ErrNotExist)
	}
	if _, err := within(t, func() (*Container, error) { return View(root, "c1") }); !errors.Is(err, ErrNotExist) {
		t.Errorf("View = %v, want %v", err, ErrNotExist)
	}
}

func TestViewDoesNotWaitForTheLock(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "c1")
	if err := os.Mkdir(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(`{"id":"c1","bundle":"/b"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	holdLock(t, dir)
	c, err := within(t, func() (*Container, error) { return View(root, "c1") })
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != Stopped || c.State().Bundle != "/b" {
		t.Errorf("View = %s %q, want stopped /b", c.Status, c.State().Bundle)
	}
	if !c.Exists() {
		t.Error("Exists = false for a container still there")
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if c.Exists() {
		t.Error("Exists = true after the state dir was removed")
	}
}

// TestConfigDecodedOnDemand: state.json's config is kept as read until a
// verb needs it, written back unchanged by a save that never decoded it,
// and a broken one is an error of the verb that needs it, not of Load.
func TestConfigDecodedOnDemand(t *testing.T) {
	dir := t.TempDir()
	cfg := `{"ociVersion":"1.3.0","process":{"cwd":"/","args":["sh"],"user":{"uid":0,"gid":0}},"root":{"path":"rootfs"},"hooks":{"poststop":[{"path":"/bin/true"}]},"linux":{"resources":{"pids":{"limit":7}}}}`
	write := func(config string) {
		st := `{"id":"c","bundle":"/b","rootfs":"/b/rootfs","created":"2026-11-30T00:00:00Z","init_pid":0,"init_start":0,"config":` + config + `}`
		if err := os.WriteFile(filepath.Join(dir, stateFile), []byte(st), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(cfg)
	c := &Container{ID: "c", dir: dir, lock: -1}
	if err := c.read(true, false); err != nil {
		t.Fatal(err)
	}
	if c.st.Config != nil {
		t.Fatal("the config was decoded by Load")
	}
	if err := c.save(); err != nil {
		t.Fatal(err)
	}
	c2 := &Container{ID: "c", dir: dir, lock: -1}
	if err := c2.read(true, false); err != nil {
		t.Fatal(err)
	}
	s, err := c2.spec()
	if err != nil || s == nil || s.Linux.Resources.Pids.Limit == nil || *s.Linux.Resources.Pids.Limit != 7 {
		t.Fatalf("config after a save without decode: %+v, %v", s, err)
	}
	if h, err := c2.hookSpec(); err != nil || len(h.Hooks.Poststop) != 1 {
		t.Fatalf("hooks: %+v, %v", h, err)
	}
	// a config without hooks: no decode for the verbs that only need them
	write(`{"ociVersion":"1.3.0","linux":{}}`)
	c3 := &Container{ID: "c", dir: dir, lock: -1}
	if err := c3.read(true, false); err != nil {
		t.Fatal(err)
	}
	if h, err := c3.hookSpec(); err != nil || h.Hooks != nil || c3.st.Config != nil {
		t.Fatalf("hookSpec of a config without hooks: %+v, %v (decoded: %v)", h, err, c3.st.Config != nil)
	}
	// a config of the wrong shape fails the verb that needs it
	write(`{"ociVersion":1}`)
	c4 := &Container{ID: "c", dir: dir, lock: -1}
	if err := c4.read(true, false); err != nil {
		t.Fatalf("Load failed on a config it does not need: %v", err)
	}
	if _, err := c4.Config(); err == nil {
		t.Fatal("a broken config decoded without error")
	}
}

// A create killed half-way leaves its directory with the creation record
// and no state.json: stopped, with what the record says was made, and
// List/View say the same (crash.bats kills real creates at each point).
func TestDebrisOfKilledCreate(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "c1")
	if err := os.Mkdir(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	// init_pid 1 with a start time init never had: a recycled pid.
	rec := `{"id":"c1","bundle":"/b","init_pid":1,"init_start":1,"cgroup_paths":{"pids":"/sys/fs/cgroup/pids/c1"}}`
	if err := os.WriteFile(filepath.Join(dir, creatingFile), []byte(rec), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := within(t, func() (*Container, error) { return Load(root, "c1") })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Unlock()
	if !c.debris || c.Status != Stopped || c.Pid() != 0 {
		t.Errorf("debris %v status %s pid %d, want debris stopped 0", c.debris, c.Status, c.Pid())
	}
	if c.st.Bundle != "/b" || c.st.CgroupPaths["pids"] != "/sys/fs/cgroup/pids/c1" {
		t.Errorf("record not read: %+v", c.st)
	}
	if c.st.initAlive() {
		t.Error("pid 1 with another start time is not the recorded init")
	}
	if err := c.Require(OpDelete); err != nil {
		t.Errorf("delete of debris refused: %v", err)
	}
	c.Unlock()
	l, err := List(root)
	if err != nil || len(l) != 1 || l[0].Status != Stopped {
		t.Errorf("List = %v, %v; want c1 stopped", l, err)
	}
	if v, err := View(root, "c1"); err != nil || v.Status != Stopped {
		t.Errorf("View = %v, %v; want stopped", v, err)
	}
}

// The init still waits for start only while it is hako's (comm
// hako:init); a recorded pid that is gone counts as waiting (the status
// is then stopped anyway).
func TestInitWaits(t *testing.T) {
	self := persisted{InitPid: os.Getpid()}
	if self.initWaits() {
		t.Error("the test binary is not a waiting init")
	}
	gone := persisted{InitPid: 1 << 30}
	if !gone.initWaits() {
		t.Error("an unreadable comm must keep the fifo's answer")
	}
}

// A state directory is never seen under its name unlocked: the other
// verbs read such a directory as a killed create's debris (stopped, no
// config), and exec panicked on it in make stress. A prober opens and
// try-locks the name while directories are made and removed under it.
func TestMakeLockedDirNeverUnlocked(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "c1")
	stop := make(chan struct{})
	caught := make(chan string, 1)
	go func() {
		for {
			select {
			case <-stop:
				close(caught)
				return
			default:
			}
			fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				continue
			}
			if unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) == nil {
				var st unix.Stat_t
				// unlocked and still in place: the window
				if unix.Fstat(fd, &st) == nil && st.Nlink > 0 {
					select {
					case caught <- "the state directory was there unlocked":
					default:
					}
				}
			}
			unix.Close(fd)
		}
	}()
	for i := 0; i < 1000; i++ {
		lock, err := makeLockedDir(root, dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := makeLockedDir(root, dir); !errors.Is(err, os.ErrExist) {
			t.Fatalf("a second make of the same directory: %v, want os.ErrExist", err)
		}
		// removed while still locked, as delete does
		if err := os.Remove(dir); err != nil {
			t.Fatal(err)
		}
		unix.Close(lock)
	}
	close(stop)
	if msg, ok := <-caught; ok {
		t.Fatal(msg)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Errorf("left in the root: %v", ents)
	}
}
