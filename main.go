// Command hako is an OCI container runtime with runc's command line.
//
// The command line is built on github.com/urfave/cli/v2, the library
// family runc's own command line uses, so help, usage errors, flag forms
// (--x=y, --x y, -x y) and exit codes look as engines and people know
// them. Each verb lives in its own file, which declares its command with
// register and calls libcontainer.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"

	"github.com/moby/sys/userns"
	"github.com/urfave/cli/v2"

	"github.com/hako-runtime/hako/libcontainer"
	"github.com/hako-runtime/hako/libcontainer/initproc"
	"github.com/hako-runtime/hako/libcontainer/logs"
	"github.com/hako-runtime/hako/libcontainer/trace"
	_ "github.com/hako-runtime/hako/nsenter"
	"github.com/hako-runtime/hako/seccomp"
)

var version = "0.1.0"

// gitCommit is set at link time (make build: -X main.gitCommit=...); the
// Go toolchain's own vcs stamp is used when it is empty.
var gitCommit = ""

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

// g is the global flags of this invocation (one per process).
var g = &global{}

// commands are the verbs, each registered by its own file's init.
var commands []*cli.Command

// register adds a verb to the command line.
func register(c *cli.Command) { commands = append(commands, c) }

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

const appUsage = "Open Container Initiative runtime"

const appDescription = `hako runs containers from OCI bundles: a directory holding a config.json
(runtime-spec 1.3) and the root filesystem it names. Its command line is
runc's, so engines (podman, containerd, docker, CRI-O) use it as a drop-in
runc binary.

The lifecycle is create, start, kill and delete; run does create and start
in one step and waits for the container:

    # hako run [ -b bundle ] <container-id>

"<container-id>" names the container on this host and must be unique under
the state directory (--root). The bundle defaults to the current directory.

When a container will not start, "hako doctor" reports what this host
supports.`

// newApp builds the command line; g receives the global flags once they
// are parsed.
func newApp(g *global) *cli.App {
	root, _ := defaultRoot()
	sort.Slice(commands, func(i, j int) bool { return commands[i].Name < commands[j].Name })
	for _, c := range commands {
		// A verb has no subcommands to list help for, and a boolean
		// flag's default goes without saying (runc's help shows neither).
		c.HideHelpCommand = true
		quietBools(c.Flags)
	}
	app := &cli.App{
		Name:                 "hako",
		Usage:                appUsage,
		Description:          appDescription,
		Version:              version,
		ArgsUsage:            "[arguments...]",
		Commands:             commands,
		EnableBashCompletion: true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "debug", Usage: "enable debug logging"},
			&cli.StringFlag{Name: "log", Usage: "write hako's log to this file (default: stderr)"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log format: 'text' or 'json'"},
			&cli.StringFlag{Name: "root", Value: root, Usage: "directory for container state (best on a tmpfs)"},
			&cli.BoolFlag{Name: "systemd-cgroup", Usage: "manage cgroups through systemd; cgroupsPath is then \"slice:prefix:name\", e.g. \"system.slice:hako:434234\""},
			&cli.StringFlag{Name: "rootless", Value: "auto", Usage: "tolerate cgroup permission errors: 'true', 'false' or 'auto'"},
			&cli.StringFlag{Name: "criu", Value: "criu", Usage: "path to the criu binary (checkpoint, restore)"},
		},
		// Errors come back from Run: realMain logs them and chooses the
		// exit code (urfave/cli would otherwise exit on its own).
		ExitErrHandler: func(*cli.Context, error) {},
		Before: func(ctx *cli.Context) error {
			g.root = ctx.String("root")
			g.rootSet = ctx.IsSet("root")
			g.logPath = ctx.String("log")
			g.logFormat = ctx.String("log-format")
			g.debug = ctx.Bool("debug")
			g.systemd = ctx.Bool("systemd-cgroup")
			g.rootless = ctx.String("rootless")
			g.criu = ctx.String("criu")
			if !g.rootSet {
				_, g.xdgRoot = defaultRoot()
			}
			var err error
			if g.log, err = logs.Open(g.logPath, g.logFormat, g.debug); err != nil {
				return err
			}
			trace.Mark("parsed " + ctx.Args().First())
			return checkRootless(g)
		},
	}
	quietBools(app.Flags)
	return app
}

func quietBools(flags []cli.Flag) {
	for _, f := range flags {
		if b, ok := f.(*cli.BoolFlag); ok {
			b.DisableDefaultText = true
		}
	}
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
	catchIgnoredSignals()
	os.Exit(realMain(os.Args))
}

// catchIgnoredSignals: hako's children (hooks, the container's init,
// helpers) inherit a signal hako's caller ignored (nohup, a background
// job of a script) where the Go runtime leaves it ignored: SIGHUP and
// SIGINT; the runtime's own handlers are reset in a child. Caught here
// and dropped, hako still ignores them and every child starts with them
// at their default action, as runc's do (its signal handler catches
// every signal). The container's process is reset fully by its init
// (nsenter's hako_default_signals).
func catchIgnoredSignals() {
	var sigs []os.Signal
	for _, s := range []os.Signal{syscall.SIGHUP, syscall.SIGINT} {
		if signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	if len(sigs) > 0 {
		signal.Notify(make(chan os.Signal, 1), sigs...)
	}
}

// realMain runs the command line args (args[0] is the program) and
// returns the exit status: 0, the container's status for run and exec,
// 255 for exec's own failures, 3 for an unknown verb (as runc), else 1.
func realMain(args []string) int {
	cli.VersionPrinter = printVersion
	app := newApp(g)
	if n := len(args); n > 1 && args[n-1] == completionFlag {
		// A completion request never runs a verb: urfave/cli runs one
		// when the flag follows "--", and a flag still waiting for its
		// value would swallow it. Those get no candidates, so the shell
		// falls back to file names.
		if args[n-2] == "--" || valuePending(app, args[:n-1]) {
			return 0
		}
	}
	err := app.Run(reorderArgs(app, args))
	if err == nil {
		trace.Mark("done")
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	code := 1
	var ce *codeError
	var xe cli.ExitCoder
	if errors.As(err, &ce) {
		code = ce.code
	} else if errors.As(err, &xe) && !errors.As(err, new(*exec.ExitError)) {
		// A helper's exit status (a hook's, criu's) wrapped in the
		// error is that helper's, not ours: runc exits 1 then.
		code = xe.ExitCode()
	}
	toFile := g.log != nil && g.logPath != ""
	if g.log == nil {
		// The global flags, or the log file, were wrong: log to stderr
		// as the defaults say.
		g.log, _ = logs.Open("", "text", false)
	}
	g.log.Errorf("%s", strings.TrimSpace(err.Error()))
	if toFile {
		// The log went to a file: the caller sees the error too (the
		// bare message, as runc prints it).
		fmt.Fprintln(os.Stderr, err)
	}
	return code
}

// printVersion prints the version in runc's layout, which tools parse.
func printVersion(ctx *cli.Context) {
	fmt.Printf("%s version %s\n", ctx.App.Name, ctx.App.Version)
	commit := gitCommit
	if bi, ok := debug.ReadBuildInfo(); ok && commit == "" {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	if commit != "" {
		fmt.Printf("commit: %s\n", commit)
	}
	fmt.Printf("spec: %s\ngo: %s\n", specVersion(), runtime.Version())
	if v := seccomp.LibraryVersion(); v != "" {
		fmt.Printf("libseccomp: %s\n", v)
	}
}

// reorderArgs moves a verb's flags before its positional arguments, so
// that `delete ID -f` works as it does in runc (whose urfave/cli v1
// reorders them; v2 stops at the first argument, as the flag package
// does). Verbs whose arguments are a command line of their own (exec, ps)
// keep their order, and nothing after "--" moves.
func reorderArgs(app *cli.App, args []string) []string {
	// Completion wants its flag last; and it reads, never runs, the verb.
	if len(args) < 2 || args[len(args)-1] == completionFlag {
		return args
	}
	i := 1
	i, ok := skipFlags(app.Flags, args, i)
	if !ok || i >= len(args) {
		return args
	}
	cmd := findCommand(app.Commands, args[i])
	if cmd == nil || cmd.SkipFlagParsing || keepArgOrder[cmd.Name] {
		return args
	}
	out := append([]string{}, args[:i+1]...)
	var flags, pos []string
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		if a == "--" {
			pos = append(pos, rest[j:]...)
			break
		}
		if a == "-h" || a == "--help" || a == "-help" {
			// runc prints the verb's help wherever -h is; urfave/cli
			// would take the arguments before it for a help topic.
			return append(out, "--help")
		}
		if a == "-" || !strings.HasPrefix(a, "-") {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		if takesValue(cmd.Flags, a) && !strings.Contains(a, "=") && j+1 < len(rest) {
			j++
			flags = append(flags, rest[j])
		}
	}
	return append(append(out, flags...), pos...)
}

const completionFlag = "--generate-bash-completion"

// valuePending says whether the last of args is a flag (global, or of the
// verb) that takes a value and was given none yet ("--root", not
// "--root=/x").
func valuePending(app *cli.App, args []string) bool {
	if len(args) < 2 {
		return false
	}
	last := args[len(args)-1]
	if !strings.HasPrefix(last, "-") || strings.Contains(last, "=") {
		return false
	}
	i, ok := skipFlags(app.Flags, args[:len(args)-1], 1)
	if !ok {
		return false
	}
	if i >= len(args)-1 {
		return takesValue(app.Flags, last)
	}
	cmd := findCommand(app.Commands, args[i])
	return cmd != nil && takesValue(cmd.Flags, last)
}

// keepArgOrder are the verbs whose trailing arguments are passed on
// (exec's command, ps's options): their flags end at the first argument.
var keepArgOrder = map[string]bool{"exec": true, "ps": true}

// skipFlags steps over the flags at args[i:] and returns the index of the
// first argument that is not one; ok is false at an unknown flag (left
// for the parser to report).
func skipFlags(flags []cli.Flag, args []string, i int) (int, bool) {
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" {
		if args[i] == "--" {
			return i + 1, true
		}
		if flagByName(flags, args[i]) == nil {
			return i, false
		}
		if takesValue(flags, args[i]) && !strings.Contains(args[i], "=") {
			i++
		}
		i++
	}
	return i, true
}

// builtinFlag stands for the boolean flags urfave/cli adds itself.
var builtinFlag = &cli.BoolFlag{Name: "help"}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// flagByName finds the flag an argument such as "--root=/x" or "-f" names.
func flagByName(flags []cli.Flag, arg string) cli.Flag {
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	switch name {
	case "help", "h", "version", "v", completionFlag[2:]:
		return builtinFlag
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// takesValue says whether the flag an argument names needs a value (the
// next argument unless given as --x=y); unknown and boolean flags do not.
func takesValue(flags []cli.Flag, arg string) bool {
	f := flagByName(flags, arg)
	if f == nil {
		return false
	}
	if dg, ok := f.(cli.DocGenerationFlag); ok {
		return dg.TakesValue()
	}
	return false
}

// completeIDs completes a verb's container id from the state root, and
// its flags after a "-".
func completeIDs(ctx *cli.Context) {
	// The word being completed comes last, before the completion flag
	// (urfave/cli's own flag completion looks there too).
	if n := len(os.Args); n > 2 && strings.HasPrefix(os.Args[n-2], "-") {
		cli.DefaultCompleteWithFlags(ctx.Command)(ctx)
		return
	}
	if ctx.NArg() > 0 {
		return
	}
	// Before (which sets g) does not run when completing.
	cs, err := libcontainer.List(ctx.String("root"))
	if err != nil {
		return
	}
	for _, c := range cs {
		fmt.Println(c.ID)
	}
}

// listValue is a repeatable flag's values, each kept as given (urfave's
// StringSlice trims spaces and decodes values starting with "sl:::";
// an environment variable or a cgroup path must pass through intact).
type listValue []string

// listSerialized marks the whole list, as urfave/cli copies a flag's
// value to its other names (-e to --env) through Serialize and Set. The
// NUL cannot occur in a command-line argument, so no value given by a
// user is ever taken for it.
const listSerialized = "\x00list:"

func (l *listValue) String() string { return strings.Join(*l, ",") }

func (l *listValue) Set(v string) error {
	if s, ok := strings.CutPrefix(v, listSerialized); ok {
		var raw [][]byte
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			return err
		}
		out := make(listValue, 0, len(raw))
		for _, b := range raw {
			out = append(out, string(b))
		}
		*l = out
		return nil
	}
	*l = append(*l, v)
	return nil
}

// Serialize encodes each value as bytes (base64 in JSON): a JSON string
// would turn bytes that are not UTF-8 into U+FFFD, and an argument (an
// environment value, a path) may hold any byte but NUL.
func (l *listValue) Serialize() string {
	raw := make([][]byte, len(*l))
	for i, v := range *l {
		raw[i] = []byte(v)
	}
	b, _ := json.Marshal(raw)
	return listSerialized + string(b)
}

// listFlag is a repeatable string flag; listOf reads it.
func listFlag(name string, aliases []string, usage string) *cli.GenericFlag {
	return &cli.GenericFlag{Name: name, Aliases: aliases, Usage: usage, Value: &listValue{}}
}

func listOf(ctx *cli.Context, name string) []string {
	if l, ok := ctx.Generic(name).(*listValue); ok {
		return *l
	}
	return nil
}

// checkArgs checks a verb's argument count: at least min and, when max is
// not -1, at most max. A wrong count prints the verb's help and fails
// with runc's wording.
func checkArgs(ctx *cli.Context, min, max int) error {
	n := ctx.NArg()
	var err error
	switch {
	case min == max && n != min:
		err = fmt.Errorf("%s: %q requires exactly %d argument(s)", ctx.App.Name, ctx.Command.Name, min)
	case n < min:
		err = fmt.Errorf("%s: %q requires a minimum of %d argument(s)", ctx.App.Name, ctx.Command.Name, min)
	case max >= 0 && n > max:
		err = fmt.Errorf("%s: %q requires a maximum of %d argument(s)", ctx.App.Name, ctx.Command.Name, max)
	}
	if err != nil {
		fmt.Printf("Incorrect Usage.\n\n")
		cli.HelpPrinter(ctx.App.Writer, cli.CommandHelpTemplate, ctx.Command)
	}
	return err
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
