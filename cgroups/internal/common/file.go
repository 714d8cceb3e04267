package common

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Write is one planned write of Value into the interface file File of a
// cgroup. Controller names the v1 hierarchy the file lives in ("" on v2).
type Write struct {
	Controller string
	File       string
	Value      string
}

func (w Write) String() string {
	if w.Controller == "" {
		return w.File + "=" + w.Value
	}
	return w.Controller + ":" + w.File + "=" + w.Value
}

// CheckFileName rejects names that would leave the cgroup directory.
func CheckFileName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') || strings.ContainsRune(name, 0) {
		return fmt.Errorf("invalid cgroup file name %q", name)
	}
	return nil
}

// WriteFile writes value into dir/file the way cgroupfs wants it: one
// write(2) on an O_WRONLY|O_TRUNC fd, retried on EINTR. The error names
// the file and the value.
func WriteFile(dir, file, value string) error {
	if err := CheckFileName(file); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, file), os.O_WRONLY|os.O_TRUNC|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", file, err)
	}
	defer f.Close()
	for {
		_, err = f.Write([]byte(value))
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("write %q to %s: %w", value, file, err)
	}
	return nil
}

// ReadFile returns the content of dir/file with surrounding space trimmed.
func ReadFile(dir, file string) (string, error) {
	if err := CheckFileName(file); err != nil {
		return "", err
	}
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", file, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// ParseUint parses a cgroup number; "max" is math.MaxUint64 and negative
// numbers (v1 reports -1 for some unlimited values) are 0.
func ParseUint(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "max" {
		return math.MaxUint64, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		if i, ierr := strconv.ParseInt(s, 10, 64); ierr == nil && i < 0 {
			return 0, nil
		}
		return 0, fmt.Errorf("parse %q: %w", s, err)
	}
	return v, nil
}

// ReadUint reads a single number from dir/file.
func ReadUint(dir, file string) (uint64, error) {
	s, err := ReadFile(dir, file)
	if err != nil {
		return 0, err
	}
	v, err := ParseUint(s)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", file, err)
	}
	return v, nil
}

// ParseKeyValues parses a flat keyed file ("key value" per line). Lines
// whose value is not a number are skipped.
func ParseKeyValues(content string) map[string]uint64 {
	m := make(map[string]uint64)
	for _, line := range strings.Split(content, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		n, err := ParseUint(v)
		if err != nil {
			continue
		}
		m[k] = n
	}
	return m
}

// ReadKeyValues reads a flat keyed file such as memory.stat.
func ReadKeyValues(dir, file string) (map[string]uint64, error) {
	s, err := ReadFile(dir, file)
	if err != nil {
		return nil, err
	}
	return ParseKeyValues(s), nil
}

// Exists reports whether dir/file exists.
func Exists(dir, file string) bool {
	_, err := os.Stat(filepath.Join(dir, file))
	return err == nil
}

// ParseList parses a cpu or memory node list such as "0-3,5".
func ParseList(s string) []uint16 {
	var out []uint16
	for _, part := range strings.Split(strings.TrimSpace(s), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil || b < a {
				continue
			}
		}
		for i := a; i <= b; i++ {
			out = append(out, uint16(i))
		}
	}
	return out
}

// PidsMax is the pids.max value of linux.resources.pids.limit: negative
// is "max", and 0 is 1, as in runc (opencontainers/cgroups): systemd
// refuses TasksMax=0, every driver maps it the same way, and with one task
// allowed the container's process still runs (the limit is applied once
// the init exists).
func PidsMax(limit int64) string {
	switch {
	case limit < 0:
		return "max"
	case limit == 0:
		return "1"
	}
	return strconv.FormatInt(limit, 10)
}
