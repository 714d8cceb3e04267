package devices

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// cgroup2Mount finds a cgroup v2 mount: the root on a v2 host, the
// "unified" mount of a hybrid host (device programs work there too).
func cgroup2Mount() string {
	for _, d := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		if _, err := os.Stat(filepath.Join(d, "cgroup.controllers")); err == nil {
			return d
		}
	}
	return ""
}

// TestAttachEnforcesAndReplaces loads the program into the kernel (so
// the verifier checks it), attaches it to a real cgroup with a shell in
// it, and checks that a denied device cannot be opened, that an update
// replaces the program instead of stacking a second one, and that the
// new policy is in force.
func TestAttachEnforcesAndReplaces(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	mnt := cgroup2Mount()
	if mnt == "" {
		t.Skip("no cgroup v2 mount")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	dir := filepath.Join(mnt, "hako-test-"+hex.EncodeToString(b))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", `while read x; do
		if cat /dev/null 2>&-; then n=null-ok; else n=null-denied; fi
		if [ "$(head -c1 /dev/zero 2>&- | wc -c)" = 1 ]; then z=zero-ok; else z=zero-denied; fi
		echo $n $z
	done`)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		for i := 0; i < 100; i++ {
			if err := unix.Rmdir(dir); err == nil || os.IsNotExist(err) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Errorf("could not remove %s", dir)
	})
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewReader(stdout)
	check := func() string {
		t.Helper()
		if _, err := io.WriteString(stdin, "check\n"); err != nil {
			t.Fatal(err)
		}
		ch := make(chan string, 1)
		go func() { s, _ := out.ReadString('\n'); ch <- strings.TrimSpace(s) }()
		select {
		case s := <-ch:
			return s
		case <-time.After(20 * time.Second):
			t.Fatal("no answer from the shell")
			return ""
		}
	}
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)

	if got := check(); got != "null-ok zero-ok" {
		t.Fatalf("before any program: %q", got)
	}
	rules := []specs.LinuxDeviceCgroup{
		rule(false, "a", nil, nil, "rwm"),
		rule(true, "c", i64(1), i64(5), "rwm"),
	}
	e, err := FromSpec(rules)
	if err != nil {
		t.Fatal(err)
	}
	if err := Attach(fd, e); err != nil {
		t.Fatal(err)
	}
	if got := check(); got != "null-denied zero-ok" {
		t.Errorf("deny all but zero: %q", got)
	}
	first, err := Attached(fd)
	if err != nil || len(first) != 1 {
		t.Fatalf("attached = %v, %v", first, err)
	}
	e, _ = FromSpec(append(rules, rule(true, "c", i64(1), i64(3), "rw")))
	if err := Attach(fd, e); err != nil {
		t.Fatal(err)
	}
	if got := check(); got != "null-ok zero-ok" {
		t.Errorf("after allowing null: %q", got)
	}
	second, err := Attached(fd)
	if err != nil || len(second) != 1 || second[0] == first[0] {
		t.Errorf("after update attached = %v (before %v), %v; want one new program", second, first, err)
	}
}
