package libcontainer

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]unix.Signal{
		"9": unix.SIGKILL, "KILL": unix.SIGKILL, "SIGKILL": unix.SIGKILL, "kill": unix.SIGKILL,
		"sigterm": unix.SIGTERM, "TERM": unix.SIGTERM, "15": unix.SIGTERM, "HUP": unix.SIGHUP,
		"SIGUSR1": unix.SIGUSR1, "RTMIN": 34, "RTMIN+3": 37, "SIGRTMAX-1": 63, "64": 64, "0": 0,
	} {
		got, err := ParseSignal(in)
		if err != nil || got != want {
			t.Errorf("ParseSignal(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "65", "-1", "FOO", "SIGFOO", "RTMIN+40", "RTMIN+x"} {
		if _, err := ParseSignal(bad); err == nil {
			t.Errorf("ParseSignal(%q) accepted", bad)
		}
	}
}

func TestTransitions(t *testing.T) {
	for _, tc := range []struct {
		status Status
		op     Op
		err    string
	}{
		{Created, OpStart, ""},
		{Running, OpStart, "cannot start an already running container"},
		{Stopped, OpStart, "cannot start a container that has stopped"},
		{Stopped, OpKill, "container not running"},
		{Created, OpKill, ""},
		{Running, OpDelete, "cannot delete container c1 that is not stopped: running"},
		{Created, OpDelete, ""},
		{Stopped, OpDelete, ""},
		{Paused, OpExec, "cannot exec in a paused container"},
		{Running, OpPause, ""},
		{Created, OpPause, ""},
		{Paused, OpPause, "container not running"},
		{Paused, OpStart, "cannot start a container in the paused state"},
		{Paused, OpResume, ""},
		{Running, OpResume, "container not paused"},
	} {
		c := &Container{ID: "c1", Status: tc.status}
		err := c.Require(tc.op)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || len(err.Error()) < len(tc.err) || err.Error()[:len(tc.err)] != tc.err) {
			t.Errorf("%s in %s: %v, want %q", tc.op, tc.status, err, tc.err)
		}
	}
}
