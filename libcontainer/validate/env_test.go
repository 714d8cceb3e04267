package validate

import (
	"reflect"
	"strings"
	"testing"
)

func TestEnv(t *testing.T) {
	for _, tc := range []struct {
		in      []string
		out     []string
		hasHome bool
		err     string
	}{
		{nil, []string{}, false, ""},
		{[]string{"A=1", "B=2", "A=3"}, []string{"B=2", "A=3"}, false, ""},
		{[]string{"HOME=/h"}, []string{"HOME=/h"}, true, ""},
		{[]string{"HOME=/h", "HOME="}, []string{}, false, ""},
		{[]string{"HOME=", "HOME=/h"}, []string{"HOME=/h"}, true, ""},
		{[]string{"A==b", "EMPTY="}, []string{"A==b", "EMPTY="}, false, ""},
		{[]string{"A=x\x00y", "A=ok"}, []string{"A=ok"}, false, ""},
		{[]string{"A=ok", "NOEQUALS"}, nil, false, `process.env[1]: invalid environment variable "NOEQUALS": missing '='`},
		{[]string{"=x"}, nil, false, "name cannot be empty"},
		{[]string{"A=x\x00y"}, nil, false, `process.env[0]: invalid environment variable "A": contains nul byte`},
	} {
		out, hasHome, err := Env(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Env(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(out, tc.out) || hasHome != tc.hasHome {
			t.Errorf("Env(%q) = %q, %v, %v; want %q, %v", tc.in, out, hasHome, err, tc.out, tc.hasHome)
		}
	}
}
