package logs

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestJSONLines(t *testing.T) {
	var b bytes.Buffer
	l, err := New(&b, "json", false)
	if err != nil {
		t.Fatal(err)
	}
	l.Debugf("hidden")
	l.Warnf("w %d", 1)
	l.Errorf("mount \"x\": %s", "boom")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines (debug filtered), got %q", lines)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(lines[1]), &m); err != nil {
		t.Fatal(err)
	}
	if m["level"] != "error" || m["msg"] != `mount "x": boom` || m["time"] == "" {
		t.Fatalf("bad object %v", m)
	}
}

func TestTextAndBadFormat(t *testing.T) {
	var b bytes.Buffer
	l, _ := New(&b, "text", true)
	l.Debugf("d")
	if !strings.Contains(b.String(), `level=debug msg="d"`) {
		t.Fatalf("got %q", b.String())
	}
	if _, err := New(&b, "xml", false); err == nil {
		t.Fatal("xml accepted")
	}
	var nl *Logger
	nl.Errorf("no panic")
}
