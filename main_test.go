package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestReorderArgs(t *testing.T) {
	app := newApp(&global{})
	for _, tc := range []struct{ in, want string }{
		// a verb's flags move before its arguments, with their values
		{"hako delete ID -f", "hako delete -f ID"},
		{"hako --root /r delete ID --force", "hako --root /r delete --force ID"},
		{"hako --root=/r list -q", "hako --root=/r list -q"},
		{"hako run ID -b /bundle -d", "hako run -b /bundle -d ID"},
		{"hako run ID --bundle=/b", "hako run --bundle=/b ID"},
		{"hako kill ID KILL --all", "hako kill --all ID KILL"},
		{"hako update ID --memory 1m --pids-limit=5", "hako update --memory 1m --pids-limit=5 ID"},
		// nothing after "--" moves
		{"hako kill -- ID -9", "hako kill -- ID -9"},
		{"hako delete ID -- -f", "hako delete ID -- -f"},
		// exec and ps keep the command's own flags
		{"hako exec ID ls -l", "hako exec ID ls -l"},
		{"hako exec -t ID sh -c x", "hako exec -t ID sh -c x"},
		{"hako ps ID -o pid", "hako ps ID -o pid"},
		// unknown global flags and verbs are left to the parser to report
		{"hako --nope delete ID -f", "hako --nope delete ID -f"},
		{"hako frob ID -f", "hako frob ID -f"},
		// completion wants its flag last
		{"hako delete ID --generate-bash-completion", "hako delete ID --generate-bash-completion"},
		{"hako", "hako"},
		// -h anywhere is the verb's help (the arguments would be taken
		// for a help topic)
		{"hako delete ID -h", "hako delete --help"},
		{"hako --root /r list -h x", "hako --root /r list --help"},
		{"hako exec ID ls -h", "hako exec ID ls -h"},
	} {
		got := reorderArgs(app, strings.Fields(tc.in))
		if want := strings.Fields(tc.want); !reflect.DeepEqual(got, want) {
			t.Errorf("reorderArgs(%q) = %q, want %q", tc.in, got, want)
		}
	}
}

// Every verb has a usage line, and every flag a usage text: help and the
// man pages are made from them.
func TestCommandsDocumented(t *testing.T) {
	app := newApp(&global{})
	if len(app.Commands) < 17 {
		t.Fatalf("%d verbs registered", len(app.Commands))
	}
	for _, c := range app.Commands {
		if c.Usage == "" || c.Description == "" {
			t.Errorf("%s: no usage or description", c.Name)
		}
		for _, f := range c.VisibleFlags() {
			if u, ok := f.(interface{ GetUsage() string }); ok && u.GetUsage() == "" && f.Names()[0] != "help" {
				t.Errorf("%s --%s: no usage", c.Name, f.Names()[0])
			}
		}
	}
}

// A repeatable flag given by its short and long names alike keeps every
// value once, in order, exactly as given.
func TestListFlag(t *testing.T) {
	app := newApp(&global{})
	var got []string
	for _, c := range app.Commands {
		if c.Name == "exec" {
			c.Action = func(ctx *cli.Context) error { got = listOf(ctx, "env"); return nil }
		}
	}
	app.Before = nil
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"-e", "A=1", "-e", "B= 2 ", "-e", "C=x,y", "-e", "D=sl:::[\"z\"]"}, []string{"A=1", "B= 2 ", "C=x,y", "D=sl:::[\"z\"]"}},
		{[]string{"--env", "A=1", "--env", "A=2"}, []string{"A=1", "A=2"}},
		{nil, nil},
	} {
		got = nil
		// A process parses one command line: the flags' values start
		// empty each time here.
		for _, c := range app.Commands {
			for _, f := range c.Flags {
				if gf, ok := f.(*cli.GenericFlag); ok {
					gf.Value = &listValue{}
				}
			}
		}
		args := append(append([]string{"hako", "exec"}, tc.args...), "ID", "true")
		if err := app.Run(args); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		if !reflect.DeepEqual(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("%q: env %q, want %q", args, got, tc.want)
		}
	}
}

// A completion request right after a flag that wants a value, or after
// "--", must not run anything.
func TestValuePending(t *testing.T) {
	app := newApp(&global{})
	for _, tc := range []struct {
		line string
		want bool
	}{
		{"hako --log", true},
		{"hako --root", true},
		{"hako --root=/x", false},
		{"hako --debug", false},
		{"hako run -b", true},
		{"hako --root /r run --bundle", true},
		{"hako run -d", false},
		{"hako run", false},
		{"hako exec -e", true},
		{"hako list -f", true},
		{"hako list -q", false},
		{"hako frob -b", false},
	} {
		if got := valuePending(app, strings.Fields(tc.line)); got != tc.want {
			t.Errorf("valuePending(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}
