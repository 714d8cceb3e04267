package fault

import "testing"

// The release build must carry no crash point: Point is a no-op there.
func TestReleaseBuildIsInert(t *testing.T) {
	if Enabled {
		t.Skip("built with hako_faults")
	}
	t.Setenv("HAKO_FAULT", "x")
	Point("x", 0) // would SIGKILL the test binary if it were live
}
