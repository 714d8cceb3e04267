// Package logs writes hako's log lines: text like logrus (which engines are
// used to from runc) or one JSON object per line with lower-case levels,
// because containerd compares level == "error" on the last line.
package logs

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
)

// Level orders messages; only Debug is filtered (by --debug).
type Level int

const (
	Debug Level = iota
	Info
	Warn
	Error
)

func (l Level) String() string {
	switch l {
	case Debug:
		return "debug"
	case Info:
		return "info"
	case Warn:
		return "warning"
	}
	return "error"
}

// Logger is safe for concurrent use; a nil *Logger discards everything.
type Logger struct {
	mu    sync.Mutex
	w     io.Writer
	json  bool
	debug bool
}

// New returns a logger writing to w in "text" or "json" format.
func New(w io.Writer, format string, debug bool) (*Logger, error) {
	switch format {
	case "", "text":
		return &Logger{w: w, debug: debug}, nil
	case "json":
		return &Logger{w: w, json: true, debug: debug}, nil
	}
	return nil, fmt.Errorf("invalid log-format %q: must be text or json", format)
}

// Open appends to the file at path (created 0600), or stderr when path is "".
func Open(path, format string, debug bool) (*Logger, error) {
	if path == "" {
		return New(os.Stderr, format, debug)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_SYNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log file: %w", err)
	}
	return New(f, format, debug)
}

// Log writes one line.
func (l *Logger) Log(level Level, msg string) {
	if l == nil || (level == Debug && !l.debug) {
		return
	}
	now := time.Now()
	var line []byte
	if l.json {
		line, _ = json.Marshal(struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Time  string `json:"time"`
		}{level.String(), msg, now.Format(time.RFC3339Nano)})
	} else {
		line = []byte(`time="` + now.Format(time.RFC3339Nano) + `" level=` + level.String() + ` msg=` + strconv.Quote(msg))
	}
	line = append(line, '\n')
	l.mu.Lock()
	_, _ = l.w.Write(line)
	l.mu.Unlock()
}

func (l *Logger) Debugf(f string, a ...any) { l.Log(Debug, fmt.Sprintf(f, a...)) }
func (l *Logger) Warnf(f string, a ...any)  { l.Log(Warn, fmt.Sprintf(f, a...)) }
func (l *Logger) Errorf(f string, a ...any) { l.Log(Error, fmt.Sprintf(f, a...)) }
