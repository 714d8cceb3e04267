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
