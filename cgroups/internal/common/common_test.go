package common

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestStatsJSONShape(t *testing.T) {
	b, err := json.Marshal(&Stats{
		Hugetlb: map[string]Hugetlb{"2MB": {Usage: 1}},
		Blkio:   Blkio{IoServiceBytesRecursive: []BlkioEntry{{Major: 8, Op: "Read", Value: 1}}, IoQueuedRecursive: []BlkioEntry{{Value: 1}}},
		Memory:  Memory{Raw: map[string]uint64{"cache": 1}, Swap: MemoryEntry{Usage: 2}, EventCount: MemoryEventCount{OOMKill: 1}},
		CPU:     CPU{Usage: CPUUsage{Kernel: 5}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	// Key names engines read from runc's `events --stats` (runc's
	// types.Stats): zero structs are left out (omitzero), intel_rdt and
	// network_interfaces are always there.
	for _, k := range []string{`"cpu":{"usage":{"kernel":5,"user":0}}`, `"cpuset":{"cpu_exclusive":0`,
		`"memory":{"swap":{"limit":0,"usage":2,"failcnt":0},"raw":{"cache":1}}`, `"pids":{}`,
		`"blkio":{"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":1}]`, `"ioQueueRecursive":`,
		`"hugetlb":{"2MB":{"usage":1,"failcnt":0}}`, `"intel_rdt":{}`, `"network_interfaces":null`} {
		if !strings.Contains(s, k) {
			t.Errorf("JSON lacks %s:\n%s", k, s)
		}
	}
	// Not in runc's document: empty throttling, empty memory entries, and
	// the OOM counters hako keeps for itself.
	for _, k := range []string{`"throttling"`, `"kernelTCP"`, `"event_count"`, `"usage":{"limit"`} {
		if strings.Contains(s, k) {
			t.Errorf("JSON has %s:\n%s", k, s)
		}
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "memory.stat"), []byte("anon 10\nfile 20\nbad x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	kv, err := ReadKeyValues(dir, "memory.stat")
	if err != nil || kv["anon"] != 10 || kv["file"] != 20 || len(kv) != 2 {
		t.Errorf("ReadKeyValues = %v, %v", kv, err)
	}
	if err := WriteFile(dir, "memory.stat", "x"); err != nil {
		t.Errorf("WriteFile: %v", err)
	}
	if err := WriteFile(dir, "nosuch", "1"); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("WriteFile on a missing file must fail naming it: %v", err)
	}
	for _, bad := range []string{"../x", "a/b", "", ".."} {
		if err := WriteFile(dir, bad, "1"); err == nil {
			t.Errorf("WriteFile(%q) escaped the cgroup", bad)
		}
	}
	for s, want := range map[string]uint64{"max": 1<<64 - 1, "-1": 0, "42\n": 42} {
		if got, err := ParseUint(s); err != nil || got != want {
			t.Errorf("ParseUint(%q) = %d, %v", s, got, err)
		}
	}
	if got := ParseList("0-2,5"); !slices.Equal(got, []uint16{0, 1, 2, 5}) {
		t.Errorf("ParseList = %v", got)
	}
	// AllProcs walks sub-cgroups; RemoveTree removes the tree.
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "a", "cgroup.procs"), []byte("7\n3\n"), 0o644)
	os.WriteFile(filepath.Join(sub, "cgroup.procs"), []byte("5\n3\n"), 0o644)
	if got, err := AllProcs(filepath.Join(dir, "a")); err != nil || !slices.Equal(got, []int{3, 5, 7}) {
		t.Errorf("AllProcs = %v, %v", got, err)
	}
	if got, err := AllProcs(filepath.Join(dir, "missing")); err != nil || got != nil {
		t.Errorf("AllProcs(missing) = %v, %v", got, err)
	}
}

func TestWatchV2OOM(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "memory.events")
	if err := os.WriteFile(f, []byte("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := WatchV2OOM(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, []byte("max 9\noom 3\noom_kill 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // oom_kill went from 1 to 3
		select {
		case _, ok := <-ch:
			if !ok {
				t.Fatal("closed early")
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d missing", i+1)
		}
	}
	select {
	case <-ch:
		t.Fatal("an event without an oom_kill increase")
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("event after cancel")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed after cancel")
	}
	if _, err := WatchV2OOM(context.Background(), t.TempDir()); err == nil {
		t.Error("watching a cgroup without memory.events succeeded")
	}
}
