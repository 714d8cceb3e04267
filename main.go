// Command hako is an OCI container runtime with runc's command line.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"

	"github.com/moby/sys/userns"

	"github.com/hako-runtime/hako/libcontainer"
	"github.com/hako-runtime/hako/libcontainer/initproc"
	"github.com/hako-runtime/hako/libcontainer/logs"
	"github.com/hako-runtime/hako/libcontainer/trace"
	_ "github.com/hako-runtime/hako/nsenter"
)

var version = "0.1.0"

func init() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		// Credentials, capabilities and seccomp are per thread: the init
		// does all of it on the main thread, which also calls execve.
		runtime.GOMAXPROCS(1)
		runtime.LockOSThread()
	}
}

// global holds the flags that come before the verb.
type global struct {
	root, logPath, logFormat, rootless, criu string
	debug, systemd                           bool
	// rootlessCgroups is --rootless resolved (see checkRootless): cgroup
	// permission errors are tolerated when no limit needs the cgroup.
	rootlessCgroups bool
	// xdgRoot: the state root is the default one under XDG_RUNTIME_DIR.
	xdgRoot bool
	// rootSet: --root was given (a missing custom root is an error for
	// list, a missing default one just means no containers yet).
	rootSet bool
	log     *logs.Logger
}

type verb struct {
	usage string
	run   func(g *global, args []string) error
}

var verbs = map[string]verb{}

// exitError carries a status to exit with, without printing anything
// (`run` exits with the container's status).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// codeError is an error to report, then exit with code instead of 1
// (exec's own failures exit 255, as runc's do, so that callers can tell
// them from the status 1 of the program run).
type codeError struct {
	err  error
	code int
}

func (e *codeError) Error() string { return e.err.Error() }
func (e *codeError) Unwrap() error { return e.err }

// defaultRoot is /run/hako, or $XDG_RUNTIME_DIR/hako for an unprivileged
// user, as runc chooses its own: root in the initial user namespace
// ignores XDG_RUNTIME_DIR (sudo keeps the caller's), and so does root in
// a user namespace unless $USER says it is someone else (rootless podman
// calls the runtime that way, keeping its user's environment).
func defaultRoot() (root string, xdg bool) {
	d := os.Getenv("XDG_RUNTIME_DIR")
	if d == "" {
		return "/run/hako", false
	}
	if os.Geteuid() != 0 || (userns.RunningInUserNS() && os.Getenv("USER") != "root") {
		return d + "/hako", true
	}
	return "/run/hako", false
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: hako [global options] command [command options] [arguments...]\n\ncommands:\n")
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, verbs[n].usage)
	}
	fmt.Fprintf(w, "\nglobal options:\n")
	globalFlags(&global{}).PrintDefaults()
}

func globalFlags(g *global) *flag.FlagSet {
	fs := flag.NewFlagSet("hako", flag.ContinueOnError)
	root, _ := defaultRoot()
	fs.StringVar(&g.root, "root", root, "root directory for storage of container state")
	fs.StringVar(&g.logPath, "log", "", "log file path (default stderr)")
	fs.StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&g.debug, "debug", false, "enable debug logging")
	fs.BoolVar(&g.systemd, "systemd-cgroup", false, "use the systemd cgroup driver")
	fs.StringVar(&g.rootless, "rootless", "auto", "rootless mode: true, false or auto")
	fs.StringVar(&g.criu, "criu", "criu", "path to the criu binary (checkpoint/restore)")
	return fs
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		initproc.Run()
		return
	}
	if len(os.Args) > 1 && os.Args[1] == libcontainer.UsernsHoldArg {
		// Holds a user namespace for an idmapped mount until the parent
		// closes our stdin (libcontainer/mountsrc_linux.go).
		io.Copy(io.Discard, os.Stdin)
		return
	}
	os.Exit(realMain(os.Args[1:]))
}

func realMain(args []string) int {
	g := &global{}
	fs := globalFlags(g)
	fs.SetOutput(io.Discard)
	showVersion := fs.Bool("version", false, "print the version")
	fs.BoolVar(showVersion, "v", false, "print the version")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(os.Stdout)
			return 0
		}
		fmt.Fprintf(os.Stderr, "hako: %v\n", err)
		return 1
	}
	fs.Visit(func(f *flag.Flag) { g.rootSet = g.rootSet || f.Name == "root" })
	if !g.rootSet {
		_, g.xdgRoot = defaultRoot()
	}
	if *showVersion {
		fmt.Printf("hako version %s\nspec: %s\ngo: %s\n", version, specVersion(), runtime.Version())
		return 0
	}
	var err error
	if g.log, err = logs.Open(g.logPath, g.logFormat, g.debug); err != nil {
		fmt.Fprintf(os.Stderr, "hako: %v\n", err)
		return 1
	}
	rest := fs.Args()
	if len(rest) == 0 {
		usage(os.Stderr)
		return 1
	}
	v, ok := verbs[rest[0]]
	if !ok {
		if rest[0] == "help" {
			usage(os.Stdout)
			return 0
		}
		return fail(g, fmt.Errorf("no such command %q", rest[0]))
	}
	if err := checkRootless(g); err != nil {
		return fail(g, err)
	}
	trace.Mark("parsed " + rest[0])
	if err := v.run(g, rest[1:]); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		code := fail(g, err)
		var ce *codeError
		if errors.As(err, &ce) {
			code = ce.code
		}
		return code
	}
	trace.Mark("done")
	return 0
}

// fail logs the error as the last log line (containerd reads it there) and,
// when the log goes to a file, also prints it plainly on stderr.
func fail(g *global, err error) int {
	g.log.Errorf("%v", err)
	if g.logPath != "" {
		fmt.Fprintf(os.Stderr, "hako: %v\n", err)
	}
	return 1
}

// checkRootless resolves --rootless as runc does. It only decides how
// cgroups are treated: true tolerates a cgroup the caller may not create
// or join when no limit needs it (the container then stays in the
// caller's cgroup); auto is true for a non-root caller and for root in a
// user namespace other than the initial one (rootless podman, `unshare
// -r`), where cgroups are usually not delegated. How ids are mapped
// depends on the caller's real privilege, not on this flag.
func checkRootless(g *global) error {
	switch g.rootless {
	case "true":
		g.rootlessCgroups = true
	case "false":
		g.rootlessCgroups = false
	case "auto":
		g.rootlessCgroups = os.Geteuid() != 0 || userns.RunningInUserNS()
	default:
		return fmt.Errorf("--rootless: invalid value %q (want true, false or auto)", g.rootless)
	}
	return nil
}

// newFlags builds a verb's flag set; -h/--help print its usage.
func newFlags(name, argsUsage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: hako %s [options] %s\n", name, argsUsage)
		fs.PrintDefaults()
	}
	fs.SetOutput(os.Stderr)
	return fs
}

// parseArgs parses flags, allowing them after positional arguments too
// (`delete ID -f` works as in runc), and checks the argument count.
func parseArgs(fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) < min || (max >= 0 && len(pos) > max) {
		want := fmt.Sprintf("%d", min)
		if max != min {
			want = fmt.Sprintf("at least %d", min)
			if max > 0 {
				want = fmt.Sprintf("%d to %d", min, max)
			}
		}
		return nil, fmt.Errorf("%s: %s argument(s) expected, got %d (%s)", fs.Name(), want, len(pos), strings.Join(pos, " "))
	}
	return pos, nil
}

// bindAlias registers the same variable under a long and a short name.
func boolFlag(fs *flag.FlagSet, p *bool, names []string, usage string) {
	for _, n := range names {
		fs.BoolVar(p, n, false, usage)
	}
}

func stringFlag(fs *flag.FlagSet, p *string, names []string, def, usage string) {
	for _, n := range names {
		fs.StringVar(p, n, def, usage)
	}
}
