package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	verbs["update"] = verb{"update the resource limits of a container", runUpdate}
}

// parseBytes reads sizes as runc does: a number with an optional binary
// suffix (k, m, g, t, p, with or without "b"/"ib"); -1 means unlimited.
func parseBytes(s string) (int64, error) {
	if s == "-1" {
		return -1, nil
	}
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "b"), "i")
	mult := int64(1)
	if n := len(t); n > 0 {
		if i := strings.IndexByte("kmgtp", t[n-1]); i >= 0 {
			mult = 1 << (10 * (i + 1))
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return int64(v * float64(mult)), nil
}

type updateFlags struct {
	fs  *flag.FlagSet
	set map[string]string
}

func runUpdate(g *global, args []string) error {
	fs := newFlags("update", "<container-id>")
	var resFile string
	stringFlag(fs, &resFile, []string{"resources", "r"}, "", "path to a JSON linux.resources file, or - for stdin")
	names := []string{"memory", "memory-reservation", "memory-swap", "kernel-memory", "kernel-memory-tcp",
		"cpu-shares", "cpu-quota", "cpu-period", "cpu-burst", "cpu-rt-period", "cpu-rt-runtime", "cpu-idle",
		"cpuset-cpus", "cpuset-mems", "pids-limit", "blkio-weight", "l3-cache-schema", "mem-bw-schema"}
	vals := map[string]*string{}
	for _, n := range names {
		vals[n] = fs.String(n, "", "")
	}
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	set := map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		if _, ok := vals[f.Name]; ok {
			set[f.Name] = f.Value.String()
		}
	})
	r := &specs.LinuxResources{}
	if resFile != "" {
		var in io.Reader = os.Stdin
		if resFile != "-" {
			f, err := os.Open(resFile)
			if err != nil {
				return fmt.Errorf("--resources: %w", err)
			}
			defer f.Close()
			in = f
		}
		if err := json.NewDecoder(in).Decode(r); err != nil {
			return fmt.Errorf("--resources: parse %s: %w", resFile, err)
		}
	}
	if err := applyUpdateFlags(r, set); err != nil {
		return err
	}
	c, err := libcontainer.Load(g.root, pos[0])
	if err != nil {
		return err
	}
	defer c.Unlock()
	return c.Update(r)
}

func applyUpdateFlags(r *specs.LinuxResources, set map[string]string) error {
	i64 := func(name string) (*int64, error) {
		v, err := strconv.ParseInt(set[name], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("--%s: invalid value %q", name, set[name])
		}
		return &v, nil
	}
	u64 := func(name string) (*uint64, error) {
		v, err := strconv.ParseUint(set[name], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("--%s: invalid value %q", name, set[name])
		}
		return &v, nil
	}
	mem := func() *specs.LinuxMemory {
		if r.Memory == nil {
			r.Memory = &specs.LinuxMemory{}
		}
		return r.Memory
	}
	cpu := func() *specs.LinuxCPU {
		if r.CPU == nil {
			r.CPU = &specs.LinuxCPU{}
		}
		return r.CPU
	}
	for name, v := range set {
		var err error
		switch name {
		case "memory", "memory-reservation", "memory-swap":
			var b int64
			if b, err = parseBytes(v); err != nil {
				return fmt.Errorf("--%s: %w", name, err)
			}
			switch name {
			case "memory":
				mem().Limit = &b
			case "memory-reservation":
				mem().Reservation = &b
			default:
				mem().Swap = &b
			}
		case "kernel-memory", "kernel-memory-tcp":
			return fmt.Errorf("--%s: kernel memory limits are not supported (removed from the kernel)", name)
		case "cpu-shares":
			cpu().Shares, err = u64(name)
		case "cpu-quota":
			cpu().Quota, err = i64(name)
		case "cpu-period":
			cpu().Period, err = u64(name)
		case "cpu-burst":
			cpu().Burst, err = u64(name)
		case "cpu-rt-period":
			cpu().RealtimePeriod, err = u64(name)
		case "cpu-rt-runtime":
			cpu().RealtimeRuntime, err = i64(name)
		case "cpu-idle":
			cpu().Idle, err = i64(name)
		case "cpuset-cpus":
			cpu().Cpus = v
		case "cpuset-mems":
			cpu().Mems = v
		case "pids-limit":
			var p *int64
			if p, err = i64(name); err == nil {
				r.Pids = &specs.LinuxPids{Limit: p}
			}
		case "blkio-weight":
			var w *uint64
			if w, err = u64(name); err == nil {
				if *w > 1000 {
					return errors.New("--blkio-weight: must be at most 1000")
				}
				ww := uint16(*w)
				r.BlockIO = &specs.LinuxBlockIO{Weight: &ww}
			}
		case "l3-cache-schema", "mem-bw-schema":
			return fmt.Errorf("--%s: Intel RDT (resctrl) is not supported by hako", name)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
