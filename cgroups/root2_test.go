package cgroups

import (
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/cgroups/devices"
)

func TestRootUpdate(t *testing.T) {
	mode := needRoot(t)
	m := newManager(t, Config{})
	c := startChild(t, m, "sleep 100")
	c.send(t, "go") // the forked sleep gets charged to the new cgroup
	time.Sleep(50 * time.Millisecond)
	memFile, swapFile := "memory.limit_in_bytes", "memory.memsw.limit_in_bytes"
	ctrl := "memory"
	if mode == Unified {
		memFile, swapFile, ctrl = "memory.max", "memory.swap.max", ""
	}
	hasSwap := exists(m.Path(ctrl) + "/" + swapFile)
	steps := []struct{ mem, swap int64 }{{64 << 20, 128 << 20}, {256 << 20, 512 << 20}, {32 << 20, 32 << 20}}
	for _, s := range steps {
		r := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(s.mem)}}
		if hasSwap {
			r.Memory.Swap = i64(s.swap)
		}
		if err := m.Set(r); err != nil {
			t.Fatalf("set memory %d swap %d: %v", s.mem, s.swap, err)
		}
		if got := readFile(t, m, ctrl, memFile); got != itoa64(s.mem) {
			t.Errorf("%s = %s, want %d", memFile, got, s.mem)
		}
		if hasSwap {
			want := s.swap
			if mode == Unified {
				want = s.swap - s.mem
			}
			if got := readFile(t, m, ctrl, swapFile); got != itoa64(want) {
				t.Errorf("%s = %s, want %d", swapFile, got, want)
			}
		}
	}
	// Limits below the usage are refused with checkBeforeUpdate.
	yes := true
	err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(4096), CheckBeforeUpdate: &yes}})
	if err == nil || !strings.Contains(err.Error(), "checkBeforeUpdate") {
		t.Errorf("limit below usage: %v", err)
	}
	// CPU: quota then period alone keeps the quota.
	if err := m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(30000), Period: u64(100000)}}); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Period: u64(200000)}}); err != nil {
		t.Fatal(err)
	}
	if mode == Unified {
		if got := readFile(t, m, "", "cpu.max"); got != "30000 200000" {
			t.Errorf("cpu.max = %q", got)
		}
	} else if q, p := readFile(t, m, "cpu", "cpu.cfs_quota_us"), readFile(t, m, "cpu", "cpu.cfs_period_us"); q != "30000" || p != "200000" {
		t.Errorf("quota/period = %s/%s", q, p)
	}
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, m, "pids", "pids.max"); got != "max" {
		t.Errorf("pids.max = %q", got)
	}
}

func itoa64(v int64) string { return strconv.FormatInt(v, 10) }

func deviceRules(allowNull bool) []specs.LinuxDeviceCgroup {
	c := func(maj, min int64) (*int64, *int64) { return &maj, &min }
	zmaj, zmin := c(1, 5)
	rules := []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: zmaj, Minor: zmin, Access: "rwm"},
	}
	if allowNull {
		nmaj, nmin := c(1, 3)
		rules = append(rules, specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: nmaj, Minor: nmin, Access: "rw"})
	}
	return rules
}

// TestRootDevices checks enforcement: a denied device cannot be opened,
// an allowed one can, and an update changes that without a restart.
func TestRootDevices(t *testing.T) {
	mode := needRoot(t)
	m := newManager(t, Config{})
	c := startChild(t, m, `while read x; do
		if cat /dev/null 2>&-; then n=null-ok; else n=null-denied; fi
		if [ "$(head -c1 /dev/zero 2>&- | wc -c)" = 1 ]; then z=zero-ok; else z=zero-denied; fi
		echo $n $z
	done`)
	c.send(t, "go")
	if err := m.Set(&specs.LinuxResources{Devices: deviceRules(false)}); err != nil {
		t.Fatal(err)
	}
	c.send(t, "check")
	if got := c.line(t); got != "null-denied zero-ok" {
		t.Errorf("deny null: %q", got)
	}
	if err := m.Set(&specs.LinuxResources{Devices: deviceRules(true)}); err != nil {
		t.Fatal(err)
	}
	c.send(t, "check")
	if got := c.line(t); got != "null-ok zero-ok" {
		t.Errorf("after allowing null: %q", got)
	}
	if mode == Unified {
		fd, err := unix.Open(m.Path(""), unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		if ids, err := devices.Attached(fd); err != nil || len(ids) != 1 {
			t.Errorf("attached device programs = %v, %v; want exactly one (replaced, not stacked)", ids, err)
		}
	} else {
		got := readFile(t, m, "devices", "devices.list")
		if want := "c 1:3 rw\nc 1:5 rwm"; got != want && got != "c 1:5 rwm\nc 1:3 rw" {
			t.Errorf("devices.list = %q, want %q", got, want)
		}
	}
}

// TestRootPidsLimit shows pids.max stopping forks.
func TestRootPidsLimit(t *testing.T) {
	needRoot(t)
	m := newManager(t, Config{})
	// dash gives up at the first failed fork: "Cannot fork", exit 2.
	c := startChild(t, m, "for i in 1 2 3 4 5 6; do sleep 30 & done; echo spawned")
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(3)}}); err != nil {
		t.Fatal(err)
	}
	c.send(t, "go")
	if err := c.wait(t, 10*time.Second); err == nil {
		t.Errorf("shell could fork 6 times under pids.max=3")
	}
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(strings.ToLower(c.errBuf.String()), "fork"); {
		if time.Now().After(deadline) {
			t.Fatalf("no fork failure reported: %q", c.errBuf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	pids, err := m.Pids()
	if err != nil || len(pids) != 2 {
		t.Errorf("pids in cgroup = %v, %v; want the 2 sleeps that fit beside the shell", pids, err)
	}
	st, err := m.Stats()
	if err != nil || st.Pids.Current != 2 || st.Pids.Limit != 3 {
		t.Errorf("pids stats = %+v, %v", st.Pids, err)
	}
	// kill --all reaches the background sleeps too.
	if err := m.Kill(unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if p, _ := m.Pids(); len(p) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("processes survived Kill(SIGTERM)")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRootOOM shows a memory limit OOM-killing a hog and the OOM event.
func TestRootOOM(t *testing.T) {
	mode := needRoot(t)
	m := newManager(t, Config{})
	c := startChild(t, m, "exec tail /dev/zero")
	r := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(16 << 20)}}
	swapFile := "memory.memsw.limit_in_bytes"
	if mode == Unified {
		swapFile = "memory.swap.max"
	}
	if exists(m.Path("memory") + "/" + swapFile) {
		r.Memory.Swap = i64(16 << 20)
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := m.OOMEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.send(t, "go")
	select {
	case _, ok := <-events:
		if !ok {
			t.Fatal("event channel closed without an OOM")
		}
	case <-time.After(60 * time.Second):
		t.Fatal("no OOM event")
	}
	err = c.wait(t, 30*time.Second)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("hog exit = %v, want killed by SIGKILL", err)
	}
	if mode == Unified {
		st, err := m.Stats()
		if err != nil || st.Memory.EventCount.OOMKill == 0 {
			t.Errorf("stats oom_kill = %+v, %v", st.Memory.EventCount, err)
		}
	}
	cancel()
	for range events { // closed after cancel
	}
}
