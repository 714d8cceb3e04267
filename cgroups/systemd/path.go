package systemd

import (
	"fmt"
	"path/filepath"
	"strings"
)

// ParsePath splits a systemd cgroupsPath "slice:prefix:name" into the
// slice and the scope unit name "prefix-name.scope". An empty path gives
// runc's default with hako as prefix: system.slice (user.slice when
// rootless), "hako", the container id. An empty slice is system.slice.
func ParsePath(path, id string, rootless bool) (slice, unit string, err error) {
	defSlice := "system.slice"
	if rootless {
		defSlice = "user.slice"
	}
	prefix, name := "hako", id
	slice = defSlice
	if path != "" {
		parts := strings.Split(path, ":")
		if len(parts) != 3 {
			return "", "", fmt.Errorf("cgroupsPath %q: the systemd driver expects slice:prefix:name", path)
		}
		if parts[0] != "" {
			slice = parts[0]
		}
		prefix, name = parts[1], parts[2]
	}
	if name == "" {
		return "", "", fmt.Errorf("cgroupsPath %q: empty unit name", path)
	}
	if strings.HasSuffix(name, ".slice") {
		return "", "", fmt.Errorf("cgroupsPath %q: a slice as the container's unit is not supported", path)
	}
	unit = name + ".scope"
	if prefix != "" {
		unit = prefix + "-" + unit
	}
	if strings.ContainsAny(unit, "/\\ ") {
		return "", "", fmt.Errorf("cgroupsPath %q: invalid unit name %q", path, unit)
	}
	if _, err := ExpandSlice(slice); err != nil {
		return "", "", err
	}
	return slice, unit, nil
}

// ExpandSlice turns a slice name into its cgroup path: "a-b-c.slice" is
// /a.slice/a-b.slice/a-b-c.slice, "-.slice" is the root.
func ExpandSlice(slice string) (string, error) {
	const suffix = ".slice"
	if !strings.HasSuffix(slice, suffix) || len(slice) <= len(suffix) || strings.Contains(slice, "/") {
		return "", fmt.Errorf("invalid slice name %q", slice)
	}
	if slice == "-.slice" {
		return "/", nil
	}
	base := strings.TrimSuffix(slice, suffix)
	if strings.HasPrefix(base, "-") || strings.HasSuffix(base, "-") || strings.Contains(base, "--") {
		return "", fmt.Errorf("invalid slice name %q", slice)
	}
	path, prefix := "/", ""
	for _, comp := range strings.Split(base, "-") {
		prefix += comp
		path = filepath.Join(path, prefix+suffix)
		prefix += "-"
	}
	return path, nil
}
