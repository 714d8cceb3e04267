package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/hako-runtime/hako/libcontainer"
)

func init() {
	register(&cli.Command{
		Name:      "update",
		Usage:     "change the resource limits of a running container",
		ArgsUsage: "<container-id>",
		Description: `Changes the limits of the container's cgroup (linux.resources) and records
them in its state. Give limits as flags or as a JSON linux.resources
document with --resources (a file, or - for stdin); with --resources
every other flag is ignored, as in runc. Unchanged values may be left out:

    {"memory": {"limit": 0, "reservation": 0, "swap": 0},
     "cpu": {"shares": 0, "quota": 0, "burst": 0, "period": 0,
             "realtimeRuntime": 0, "realtimePeriod": 0,
             "cpus": "", "mems": "", "idle": 0},
     "blockIO": {"weight": 0}, "pids": {"limit": 0}}

Sizes take a unit (k, m, g, t, p; with b or ib); -1 means unlimited.`,
		Flags:        updateFlags(),
		BashComplete: completeIDs,
		Action:       runUpdate,
	})
}

// updateFlagNames are update's limit flags, in runc's order; they are all
// read as strings and parsed by applyUpdateFlags, so that an unparsable
// value names its flag.
var updateFlagNames = []struct{ name, usage string }{
	{"blkio-weight", "block IO weight, 10 to 1000"},
	{"cpu-period", "CFS period, in microseconds (0: the kernel's default)"},
	{"cpu-quota", "CFS quota: CPU time allowed per period, in microseconds"},
	{"cpu-burst", "CFS burst: CPU time that may accumulate beyond the quota, in microseconds"},
	{"cpu-share", "CPU shares (the weight against other cgroups)"},
	{"cpu-rt-period", "realtime period, in microseconds (0: the kernel's default)"},
	{"cpu-rt-runtime", "realtime runtime allowed per period, in microseconds"},
	{"cpuset-cpus", "CPUs to run on (e.g. 0-3,6)"},
	{"cpuset-mems", "memory nodes to use (e.g. 0,1)"},
	{"memory", "memory limit, in bytes or with a unit"},
	{"cpu-idle", "1 makes the cgroup SCHED_IDLE, 0 restores the default"},
	{"memory-reservation", "memory soft limit, in bytes or with a unit"},
	{"memory-swap", "memory plus swap limit, in bytes or with a unit; -1 for unlimited swap"},
	{"pids-limit", "maximum number of processes (-1: unlimited)"},
	{"l3-cache-schema", "Intel RDT/CAT L3 cache schema (not supported by hako)"},
	{"mem-bw-schema", "Intel RDT/MBA memory bandwidth schema (not supported by hako)"},
}

func updateFlags() []cli.Flag {
	fs := []cli.Flag{&cli.StringFlag{Name: "resources", Aliases: []string{"r"}, Usage: "path of a JSON linux.resources document, or - for stdin"}}
	for _, f := range updateFlagNames {
		fs = append(fs, &cli.StringFlag{Name: f.name, Usage: f.usage})
	}
	// Accepted and ignored (with a warning) as runc does; and hako's
	// older spelling of --cpu-share.
	for _, n := range []string{"kernel-memory", "kernel-memory-tcp", "cpu-shares"} {
		fs = append(fs, &cli.StringFlag{Name: n, Hidden: true})
	}
	return fs
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
	case len(sfx) > 3 || strings.IndexByte("kmgtp", sfx[0]) < 0 ||
		len(sfx) == 2 && sfx[1] != 'b' || len(sfx) == 3 && sfx[1:] != "ib":
		return 0, fmt.Errorf("invalid suffix %q in size %q", sfx, s)
	default:
		v *= float64(int64(1) << (10 * (strings.IndexByte("kmgtp", sfx[0]) + 1)))
	}
	// Go leaves the conversion of a float beyond int64 undefined (-2^63
	// on amd64: "1e19" became a negative limit), so such a size is refused.
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size %q: larger than %d bytes", s, int64(math.MaxInt64))
	}
	return int64(v), nil
}

func runUpdate(ctx *cli.Context) error {
	if err := checkArgs(ctx, 1, 1); err != nil {
		return err
	}
	resFile := ctx.String("resources")
	set := map[string]string{}
	for _, n := range ctx.LocalFlagNames() {
		if n != "resources" && n != "r" {
			set[n] = ctx.String(n)
		}
	}
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
	c, err := libcontainer.Load(g.root, ctx.Args().First())
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
