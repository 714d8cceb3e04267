package nsenter

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// criuStage runs "hako-criu-ns 3 <yard> /bin/sh -c script" (the stage
// CRIU's worker is started through) with a SOCK_SEQPACKET at fd 3 and
// returns the stage's message and the script's output.
func criuStage(t *testing.T, yard, script string) (msg, out string, err error) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (unshare of the mount namespace)")
	}
	self, _ := os.Executable()
	fds, e := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if e != nil {
		t.Fatal(e)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "ours"), os.NewFile(uintptr(fds[1]), "theirs")
	defer ours.Close()
	var b strings.Builder
	cmd := &exec.Cmd{
		Path:       self,
		Args:       []string{"hako-criu-ns", "3", yard, "/bin/sh", "-c", script},
		ExtraFiles: []*os.File{theirs},
		Stdout:     &b,
		Stderr:     &b,
	}
	if e := cmd.Start(); e != nil {
		t.Fatal(e)
	}
	theirs.Close()
	buf := make([]byte, 512)
	n, _ := ours.Read(buf)
	err = cmd.Wait()
	return string(buf[:n]), b.String(), err
}

// The worker's namespace is its own: the yard tmpfs is mounted there and
// not in ours, and a shared mount of ours is a slave there (mountinfo's
// master:), so that what the host mounts later still reaches it.
func TestCriuNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	yard := t.TempDir()
	shared := t.TempDir()
	if err := unix.Mount("tmpfs", shared, "tmpfs", 0, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(shared, unix.MNT_DETACH) })
	if err := unix.Mount("", shared, "", unix.MS_SHARED, ""); err != nil {
		t.Fatal(err)
	}
	msg, out, err := criuStage(t, yard, `grep " `+yard+` " /proc/self/mountinfo; grep " `+shared+` " /proc/self/mountinfo; readlink /proc/self/ns/mnt`)
	if err != nil || msg != "ok" {
		t.Fatalf("stage: %v, message %q, output %q", err, msg, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], " - tmpfs tmpfs ") {
		t.Fatalf("no yard tmpfs in the worker's namespace: %q", out)
	}
	if !strings.Contains(lines[1], " master:") || strings.Contains(lines[1], " shared:") {
		t.Errorf("our shared mount is not a slave there: %q", lines[1])
	}
	ours, _ := os.Readlink("/proc/self/ns/mnt")
	if lines[2] == ours {
		t.Errorf("the worker is in our mount namespace (%s)", ours)
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mi), " "+yard+" ") {
		t.Errorf("the yard is mounted in our namespace")
	}
	if ents, _ := os.ReadDir(yard); len(ents) != 0 {
		t.Errorf("the yard directory is not empty here: %v", ents)
	}
}

// A yard that cannot be mounted is the stage's message; the program never
// runs.
func TestCriuNamespaceBadYard(t *testing.T) {
	yard := filepath.Join(t.TempDir(), "nosuch")
	msg, out, err := criuStage(t, yard, "echo ran")
	if err == nil || !strings.HasPrefix(msg, "criu cgroup yard "+yard+": no such file or directory") || strings.Contains(out, "ran") {
		t.Fatalf("stage: %v, message %q, output %q", err, msg, out)
	}
}

// Without a yard ("-") nothing is mounted; the program runs.
func TestCriuNamespaceNoYard(t *testing.T) {
	msg, out, err := criuStage(t, "-", "echo ran")
	if err != nil || msg != "ok" || out != "ran\n" {
		t.Fatalf("stage: %v, message %q, output %q", err, msg, out)
	}
}
