package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/seccomp"
)

// The test binary plays three roles, chosen by envRole: the test itself,
// the agent (the real main code, as its own process), and a "container"
// child that loads a NOTIFY filter compiled by hako's seccomp package,
// sends the listener with seccomp.SendListener and makes syscalls.
const (
	envRole    = "HAKO_AGENT_TEST_ROLE"
	envSocket  = "HAKO_AGENT_TEST_SOCKET"
	envProgram = "HAKO_AGENT_TEST_PROGRAM"
	envDir     = "HAKO_AGENT_TEST_DIR"
)

func TestMain(m *testing.M) {
	switch os.Getenv(envRole) {
	case "agent":
		if err := run(os.Getenv(envSocket)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "container":
		os.Exit(container())
	}
	os.Exit(m.Run())
}

func container() int {
	runtime.LockOSThread()
	data, err := os.ReadFile(os.Getenv(envProgram))
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	var p seccomp.Program
	if err := json.Unmarshal(data, &p); err != nil {
		fmt.Println("error", err)
		return 1
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Println("error", err)
		return 1
	}
	fd, err := seccomp.Load(&p)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	state := specs.State{Version: specs.Version, ID: "test-1", Status: specs.StateCreating, Pid: os.Getpid(), Bundle: "/"}
	if err := seccomp.SendListener(p.ListenerPath, fd, state, p.ListenerMetadata); err != nil {
		fmt.Println("error", err)
		return 1
	}
	unix.Close(fd)

	dir := os.Getenv(envDir)
	raw := filepath.Join(dir, "raw")
	fmt.Println("mkdir", unix.Mkdir(raw, 0o755) == nil) // x/sys uses mkdirat
	path, _ := unix.BytePtrFromString(raw + "2")
	_, _, e := unix.Syscall(unix.SYS_MKDIR, uintptr(unsafe.Pointer(path)), 0o755, 0)
	fmt.Println("sysmkdir", int(e))
	fmt.Println("osmkdir", os.Mkdir(filepath.Join(dir, "os"), 0o755))
	fmt.Println("chmod", os.Chmod(filepath.Join(dir, "file"), 0o600))
	return 0
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestAgentEndToEnd(t *testing.T) {
	tmp := t.TempDir()
	sock := filepath.Join(tmp, "agent.sock")
	work := filepath.Join(tmp, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	var agentOut, agentErr syncBuffer
	agent := exec.Command(os.Args[0], "-test.run=^$")
	agent.Env = append(os.Environ(), envRole+"=agent", envSocket+"="+sock)
	agent.Stdout, agent.Stderr = &agentOut, &agentErr
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		agent.Process.Signal(unix.SIGTERM)
		agent.Wait()
	}()
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if i == 200 {
			t.Fatalf("agent did not listen: %s", agentErr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	p, err := seccomp.Compile(&specs.LinuxSeccomp{
		DefaultAction:    specs.ActAllow,
		ListenerPath:     sock,
		ListenerMetadata: "hello",
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir", "mkdirat", "fchmodat", "chmod"}, Action: specs.ActNotify},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(p)
	progPath := filepath.Join(tmp, "program.json")
	os.WriteFile(progPath, data, 0o600)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), envRole+"=container", envProgram+"="+progPath, envDir+"="+work)
	out, err := child.CombinedOutput()
	if err != nil {
		t.Fatalf("container child: %v\n%s\nagent: %s%s", err, out, agentOut.String(), agentErr.String())
	}
	for _, want := range []string{"mkdir true\n", "sysmkdir 0\n", "osmkdir <nil>\n", "chmod <nil>\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
	// Success was faked: nothing was created. chmod was let through.
	for _, name := range []string{"raw", "raw2", "os"} {
		if _, err := os.Stat(filepath.Join(work, name)); err == nil {
			t.Errorf("%s exists; the agent should only have faked success", name)
		}
	}
	if fi, err := os.Stat(filepath.Join(work, "file")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("chmod was not continued: %v %v", fi.Mode(), err)
	}
	pid := child.Process.Pid
	deadline := time.Now().Add(5 * time.Second)
	for _, want := range []string{
		fmt.Sprintf("container test-1 pid %d metadata hello", pid),
		fmt.Sprintf("%d mkdirat -> fake success", pid),
		fmt.Sprintf("%d mkdir -> fake success", pid),
		fmt.Sprintf("%d fchmodat -> continue", pid),
	} {
		for !strings.Contains(agentOut.String(), want) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if !strings.Contains(agentOut.String(), want) {
			t.Errorf("agent output lacks %q:\n%s%s", want, agentOut.String(), agentErr.String())
		}
	}
}
