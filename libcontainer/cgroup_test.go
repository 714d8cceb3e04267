package libcontainer

import (
	"bytes"
	"os/exec"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestMergeResourcesKeepsUnsetFields(t *testing.T) {
	i := func(v int64) *int64 { return &v }
	u := func(v uint64) *uint64 { return &v }
	dst := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: i(64 << 20), Reservation: i(32 << 20)},
		CPU:    &specs.LinuxCPU{Shares: u(512), Cpus: "0"},
		Pids:   &specs.LinuxPids{Limit: i(10)},
	}
	mergeResources(dst, &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Swap: i(128 << 20)},
		CPU:    &specs.LinuxCPU{Quota: i(50000)},
	})
	m, c := dst.Memory, dst.CPU
	if *m.Limit != 64<<20 || *m.Reservation != 32<<20 || *m.Swap != 128<<20 {
		t.Fatalf("memory merged wrong: %+v", m)
	}
	if *c.Shares != 512 || c.Cpus != "0" || *c.Quota != 50000 || c.Period != nil {
		t.Fatalf("cpu merged wrong: %+v", c)
	}
	if *dst.Pids.Limit != 10 {
		t.Fatal("pids lost")
	}
}

func TestEffectiveResourcesAppendsDefaults(t *testing.T) {
	s := &specs.Spec{Linux: &specs.Linux{
		Resources: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}},
		Devices: []specs.LinuxDevice{
			{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229},
			{Path: "/dev/null", Type: "c", Major: 1, Minor: 3},
		},
	}}
	d := effectiveResources(s).Devices
	// linux.devices adds no rule; the default for /dev/null is dropped.
	if len(d) != len(defaultAllowed) || d[0].Allow {
		t.Fatalf("rules: %+v", d)
	}
	for _, r := range d[1:] {
		if r.Major != nil && (*r.Major == 10 && *r.Minor == 229 || *r.Major == 1 && *r.Minor == 3) {
			t.Fatalf("unexpected rule %+v", r)
		}
	}
	if last := d[len(d)-1]; *last.Major != 10 || *last.Minor != 200 {
		t.Fatalf("last rule %+v, want /dev/net/tun", last)
	}
	if len(s.Linux.Resources.Devices) != 1 {
		t.Fatal("spec modified")
	}
}

// A clone3 that the kernel refuses (here: the fd is a plain directory,
// not a cgroup, as the kernel refuses CLONE_INTO_CGROUP before 5.7 or a
// seccomp filter denies clone3) must still start the process, plainly.
func TestStartClonedFallsBackWhenRefused(t *testing.T) {
	fd, err := unix.Open(t.TempDir(), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	var out bytes.Buffer
	cmd := exec.Command("/bin/sh", "-c", "echo ran")
	cmd.Stdout = &out
	got, cloned, err := startCloned(cmd, fd)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	if cloned {
		t.Error("reported cloned into a directory that is no cgroup")
	}
	if got.SysProcAttr != nil && got.SysProcAttr.UseCgroupFD {
		t.Error("the plain start still asks for CLONE_INTO_CGROUP")
	}
	if err := got.Wait(); err != nil || out.String() != "ran\n" {
		t.Fatalf("wait: %v, output %q", err, out.String())
	}
}

func TestStartClonedWithoutFD(t *testing.T) {
	cmd := exec.Command("/bin/true")
	got, cloned, err := startCloned(cmd, -1)
	if err != nil || cloned || got != cmd {
		t.Fatalf("got %p (want %p), cloned %v, err %v", got, cmd, cloned, err)
	}
	if err := got.Wait(); err != nil {
		t.Fatal(err)
	}
}
