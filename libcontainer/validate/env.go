package validate

import (
	"fmt"
	"slices"
	"strings"
)

// Env normalises process.env as runc does before execve: every entry must
// be NAME=value with a non-empty NAME; of duplicate names only the last
// entry is kept, at its place; an empty HOME is dropped, and hasHome says
// whether a non-empty one is left (if not, the init adds HOME from the
// image's passwd). A NUL byte is refused in the entries that are kept,
// which are the ones execve would see.
func Env(env []string) (out []string, hasHome bool, err error) {
	for i, kv := range env {
		switch strings.IndexByte(kv, '=') {
		case -1:
			return nil, false, fmt.Errorf("process.env[%d]: invalid environment variable %q: missing '='", i, kv)
		case 0:
			return nil, false, fmt.Errorf("process.env[%d]: invalid environment variable %q: name cannot be empty", i, kv)
		}
	}
	seen := make(map[string]bool, len(env))
	out = make([]string, 0, len(env))
	for i := len(env) - 1; i >= 0; i-- {
		kv := env[i]
		key, val, _ := strings.Cut(kv, "=")
		if seen[key] {
			continue
		}
		seen[key] = true
		if strings.IndexByte(kv, 0) >= 0 {
			return nil, false, fmt.Errorf("process.env[%d]: invalid environment variable %q: contains nul byte (\\x00)", i, key)
		}
		if key == "HOME" {
			if val == "" {
				continue
			}
			hasHome = true
		}
		out = append(out, kv)
	}
	slices.Reverse(out)
	return out, hasHome, nil
}
