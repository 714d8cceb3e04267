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

// parseBytes reads sizes as runc does (docker/go-units RAMInBytes): a
// number as far as its last digit, dot or space, then nothing, "b", or a
// binary unit k/m/g/t/p with an optional "b" or "ib"; -1 means unlimited.
func parseBytes(s string) (int64, error) {
	if s == "-1" {
		return -1, nil
	}
	sep := strings.LastIndexAny(s, "0123456789. ")
	if sep == -1 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	num, sfx := s[:sep+1], s[sep+1:]
	if s[sep] == ' ' {
		num = s[:sep]
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	sfx = strings.ToLower(sfx)
	switch {
	case sfx == "" || sfx == "b":
		return int64(v), nil
	case len(sfx) > 3 || strings.IndexByte("kmgtp", sfx[0]) < 0 ||
		len(sfx) == 2 && sfx[1] != 'b' || len(sfx) == 3 && sfx[1:] != "ib":
		return 0, fmt.Errorf("invalid suffix %q in size %q", sfx, s)
	}
	return int64(v * float64(int64(1)<<(10*(strings.IndexByte("kmgtp", sfx[0])+1)))), nil
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
		"cpu-share", "cpu-shares", "cpu-quota", "cpu-period", "cpu-burst", "cpu-rt-period", "cpu-rt-runtime", "cpu-idle",
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
	// As in runc, a resources file makes every other flag ignored.
	if resFile != "" {
		set = nil
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
	if m := r.Memory; m != nil && (m.Kernel != nil || m.KernelTCP != nil) {
		g.log.Warnf("Kernel memory settings are ignored and will be removed")
		m.Kernel, m.KernelTCP = nil, nil
	}
	// runc's fix-ups: an unlimited memory without a swap value makes swap
	// unlimited too (else the old memsw limit stays below it), and cpu.idle
	// alone leaves the shares alone (the kernel refuses shares on an idle
	// group).
	if m := r.Memory; m != nil && m.Limit != nil && *m.Limit == -1 && m.Swap == nil {
		zero := int64(0)
		m.Swap = &zero
	}
	if c := r.CPU; c != nil && c.Idle != nil && c.Shares == nil {
		zero := uint64(0)
		c.Shares = &zero
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
		case "memory", "memory-reservation", "memory-swap", "kernel-memory", "kernel-memory-tcp":
			var b int64
			if b, err = parseBytes(v); err != nil {
				return fmt.Errorf("--%s: %w", name, err)
			}
			switch name {
			case "memory":
				mem().Limit = &b
			case "memory-reservation":
				mem().Reservation = &b
			case "memory-swap":
				mem().Swap = &b
			case "kernel-memory":
				mem().Kernel = &b
			default:
				mem().KernelTCP = &b
			}
		case "cpu-share", "cpu-shares":
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
