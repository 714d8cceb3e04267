package fs1

import (
	"slices"
	"testing"
)

func TestUsageAll(t *testing.T) {
	u, k := usageAll("cpu user system\n0 10 20\n1 30 40\n")
	if !slices.Equal(u, []uint64{10, 30}) || !slices.Equal(k, []uint64{20, 40}) {
		t.Errorf("user %v kernel %v", u, k)
	}
	for _, bad := range []string{"cpu user system\n", "cpu user system\n0 x 1\n", "cpu user system\n0 1\n"} {
		if u, k := usageAll(bad); u != nil || k != nil {
			t.Errorf("%q: user %v kernel %v", bad, u, k)
		}
	}
}
