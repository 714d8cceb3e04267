package libcontainer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/checkpoint-restore/go-criu/v7/rpc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func inheritKeys(o *rpc.CriuOpts) string {
	var out []string
	for _, f := range o.InheritFd {
		out = append(out, f.GetKey()+"@"+string(rune('0'+f.GetFd())))
	}
	return strings.Join(out, " ")
}

func TestStdioStandIns(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	if err := os.WriteFile(log, []byte("x"), 0o640); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(log, &st); err != nil {
		t.Fatal(err)
	}
	logf, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	null := externalFile{Key: "file[1:2]", Mode: unix.S_IFCHR | 0o666, Rdev: unix.Mkdev(1, 3)}
	logExt := externalFile{Key: "file[1:3]", Mode: st.Mode}

	// pipes are inherited from ours; /dev/null given for /dev/null; the
	// log file stands in for itself
	s := &stdioInfo{Links: [3]string{"/dev/null", log, "pipe:[77]"}, External: [3]externalFile{null, logExt, {}}}
	o := &rpc.CriuOpts{}
	files, opened, err := s.standIns([]*os.File{r, logf, w}, o)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFiles(opened)
	if got, want := inheritKeys(o), "file[1:2]@0 file[1:3]@1 pipe:[77]@2"; got != want {
		t.Errorf("inherit fds %q, want %q", got, want)
	}
	if len(opened) != 1 || files[0] != opened[0] || files[1] != logf || files[2] != w {
		t.Errorf("stand-ins %v (opened %v)", files, opened)
	}

	// a pipe cannot stand in for a log file: refused, saying what to give
	s = &stdioInfo{Links: [3]string{"pipe:[1]", log, log}, External: [3]externalFile{{}, logExt, logExt}}
	_, _, err = s.standIns([]*os.File{r, w, w}, &rpc.CriuOpts{})
	if err == nil || !strings.Contains(err.Error(), "as restore's own fd 1 (1>>"+log+")") {
		t.Errorf("pipe for a log file: %v", err)
	}
	// nor a file of another mode
	if err := os.Chmod(log, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.standIns([]*os.File{r, logf, logf}, &rpc.CriuOpts{})
	if err == nil {
		t.Error("a file of another mode was accepted")
	}
}

func TestRestoreNamespaces(t *testing.T) {
	s := &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
		{Type: specs.PIDNamespace},
		{Type: specs.NetworkNamespace, Path: "/proc/self/ns/net"},
		{Type: specs.UTSNamespace, Path: "/proc/self/ns/uts"},
		{Type: specs.PIDNamespace, Path: "/proc/self/ns/pid"},
	}}}
	files, o, err := restoreNamespaces(s)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFiles(files)
	if got, want := inheritKeys(o), "extRootNetNS@4 extRootPidNS@5"; got != want || len(files) != 2 {
		t.Errorf("inherit fds %q (%d files), want %q", got, len(files), want)
	}
	if len(o.JoinNs) != 1 || o.JoinNs[0].GetNs() != "uts" || o.JoinNs[0].GetNsFile() != "/proc/self/ns/uts" {
		t.Errorf("join-ns %v", o.JoinNs)
	}
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace, Path: "/proc/self/ns/cgroup"})
	if _, _, err := restoreNamespaces(s); err == nil || !strings.Contains(err.Error(), "cgroup") {
		t.Errorf("cgroup namespace by path: %v", err)
	}
	s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.NetworkNamespace, Path: "/no/such/ns"}}
	if _, _, err := restoreNamespaces(s); err == nil || !strings.Contains(err.Error(), "linux.namespaces: network path /no/such/ns") {
		t.Errorf("missing namespace file: %v", err)
	}
}

func TestRestoreMounts(t *testing.T) {
	s := &specs.Spec{
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/data/", Type: "bind", Source: "/srv"},
		},
		Linux: &specs.Linux{MaskedPaths: []string{"/proc/kcore"}},
	}
	got := map[string]string{}
	for _, m := range restoreMounts(s) {
		got[m.GetKey()] = m.GetVal()
	}
	for k, v := range map[string]string{"/data": "/srv", "/dev/null": "/dev/null"} {
		if got[k] != v {
			t.Errorf("external mount %s -> %q, want %q", k, got[k], v)
		}
	}
	if _, ok := got["/proc"]; ok {
		t.Error("/proc is no external mount")
	}
}
