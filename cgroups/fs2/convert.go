package fs2

import (
	"errors"
	"fmt"
	"math"
)

// CPUSharesToWeight maps v1 cpu.shares [2, 262144] onto v2 cpu.weight
// [1, 10000] with the curve current runc (>= 1.3.2) and crun (>= 1.23)
// use: log2(shares) goes through a quadratic chosen so that the minimum,
// the default (1024 -> 100) and the maximum map onto each other. 0 means
// unset and stays 0.
func CPUSharesToWeight(shares uint64) uint64 {
	switch {
	case shares == 0:
		return 0
	case shares <= 2:
		return 1
	case shares >= 262144:
		return 10000
	}
	x := math.Log2(float64(shares))
	// exponent(x) = (x^2 + 125x)/612 - 7/34: 1 at x=1, 2 at x=10, 4 at x=18.
	exp := (x*x+125*x)/612 - 7.0/34
	return uint64(math.Ceil(math.Pow(10, exp)))
}

// BlkioWeightToIOWeight maps blkio.weight [10, 1000] linearly onto
// io.weight [1, 10000]; 0 means unset.
func BlkioWeightToIOWeight(w uint16) uint64 {
	if w == 0 {
		return 0
	}
	return 1 + (uint64(w)-10)*9999/990
}

// SwapToV2 converts the spec's memory.swap (memory+swap, as in v1) into
// v2 memory.swap.max (swap only), the way runc does. Results: -1 means
// "max", 0 means leave unset unless both limits were given and are equal
// (then swap is disabled, see Plan).
func SwapToV2(swap, memory int64) (int64, error) {
	// Unlimited memory without a swap value: unlimited swap too, which is
	// what the same request does on v1.
	if memory == -1 && swap == 0 {
		return -1, nil
	}
	if swap == -1 || swap == 0 {
		return swap, nil
	}
	if memory == 0 || memory == -1 {
		return 0, errors.New("memory.swap: a swap limit needs a memory limit")
	}
	if memory < 0 {
		return 0, fmt.Errorf("memory.limit: invalid value %d", memory)
	}
	if swap < memory {
		return 0, fmt.Errorf("memory.swap: memory+swap limit %d is below memory limit %d", swap, memory)
	}
	return swap - memory, nil
}
