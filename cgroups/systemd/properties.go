package systemd

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hako-runtime/hako/cgroups/devices"
	"github.com/hako-runtime/hako/cgroups/fs2"
)

// infinity is how systemd spells "no limit" for uint64 properties.
const infinity = math.MaxUint64

func prop(name string, v any) sd.Property { return sd.Property{Name: name, Value: dbus.MakeVariant(v)} }

func limit(v int64) uint64 {
	if v < 0 {
		return infinity
	}
	return uint64(v)
}

// DeviceNames maps a (type, major) to the driver name systemd accepts in
// "char-<name>" (from /proc/devices); ok is false when unknown.
type DeviceNames func(typ byte, major int64) (name string, ok bool)

// Properties translates resources into systemd unit properties. It covers
// what systemd can hold; the rest is written by the fs2 driver. names may
// be nil (then major-only device rules are left to the eBPF filter).
func Properties(r *specs.LinuxResources, names DeviceNames) ([]sd.Property, error) {
	if r == nil {
		return nil, nil
	}
	var ps []sd.Property
	if m := r.Memory; m != nil {
		var lim, swap int64
		if m.Limit != nil {
			lim = *m.Limit
		}
		if m.Swap != nil {
			swap = *m.Swap
		}
		if lim != 0 {
			ps = append(ps, prop("MemoryMax", limit(lim)))
		}
		if m.Reservation != nil && *m.Reservation != 0 {
			ps = append(ps, prop("MemoryLow", limit(*m.Reservation)))
		}
		v2swap, err := fs2.SwapToV2(swap, lim)
		if err != nil {
			return nil, err
		}
		if v2swap != 0 || swap > 0 {
			ps = append(ps, prop("MemorySwapMax", limit(v2swap)))
		}
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil && *c.Shares != 0 {
			ps = append(ps, prop("CPUWeight", fs2.CPUSharesToWeight(*c.Shares)))
		}
		var period uint64
		if c.Period != nil && *c.Period != 0 {
			period = *c.Period
			ps = append(ps, prop("CPUQuotaPeriodUSec", period))
		}
		if c.Quota != nil && *c.Quota != 0 {
			ps = append(ps, prop("CPUQuotaPerSecUSec", quotaPerSec(*c.Quota, period)))
		}
		if c.Cpus != "" {
			b, err := bitmask(c.Cpus)
			if err != nil {
				return nil, fmt.Errorf("cpu.cpus: %w", err)
			}
			ps = append(ps, prop("AllowedCPUs", b))
		}
		if c.Mems != "" {
			b, err := bitmask(c.Mems)
			if err != nil {
				return nil, fmt.Errorf("cpu.mems: %w", err)
			}
			ps = append(ps, prop("AllowedMemoryNodes", b))
		}
	}
	if p := r.Pids; p != nil && p.Limit != nil {
		n := *p.Limit
		if n == 0 {
			n = 1 // systemd refuses 0; runc (and the fs drivers) make it 1
		}
		ps = append(ps, prop("TasksMax", limit(n)))
	}
	if b := r.BlockIO; b != nil && b.Weight != nil && *b.Weight != 0 {
		ps = append(ps, prop("IOWeight", fs2.BlkioWeightToIOWeight(*b.Weight)))
	}
	if len(r.Devices) > 0 {
		dp, err := deviceProperties(r.Devices, names)
		if err != nil {
			return nil, err
		}
		ps = append(ps, dp...)
	}
	up, err := unifiedProperties(r.Unified)
	if err != nil {
		return nil, err
	}
	return append(ps, up...), nil
}

// quotaPerSec converts a CFS quota into CPUQuotaPerSecUSec. systemd keeps
// CPUQuota as a whole percentage, so the value is rounded up to 10ms per
// second (as runc does) and the exact quota is then written by fs2.
func quotaPerSec(quota int64, period uint64) uint64 {
	if quota < 0 {
		return infinity
	}
	if period == 0 {
		period = 100000 // the kernel's default CFS period
	}
	v := uint64(quota) * 1000000 / period
	if v%10000 != 0 {
		v = (v/10000 + 1) * 10000
	}
	return v
}

// bitmask turns "0-2,7" into systemd's little-endian CPU/node mask.
func bitmask(list string) ([]byte, error) {
	var n big.Int
	for _, part := range strings.Split(strings.TrimSpace(list), ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("invalid list %q", list)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil || b < a {
				return nil, fmt.Errorf("invalid list %q", list)
			}
		}
		for i := a; i <= b; i++ {
			n.SetBit(&n, int(i), 1)
		}
	}
	be := n.Bytes()
	slices.Reverse(be)
	return be, nil
}

type deviceAllow struct {
	Path  string
	Perms string
}

// deviceProperties expresses the device rules for systemd where it can:
// systemd only has allow lists, so a default-allow state (with deny
// exceptions) becomes DevicePolicy=auto and no list, and is enforced by
// hako's own eBPF filter only.
func deviceProperties(rules []specs.LinuxDeviceCgroup, names DeviceNames) ([]sd.Property, error) {
	e, err := devices.FromSpec(rules)
	if err != nil {
		return nil, err
	}
	if e.DefaultAllow {
		return []sd.Property{prop("DevicePolicy", "auto"), prop("DeviceAllow", []deviceAllow{})}, nil
	}
	allow := []deviceAllow{}
	for _, r := range e.Exceptions() {
		kind := "char"
		if r.Type == 'b' {
			kind = "block"
		}
		var path string
		switch {
		case r.Major == devices.Wildcard:
			path = kind + "-*"
		case r.Minor == devices.Wildcard:
			name, ok := "", false
			if names != nil {
				name, ok = names(r.Type, r.Major)
			}
			if !ok {
				continue // left to the eBPF filter
			}
			path = kind + "-" + name
		default:
			path = fmt.Sprintf("/dev/%s/%d:%d", kind, r.Major, r.Minor)
		}
		allow = append(allow, deviceAllow{Path: path, Perms: r.Access.String()})
	}
	return []sd.Property{prop("DevicePolicy", "strict"), prop("DeviceAllow", allow)}, nil
}

// unifiedProperties mirrors the unified entries systemd also manages, so
// that systemd does not put its own value back later.
func unifiedProperties(u map[string]string) ([]sd.Property, error) {
	var ps []sd.Property
	for _, k := range slices.Sorted(maps.Keys(u)) {
		v := strings.TrimSpace(u[k])
		num := func() (uint64, error) {
			if v == "max" {
				return infinity, nil
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("unified[%q]: invalid value %q", k, v)
			}
			return n, nil
		}
		name := map[string]string{
			"memory.min": "MemoryMin", "memory.low": "MemoryLow", "memory.high": "MemoryHigh",
			"memory.max": "MemoryMax", "memory.swap.max": "MemorySwapMax", "pids.max": "TasksMax", "cpu.weight": "CPUWeight",
		}[k]
		switch {
		case name != "":
			n, err := num()
			if err != nil {
				return nil, err
			}
			ps = append(ps, prop(name, n))
		case k == "cpuset.cpus" || k == "cpuset.mems":
			b, err := bitmask(v)
			if err != nil {
				return nil, fmt.Errorf("unified[%q]: %w", k, err)
			}
			p := "AllowedCPUs"
			if k == "cpuset.mems" {
				p = "AllowedMemoryNodes"
			}
			ps = append(ps, prop(p, b))
		}
	}
	return ps, nil
}

const annotationPrefix = "org.systemd.property."

// propName is ^[A-Z][A-Za-z0-9]*$, compiled when first needed rather
// than at every hako start.
var propName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`) })

// AnnotationProperties turns "org.systemd.property.<Name>" annotations
// into properties. The value is in D-Bus variant text form ("true",
// "uint64 42", "'inactive-or-failed'"); a <Name>Sec property is passed as
// <Name>USec with its value converted to microseconds, as runc does.
func AnnotationProperties(annotations map[string]string) ([]sd.Property, error) {
	var ps []sd.Property
	for _, k := range slices.Sorted(maps.Keys(annotations)) {
		name, ok := strings.CutPrefix(k, annotationPrefix)
		if !ok {
			continue
		}
		if !propName().MatchString(name) {
			return nil, fmt.Errorf("annotation %s: invalid property name", k)
		}
		v, err := dbus.ParseVariant(annotations[k], dbus.Signature{})
		if err != nil {
			return nil, fmt.Errorf("annotation %s: %w", k, err)
		}
		if strings.HasSuffix(name, "Sec") {
			usec, err := toUSec(v)
			if err != nil {
				return nil, fmt.Errorf("annotation %s: %w", k, err)
			}
			name = strings.TrimSuffix(name, "Sec") + "USec"
			v = dbus.MakeVariant(usec)
		}
		ps = append(ps, sd.Property{Name: name, Value: v})
	}
	return ps, nil
}

func toUSec(v dbus.Variant) (uint64, error) {
	var sec float64
	switch x := v.Value().(type) {
	case uint8, uint16, uint32, uint64, int16, int32, int64:
		n, _ := strconv.ParseFloat(fmt.Sprint(x), 64)
		sec = n
	case float64:
		sec = x
	default:
		return 0, errors.New("a ...Sec value must be a number of seconds")
	}
	// sec*1e6 at 2^64 (float64's MaxUint64) would not convert: Go leaves
	// that undefined (2^63 on amd64).
	if !(sec >= 0) || sec*1e6 >= math.MaxUint64 {
		return 0, errors.New("seconds out of range")
	}
	return uint64(sec * 1e6), nil
}
