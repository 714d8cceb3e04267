package libcontainer

// The bad-input catalogue (issue 15): config.json fields, each with a value
// of the wrong JSON type, one out of range and one that would be dangerous
// if it were taken as given. Every row says what hako does with it: accept
// it (where runc 1.5.3 accepts it too) or refuse it with an error that
// names the field. The check is everything create does before it makes
// anything (prepare: parse, validate, namespace paths, rootfs, mount plan)
// plus the seccomp compilation and the cgroup plans, which create runs
// once the state directory exists: the same functions, without a system.
//
// HAKO_CATALOGUE_DIR=dir writes each row's config.json and expectation to
// dir/NNN/, so that tests/integration/badinput-catalogue.bats (and
// hack/badinput-catalogue.sh for runc) can run the real runtimes on them.

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hako-runtime/hako/cgroups/fs1"
	"github.com/hako-runtime/hako/cgroups/fs2"
	"github.com/hako-runtime/hako/libcontainer/logs"
	"github.com/hako-runtime/hako/seccomp"
)

// catalogueBase is `hako spec` without a terminal and with `true` to run:
// a config every runtime accepts.
const catalogueBase = `{
 "ociVersion": "1.3.0",
 "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["true"],
  "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "cwd": "/",
  "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]},
  "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}], "noNewPrivileges": true},
 "root": {"path": "rootfs", "readonly": false},
 "hostname": "cat",
 "mounts": [
  {"destination": "/proc", "type": "proc", "source": "proc"},
  {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
  {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
  {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
 ],
 "linux": {
  "resources": {"devices": [{"allow": false, "access": "rwm"}]},
  "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
  "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"]
 }
}`

// edit changes the base config: path is dotted with [i] indices
// ("linux.namespaces[1].type"); a path ending in [+] appends; value is JSON
// text, or del removes the key.
type edit struct {
	path, value string
	del         bool
}

func set(path, value string) edit { return edit{path: path, value: value} }
func del(path string) edit        { return edit{path: path, del: true} }

type catRow struct {
	name  string
	edits []edit
	// want is a substring of hako's error, naming the field; "" means
	// accepted.
	want string
	// runc is what runc 1.5.3 does when it differs from hako (a
	// documented difference, see docs/badinput.md): "accepts" or "refuses".
	runc string
	// create: only create finds it (a file that must be a namespace, a
	// kernel that refuses the value); the pure check accepts it. "?":
	// what create does depends on the host (a cgroup file it lacks).
	create string
}

// Values the rows share.
const (
	u32max  = "4294967295"
	u32over = "4294967296"
	u64max  = "18446744073709551615"
	u64over = "18446744073709551616"
)

var catalogue = []catRow{
	// ociVersion
	{name: "ociVersion: number", edits: []edit{set("ociVersion", `1`)}, want: "ociVersion"},
	{name: "ociVersion: 0.1.0", edits: []edit{set("ociVersion", `"0.1.0"`)}, want: "ociVersion", runc: "accepts"},
	{name: "ociVersion: 2.0.0", edits: []edit{set("ociVersion", `"2.0.0"`)}, want: "ociVersion", runc: "accepts"},
	{name: "ociVersion: empty", edits: []edit{set("ociVersion", `""`)}, want: "ociVersion", runc: "accepts"},
	{name: "ociVersion: 1.0.2-dev", edits: []edit{set("ociVersion", `"1.0.2-dev"`)}},

	// root
	{name: "root: string", edits: []edit{set("root", `"rootfs"`)}, want: "root"},
	{name: "root.path: missing", edits: []edit{del("root.path")}, want: "root.path"},
	{name: "root.path: does not exist", edits: []edit{set("root.path", `"nope"`)}, want: "root.path"},
	{name: "root.path: a file", edits: []edit{set("root.path", `"config.json"`)}, want: "root.path"},
	{name: "root.path: ../ out of the bundle", edits: []edit{set("root.path", `"../nope"`)}, want: "root.path"},
	{name: "root.readonly: string", edits: []edit{set("root.readonly", `"yes"`)}, want: "root.readonly"},

	// process
	{name: "process: array", edits: []edit{set("process", `[]`)}, want: "process"},
	{name: "process.args: string", edits: []edit{set("process.args", `"true"`)}, want: "process.args"},
	{name: "process.args: empty", edits: []edit{set("process.args", `[]`)}, want: "process.args"},
	{name: "process.args: number element", edits: []edit{set("process.args", `[1]`)}, want: "process.args"},
	{name: "process.cwd: relative", edits: []edit{set("process.cwd", `"tmp"`)}, want: "process.cwd"},
	{name: "process.cwd: empty", edits: []edit{set("process.cwd", `""`)}, want: "process.cwd"},
	{name: "process.cwd: number", edits: []edit{set("process.cwd", `0`)}, want: "process.cwd"},
	{name: "process.cwd: ../ climbs to /", edits: []edit{set("process.cwd", `"/../../tmp"`)}},
	{name: "process.terminal: string", edits: []edit{set("process.terminal", `"no"`)}, want: "process.terminal"},
	{name: "process.env: string", edits: []edit{set("process.env", `"A=1"`)}, want: "process.env"},
	{name: "process.env: no =", edits: []edit{set("process.env[+]", `"NOEQUALS"`)}, want: "process.env[1]"},
	{name: "process.env: empty name", edits: []edit{set("process.env[+]", `"=x"`)}, want: "process.env[1]"},
	{name: "process.env: NUL in value", edits: []edit{set("process.env[+]", `"A=x\u0000y"`)}, want: "process.env[1]"},
	{name: "process.env: NUL in name", edits: []edit{set("process.env[+]", `"A\u0000B=y"`)}, want: "process.env[1]"},
	{name: "process.env: control characters in value", edits: []edit{set("process.env[+]", `"A=\u0001\u001b[31m\n"`)}},
	{name: "process.env: newline in name", edits: []edit{set("process.env[+]", `"A\nB=1"`)}},

	// process.user
	{name: "process.user: string", edits: []edit{set("process.user", `"root"`)}, want: "process.user"},
	{name: "process.user.uid: negative", edits: []edit{set("process.user.uid", `-1`)}, want: "process.user.uid"},
	{name: "process.user.uid: 2^32", edits: []edit{set("process.user.uid", u32over)}, want: "process.user.uid"},
	{name: "process.user.uid: string", edits: []edit{set("process.user.uid", `"0"`)}, want: "process.user.uid"},
	{name: "process.user.uid: fraction", edits: []edit{set("process.user.uid", `1.5`)}, want: "process.user.uid"},
	// (uid_t)-1 is "no change" to setuid: the process kept root's ids.
	{name: "process.user.uid: 2^32-1 (the kernel's invalid id)", edits: []edit{set("process.user.uid", u32max)}, want: "process.user.uid"},
	{name: "process.user.gid: 2^32-1", edits: []edit{set("process.user.gid", u32max)}, want: "process.user.gid"},
	{name: "process.user.additionalGids: 2^32-1", edits: []edit{set("process.user.additionalGids", `[1, `+u32max+`]`)}, want: "process.user.additionalGids[1]"},
	{name: "process.user.gid: negative", edits: []edit{set("process.user.gid", `-1`)}, want: "process.user.gid"},
	{name: "process.user.gid: 2^32", edits: []edit{set("process.user.gid", u32over)}, want: "process.user.gid"},
	{name: "process.user.additionalGids: negative", edits: []edit{set("process.user.additionalGids", `[-5]`)}, want: "process.user.additionalGids"},
	{name: "process.user.additionalGids: 2^32", edits: []edit{set("process.user.additionalGids", `[`+u32over+`]`)}, want: "process.user.additionalGids"},
	{name: "process.user.additionalGids: number", edits: []edit{set("process.user.additionalGids", `5`)}, want: "process.user.additionalGids"},
	{name: "process.user.umask: negative", edits: []edit{set("process.user.umask", `-1`)}, want: "process.user.umask"},
	{name: "process.user.umask: above 0777 (the kernel keeps 0777 of it)", edits: []edit{set("process.user.umask", `4096`)}},

	// process.rlimits
	{name: "process.rlimits: object", edits: []edit{set("process.rlimits", `{}`)}, want: "process.rlimits"},
	{name: "process.rlimits[0].type: unknown", edits: []edit{set("process.rlimits[0].type", `"RLIMIT_BOGUS"`)}, want: "process.rlimits[0].type"},
	{name: "process.rlimits[0].type: lower case", edits: []edit{set("process.rlimits[0].type", `"rlimit_nofile"`)}, want: "process.rlimits[0].type"},
	{name: "process.rlimits[0].type: number", edits: []edit{set("process.rlimits[0].type", `7`)}, want: "process.rlimits"},
	{name: "process.rlimits[0]: soft above hard", edits: []edit{set("process.rlimits[0].soft", `2048`)}, want: "process.rlimits[0]"},
	{name: "process.rlimits[0].hard: negative", edits: []edit{set("process.rlimits[0].hard", `-1`)}, want: "process.rlimits"},
	{name: "process.rlimits[0].hard: 2^64", edits: []edit{set("process.rlimits[0].hard", u64over)}, want: "process.rlimits"},
	{name: "process.rlimits[0]: 2^64-1 is unlimited", edits: []edit{set("process.rlimits[0].hard", u64max), set("process.rlimits[0].soft", u64max)},
		create: "RLIMIT_NOFILE"},
	{name: "process.rlimits[0]: above the host's nr_open", edits: []edit{set("process.rlimits[0].hard", `1099511627776`), set("process.rlimits[0].soft", `1024`)},
		create: "RLIMIT_NOFILE"},
	{name: "process.rlimits: duplicate type (the last one wins)", edits: []edit{set("process.rlimits[+]", `{"type": "RLIMIT_NOFILE", "hard": 512, "soft": 512}`)}},

	// process.oomScoreAdj
	{name: "process.oomScoreAdj: string", edits: []edit{set("process.oomScoreAdj", `"1"`)}, want: "process.oomScoreAdj"},
	{name: "process.oomScoreAdj: 1001", edits: []edit{set("process.oomScoreAdj", `1001`)}, want: "process.oomScoreAdj"},
	{name: "process.oomScoreAdj: -1001", edits: []edit{set("process.oomScoreAdj", `-1001`)}, want: "process.oomScoreAdj"},
	{name: "process.oomScoreAdj: 2^31", edits: []edit{set("process.oomScoreAdj", `2147483648`)}, want: "process.oomScoreAdj"},

	// process.capabilities
	{name: "process.capabilities: list", edits: []edit{set("process.capabilities", `["CAP_KILL"]`)}, want: "process.capabilities"},
	{name: "process.capabilities.bounding: string", edits: []edit{set("process.capabilities.bounding", `"CAP_KILL"`)}, want: "process.capabilities.bounding"},
	{name: "process.capabilities: unknown name is a warning", edits: []edit{set("process.capabilities.bounding[+]", `"CAP_BOGUS"`)}},
	{name: "process.capabilities: lower case name is a warning", edits: []edit{set("process.capabilities.effective[+]", `"cap_chown"`)}},
	{name: "process.capabilities: empty name is a warning", edits: []edit{set("process.capabilities.permitted[+]", `""`)}},

	// process: other fields
	{name: "process.noNewPrivileges: string", edits: []edit{set("process.noNewPrivileges", `"true"`)}, want: "process.noNewPrivileges"},
	{name: "process.apparmorProfile: number", edits: []edit{set("process.apparmorProfile", `1`)}, want: "process.apparmorProfile"},
	{name: "process.consoleSize: negative", edits: []edit{set("process.consoleSize", `{"height": -1, "width": 80}`)}, want: "process.consoleSize"},
	{name: "process.ioPriority.class: unknown", edits: []edit{set("process.ioPriority", `{"class": "IOPRIO_CLASS_BOGUS", "priority": 0}`)}, want: "process.ioPriority"},
	{name: "process.ioPriority.priority: 8", edits: []edit{set("process.ioPriority", `{"class": "IOPRIO_CLASS_BE", "priority": 8}`)}, want: "process.ioPriority"},
	{name: "process.scheduler.policy: unknown", edits: []edit{set("process.scheduler", `{"policy": "SCHED_BOGUS"}`)}, want: "process.scheduler"},
	{name: "process.scheduler.nice: 20", edits: []edit{set("process.scheduler", `{"policy": "SCHED_OTHER", "nice": 20}`)}, want: "process.scheduler"},
	{name: "process.execCPUAffinity.initial: bad list", edits: []edit{set("process.execCPUAffinity", `{"initial": "1-x"}`)}, want: "process.execCPUAffinity.initial"},

	// hostname, domainname
	{name: "hostname: number", edits: []edit{set("hostname", `1`)}, want: "hostname"},
	{name: "hostname: without a uts namespace", edits: []edit{set("linux.namespaces", `[{"type": "pid"}, {"type": "mount"}]`)}, want: "hostname"},
	{name: "domainname: without a uts namespace", edits: []edit{del("hostname"), set("domainname", `"d"`), set("linux.namespaces", `[{"type": "mount"}]`)}, want: "domainname"},
	{name: "hostname: 65 characters", edits: []edit{set("hostname", `"`+strings.Repeat("h", 65)+`"`)}, create: "hostname"},
	{name: "hostname: control characters and slash", edits: []edit{set("hostname", `"a/b\u0001c"`)}},

	// annotations
	{name: "annotations: list", edits: []edit{set("annotations", `["a"]`)}, want: "annotations"},
	{name: "annotations: number value", edits: []edit{set("annotations", `{"a": 1}`)}, want: "annotations"},
	{name: "annotations: control characters and NUL in key and value", edits: []edit{set("annotations", `{"k\u0000\u0001\n": "v\u0000\u001b[2J\n"}`)}},
	{name: "annotations: empty key", edits: []edit{set("annotations", `{"": "v"}`)}},

	// mounts
	{name: "mounts: object", edits: []edit{set("mounts", `{}`)}, want: "mounts"},
	{name: "mounts[4].destination: relative", edits: []edit{set("mounts[+]", `{"destination": "rel", "type": "tmpfs", "source": "tmpfs"}`)}},
	{name: "mounts[4].destination: ../ climbs to /", edits: []edit{set("mounts[+]", `{"destination": "/../../hb-up", "type": "tmpfs", "source": "tmpfs"}`)}},
	{name: "mounts[4].destination: .. is the root", edits: []edit{set("mounts[+]", `{"destination": "/..", "type": "tmpfs", "source": "tmpfs"}`)}, want: "mounts[4].destination"},
	{name: "mounts[4].destination: empty", edits: []edit{set("mounts[+]", `{"destination": "", "type": "tmpfs", "source": "tmpfs"}`)}, want: "mounts[4].destination"},
	{name: "mounts[4].destination: NUL", edits: []edit{set("mounts[+]", `{"destination": "/a\u0000b", "type": "tmpfs", "source": "tmpfs"}`)}, want: "mounts[4]"},
	{name: "mounts[4].destination: number", edits: []edit{set("mounts[+]", `{"destination": 1, "type": "tmpfs"}`)}, want: "mounts"},
	{name: "mounts[4].type: unknown filesystem", edits: []edit{set("mounts[+]", `{"destination": "/hb", "type": "hbfs", "source": "none"}`)}, create: "mounts[4]: mount none to /hb"},
	{name: "mounts[4].type: missing, not a bind", edits: []edit{set("mounts[+]", `{"destination": "/hb", "source": "tmpfs"}`)}, want: "mounts[4].type"},
	{name: "mounts[4].options: string", edits: []edit{set("mounts[+]", `{"destination": "/hb", "type": "tmpfs", "source": "tmpfs", "options": "ro"}`)}, want: "mounts"},
	{name: "mounts[4].options: unknown tmpfs option", edits: []edit{set("mounts[+]", `{"destination": "/hb", "type": "tmpfs", "source": "tmpfs", "options": ["hbbogus=1"]}`)}, create: "mounts[4]: mount tmpfs to /hb"},
	{name: "mounts[4].options: unknown bind option", edits: []edit{set("mounts[+]", `{"destination": "/hb", "type": "bind", "source": "/tmp", "options": ["rbind", "hbbogus"]}`)}, want: "mounts[4].options"},
	// A relative source is relative to the bundle: "" is the bundle.
	{name: "mounts[4].source: bind without source is the bundle", edits: []edit{set("mounts[+]", `{"destination": "/hb", "type": "bind", "options": ["rbind"]}`)}},
	{name: "mounts[4].source: bind source missing", edits: []edit{set("mounts[+]", `{"destination": "/hb", "type": "bind", "source": "/hb-no-such-source", "options": ["rbind"]}`)}, create: "hb-no-such-source"},
	{name: "mounts[4].source: relative bind source climbing out of the bundle", edits: []edit{set("mounts[+]", `{"destination": "/hb", "type": "bind", "source": "../../../../../../../../tmp", "options": ["rbind"]}`)}},
	{name: "mounts[4].uidMappings without gidMappings", edits: []edit{set("mounts[+]", `{"destination": "/hb", "type": "bind", "source": "/tmp", "options": ["rbind"], "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}`)}, want: "mounts[4]"},
	{name: "mounts[4].options: idmap on tmpfs", edits: []edit{set("mounts[+]", `{"destination": "/hb", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"]}`)}, want: "mounts[4].options"},

	// linux.namespaces
	{name: "linux.namespaces: object", edits: []edit{set("linux.namespaces", `{"pid": {}}`)}, want: "linux.namespaces"},
	{name: "linux.namespaces[1].type: unknown", edits: []edit{set("linux.namespaces[1].type", `"bogus"`)}, want: "linux.namespaces[1].type"},
	{name: "linux.namespaces[1].type: empty", edits: []edit{set("linux.namespaces[1].type", `""`)}, want: "linux.namespaces[1].type"},
	{name: "linux.namespaces[1].type: upper case", edits: []edit{set("linux.namespaces[1].type", `"NETWORK"`)}, want: "linux.namespaces[1].type"},
	{name: "linux.namespaces[1].type: number", edits: []edit{set("linux.namespaces[1].type", `1`)}, want: "linux.namespaces"},
	{name: "linux.namespaces[5]: duplicate type", edits: []edit{set("linux.namespaces[+]", `{"type": "pid"}`)}, want: "linux.namespaces[5]"},
	{name: "linux.namespaces[1].path: relative", edits: []edit{set("linux.namespaces[1].path", `"proc/self/ns/net"`)}, want: "linux.namespaces[1].path"},
	{name: "linux.namespaces[1].path: missing file", edits: []edit{set("linux.namespaces[1].path", `"/hb-no-such-ns"`)}, want: "linux.namespaces[1].path"},
	{name: "linux.namespaces[1].path: not a namespace file", edits: []edit{set("linux.namespaces[1].path", `"/etc/hostname"`)}, want: "linux.namespaces[1].path"},
	{name: "linux.namespaces[1].path: a namespace of another type", edits: []edit{set("linux.namespaces[1].path", `"/proc/self/ns/uts"`)}, want: "linux.namespaces[1].path"},
	{name: "linux.namespaces[1].path: number", edits: []edit{set("linux.namespaces[1].path", `5`)}, want: "linux.namespaces"},

	// linux.uidMappings, gidMappings
	{name: "linux.uidMappings: without a user namespace", edits: []edit{set("linux.uidMappings", `[{"containerID": 0, "hostID": 100000, "size": 65536}]`),
		set("linux.gidMappings", `[{"containerID": 0, "hostID": 100000, "size": 65536}]`)}, want: "linux.uidMappings", runc: "accepts"},
	{name: "linux.uidMappings: user namespace without mappings", edits: []edit{set("linux.namespaces[+]", `{"type": "user"}`)}, want: "linux.uidMappings"},
	{name: "linux.uidMappings: zero size", edits: []edit{set("linux.namespaces[+]", `{"type": "user"}`),
		set("linux.uidMappings", `[{"containerID": 0, "hostID": 100000, "size": 0}]`),
		set("linux.gidMappings", `[{"containerID": 0, "hostID": 100000, "size": 65536}]`)}, want: "linux.uidMappings[0].size"},
	{name: "linux.uidMappings: overlapping container ranges", edits: []edit{set("linux.namespaces[+]", `{"type": "user"}`),
		set("linux.uidMappings", `[{"containerID": 0, "hostID": 100000, "size": 10}, {"containerID": 5, "hostID": 200000, "size": 10}]`),
		set("linux.gidMappings", `[{"containerID": 0, "hostID": 100000, "size": 65536}]`)}, want: "linux.uidMappings[1]"},
	{name: "linux.gidMappings: negative hostID", edits: []edit{set("linux.namespaces[+]", `{"type": "user"}`),
		set("linux.uidMappings", `[{"containerID": 0, "hostID": 100000, "size": 65536}]`),
		set("linux.gidMappings", `[{"containerID": 0, "hostID": -1, "size": 65536}]`)}, want: "linux.gidMappings"},
	{name: "linux.gidMappings: range past 2^32", edits: []edit{set("linux.namespaces[+]", `{"type": "user"}`),
		set("linux.uidMappings", `[{"containerID": 0, "hostID": 100000, "size": 65536}]`),
		set("linux.gidMappings", `[{"containerID": 0, "hostID": 4294967290, "size": 65536}]`)}, want: "linux.gidMappings[0]"},

	// linux.sysctl
	{name: "linux.sysctl: list", edits: []edit{set("linux.sysctl", `["net.ipv4.ip_forward=1"]`)}, want: "linux.sysctl"},
	{name: "linux.sysctl: number value", edits: []edit{set("linux.sysctl", `{"net.ipv4.ip_forward": 1}`)}, want: "linux.sysctl"},
	{name: "linux.sysctl: net.ipv4/../ climbs out", edits: []edit{set("linux.sysctl", `{"net.ipv4/../../kernel/core_pattern": "x"}`)}, want: "linux.sysctl"},
	{name: "linux.sysctl: empty name", edits: []edit{set("linux.sysctl", `{"": "1"}`)}, want: "linux.sysctl"},
	{name: "linux.sysctl: not namespaced", edits: []edit{set("linux.sysctl", `{"kernel.core_pattern": "|/bin/sh"}`)}, want: "linux.sysctl"},
	{name: "linux.sysctl: net without a network namespace", edits: []edit{set("linux.namespaces", `[{"type": "pid"}, {"type": "uts"}, {"type": "mount"}]`),
		set("linux.sysctl", `{"net.ipv4.ip_forward": "1"}`)}, want: "linux.sysctl"},
	{name: "linux.sysctl: leading slash", edits: []edit{set("linux.sysctl", `{"/net/ipv4/ip_forward": "1"}`)}, want: "linux.sysctl"},
	{name: "linux.sysctl: NUL in the name", edits: []edit{set("linux.sysctl", `{"net.ipv4.ip_forward\u0000": "1"}`)}, want: "linux.sysctl"},
	{name: "linux.sysctl: an unknown net name", edits: []edit{set("linux.sysctl", `{"net.ipv4.hb_no_such": "1"}`)}, create: "net.ipv4.hb_no_such"},
	{name: "linux.sysctl: a value the kernel refuses", edits: []edit{set("linux.sysctl", `{"net.ipv4.ip_forward": "banana"}`)}, create: "net.ipv4.ip_forward"},
	{name: "linux.sysctl: empty value (the kernel takes an empty write)", edits: []edit{set("linux.sysctl", `{"net.ipv4.ip_forward": ""}`)}},

	// linux.devices
	{name: "linux.devices: object", edits: []edit{set("linux.devices", `{}`)}, want: "linux.devices"},
	{name: "linux.devices[0].type: unknown", edits: []edit{set("linux.devices", `[{"path": "/dev/hb", "type": "x", "major": 1, "minor": 3}]`)}, want: "linux.devices[0].type"},
	{name: "linux.devices[0].type: empty", edits: []edit{set("linux.devices", `[{"path": "/dev/hb", "type": "", "major": 1, "minor": 3}]`)}, want: "linux.devices[0].type"},
	{name: "linux.devices[0].path: relative", edits: []edit{set("linux.devices", `[{"path": "dev/hb", "type": "c", "major": 1, "minor": 3}]`)}, want: "linux.devices[0].path", runc: "accepts"},
	{name: "linux.devices[0].path: /", edits: []edit{set("linux.devices", `[{"path": "/", "type": "c", "major": 1, "minor": 3}]`)}, want: "linux.devices[0].path"},
	{name: "linux.devices[0].path: ../ climbs out", edits: []edit{set("linux.devices", `[{"path": "/dev/../../../hb-dev", "type": "c", "major": 1, "minor": 3}]`)}},
	{name: "linux.devices[0].major: negative", edits: []edit{set("linux.devices", `[{"path": "/dev/hb", "type": "c", "major": -1, "minor": 3}]`)}, want: "linux.devices[0].major"},
	{name: "linux.devices[0].minor: above 2^20", edits: []edit{set("linux.devices", `[{"path": "/dev/hb", "type": "c", "major": 1, "minor": 1048576}]`)}, want: "linux.devices[0].minor"},
	{name: "linux.devices[0].major: above 2^12", edits: []edit{set("linux.devices", `[{"path": "/dev/hb", "type": "c", "major": 4096, "minor": 1}]`)}, want: "linux.devices[0].major"},
	{name: "linux.devices[0].major: string", edits: []edit{set("linux.devices", `[{"path": "/dev/hb", "type": "c", "major": "1", "minor": 3}]`)}, want: "linux.devices"},
	{name: "linux.devices[0].fileMode: setuid bits", edits: []edit{set("linux.devices", `[{"path": "/dev/hb", "type": "c", "major": 1, "minor": 3, "fileMode": 3583}]`)}},
	{name: "linux.devices[0].fileMode: above 07777", edits: []edit{set("linux.devices", `[{"path": "/dev/hb", "type": "c", "major": 1, "minor": 3, "fileMode": 65536}]`)}},
	{name: "linux.devices[0].uid: negative", edits: []edit{set("linux.devices", `[{"path": "/dev/hb", "type": "c", "major": 1, "minor": 3, "uid": -1}]`)}, want: "linux.devices"},
	{name: "linux.devices[0]: a fifo with numbers", edits: []edit{set("linux.devices", `[{"path": "/dev/hb", "type": "p", "major": 1, "minor": 3}]`)}, runc: "refuses"},

	// linux.resources
	{name: "linux.resources: list", edits: []edit{set("linux.resources", `[]`)}, want: "linux.resources"},
	{name: "linux.resources.memory.limit: string", edits: []edit{set("linux.resources.memory", `{"limit": "1G"}`)}, want: "linux.resources.memory.limit"},
	{name: "linux.resources.memory.limit: -2", edits: []edit{set("linux.resources.memory", `{"limit": -2}`)}, create: "memory.limit"},
	{name: "linux.resources.memory.swappiness: 101", edits: []edit{set("linux.resources.memory", `{"swappiness": 101}`)}, want: "memory.swappiness"},
	{name: "linux.resources.cpu.shares: 1 (below 2)", edits: []edit{set("linux.resources.cpu", `{"shares": 1}`)}, create: "cpu.shares"},
	{name: "linux.resources.cpu.shares: 2^63", edits: []edit{set("linux.resources.cpu", `{"shares": 9223372036854775808}`)}, create: "cpu"},
	{name: "linux.resources.cpu.shares: negative", edits: []edit{set("linux.resources.cpu", `{"shares": -1}`)}, want: "linux.resources.cpu.shares"},
	{name: "linux.resources.cpu.quota: below 1000", edits: []edit{set("linux.resources.cpu", `{"quota": 1, "period": 100000}`)}, create: "cpu"},
	{name: "linux.resources.cpu.period: zero with a quota", edits: []edit{set("linux.resources.cpu", `{"quota": 50000, "period": 0}`)}},
	{name: "linux.resources.cpu.cpus: bad list", edits: []edit{set("linux.resources.cpu", `{"cpus": "0-x"}`)}, want: "linux.resources.cpu.cpus"},
	{name: "linux.resources.cpu.cpus: reversed range", edits: []edit{set("linux.resources.cpu", `{"cpus": "3-1"}`)}, want: "linux.resources.cpu.cpus"},
	{name: "linux.resources.cpu.cpus: the kernel's stride form", edits: []edit{set("linux.resources.cpu", `{"cpus": "0-1:1/2"}`)}},
	{name: "linux.resources.cpu.cpus: a cpu the host lacks", edits: []edit{set("linux.resources.cpu", `{"cpus": "4096"}`)}, create: "cpuset.cpus"},
	{name: "linux.resources.cpu.mems: bad list", edits: []edit{set("linux.resources.cpu", `{"mems": "a"}`)}, want: "linux.resources.cpu.mems"},
	{name: "linux.resources.pids.limit: string", edits: []edit{set("linux.resources.pids", `{"limit": "10"}`)}, want: "linux.resources.pids.limit"},
	{name: "linux.resources.pids.limit: -5", edits: []edit{set("linux.resources.pids", `{"limit": -5}`)}},
	{name: "linux.resources.blockIO.weight: 5 (below 10)", edits: []edit{set("linux.resources.blockIO", `{"weight": 5}`)}, want: "blockIO.weight", create: "?"},
	{name: "linux.resources.blockIO.weight: 70000", edits: []edit{set("linux.resources.blockIO", `{"weight": 70000}`)}, want: "linux.resources.blockIO.weight"},
	{name: "linux.resources.hugepageLimits: bad page size", edits: []edit{set("linux.resources.hugepageLimits", `[{"pageSize": "3KB", "limit": 1}]`)}, create: "hugepageLimits[0]"},
	{name: "linux.resources.unified: a file outside the cgroup", edits: []edit{set("linux.resources.unified", `{"../../cgroup.procs": "1"}`)}, want: "unified"},
	{name: "linux.resources.unified: cgroup.procs", edits: []edit{set("linux.resources.unified", `{"cgroup.procs": "1"}`)}, want: "unified"},
	{name: "linux.resources.devices[0].type: unknown", edits: []edit{set("linux.resources.devices[+]", `{"allow": true, "type": "x", "access": "rwm"}`)}, create: "linux.resources.devices[1]"},
	{name: "linux.resources.devices[0].access: unknown", edits: []edit{set("linux.resources.devices[+]", `{"allow": true, "type": "c", "access": "rwz"}`)}, create: "linux.resources.devices[1]", runc: "accepts"},
	{name: "linux.cgroupsPath: ../ climbs out", edits: []edit{set("linux.cgroupsPath", `"../../hb-escape"`)}},
	{name: "linux.cgroupsPath: number", edits: []edit{set("linux.cgroupsPath", `1`)}, want: "linux.cgroupsPath"},

	// linux.seccomp
	{name: "linux.seccomp: string", edits: []edit{set("linux.seccomp", `"default"`)}, want: "linux.seccomp"},
	{name: "linux.seccomp.defaultAction: unknown", edits: []edit{set("linux.seccomp", `{"defaultAction": "SCMP_ACT_BOGUS"}`)}, want: "linux.seccomp.defaultAction"},
	{name: "linux.seccomp.architectures: unknown", edits: []edit{set("linux.seccomp", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_BOGUS"]}`)}, want: "linux.seccomp.architectures"},
	{name: "linux.seccomp.syscalls[0].action: unknown", edits: []edit{set("linux.seccomp", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_BOGUS"}]}`)}, want: "linux.seccomp.syscalls[0].action"},
	{name: "linux.seccomp.syscalls[0].names: unknown syscall is skipped", edits: []edit{set("linux.seccomp", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["hb_no_such_call"], "action": "SCMP_ACT_ERRNO"}]}`)}},
	{name: "linux.seccomp.syscalls[0].args[0].op: unknown", edits: []edit{set("linux.seccomp", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_BOGUS"}]}]}`)}, want: "linux.seccomp.syscalls[0].args[0]"},
	{name: "linux.seccomp.syscalls[0].args[0].index: 6", edits: []edit{set("linux.seccomp", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}`)}, want: "linux.seccomp.syscalls[0].args[0]"},
	{name: "linux.seccomp.flags: unknown", edits: []edit{set("linux.seccomp", `{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_BOGUS"]}`)}, want: "linux.seccomp.flags"},
	{name: "linux.seccomp.syscalls[0].names: number", edits: []edit{set("linux.seccomp", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [1], "action": "SCMP_ACT_ERRNO"}]}`)}, want: "linux.seccomp"},

	// linux: other fields
	{name: "linux.rootfsPropagation: unknown", edits: []edit{set("linux.rootfsPropagation", `"sideways"`)}, want: "linux.rootfsPropagation"},
	{name: "linux.rootfsPropagation: number", edits: []edit{set("linux.rootfsPropagation", `1`)}, want: "linux.rootfsPropagation"},
	{name: "linux.maskedPaths: relative", edits: []edit{set("linux.maskedPaths[+]", `"proc/kcore"`)}, want: "linux.maskedPaths[1]", runc: "accepts"},
	{name: "linux.readonlyPaths: relative", edits: []edit{set("linux.readonlyPaths[+]", `"proc/sys"`)}, want: "linux.readonlyPaths[1]", runc: "accepts"},
	{name: "linux.maskedPaths: ../ climbs to /", edits: []edit{set("linux.maskedPaths[+]", `"/../../etc/hb-nothing"`)}},
	{name: "linux.maskedPaths: string", edits: []edit{set("linux.maskedPaths", `"/proc/kcore"`)}, want: "linux.maskedPaths"},
	{name: "linux.personality.domain: unknown", edits: []edit{set("linux.personality", `{"domain": "LINUX_BOGUS"}`)}, want: "linux.personality"},
	{name: "linux.timeOffsets: without a time namespace", edits: []edit{set("linux.timeOffsets", `{"monotonic": {"secs": 1}}`)}, want: "linux.timeOffsets"},

	// hooks
	{name: "hooks: list", edits: []edit{set("hooks", `[]`)}, want: "hooks"},
	{name: "hooks.prestart[0].path: relative", edits: []edit{set("hooks", `{"prestart": [{"path": "bin/true"}]}`)}, want: "hooks.prestart[0].path"},
	{name: "hooks.createRuntime[0].path: empty", edits: []edit{set("hooks", `{"createRuntime": [{"path": ""}]}`)}, want: "hooks.createRuntime[0].path"},
	{name: "hooks.poststart[0].timeout: negative", edits: []edit{set("hooks", `{"poststart": [{"path": "/bin/true", "timeout": -1}]}`)}, want: "hooks.poststart[0].timeout"},
	{name: "hooks.poststop[0].timeout: zero", edits: []edit{set("hooks", `{"poststop": [{"path": "/bin/true", "timeout": 0}]}`)}, want: "hooks.poststop[0].timeout", runc: "accepts"},
	{name: "hooks.prestart[0].timeout: string", edits: []edit{set("hooks", `{"prestart": [{"path": "/bin/true", "timeout": "5"}]}`)}, want: "hooks.prestart"},
	{name: "hooks.createContainer[0].args: string", edits: []edit{set("hooks", `{"createContainer": [{"path": "/bin/true", "args": "x"}]}`)}, want: "hooks.createContainer"},
	{name: "hooks.prestart[0].path: a missing file", edits: []edit{set("hooks", `{"prestart": [{"path": "/hb-no-such-hook"}]}`)}, create: "hb-no-such-hook"},
}

// applyEdit changes the decoded config at e.path.
func applyEdit(doc any, e edit) error {
	var val any
	if !e.del {
		dec := json.NewDecoder(strings.NewReader(e.value))
		dec.UseNumber()
		if err := dec.Decode(&val); err != nil {
			return fmt.Errorf("value %s: %w", e.value, err)
		}
	}
	// Split "a.b[1][+]" into keys and indices.
	var steps []string
	for _, part := range strings.Split(e.path, ".") {
		key, rest, _ := strings.Cut(part, "[")
		steps = append(steps, key)
		for rest != "" {
			idx, more, _ := strings.Cut(rest, "]")
			steps = append(steps, "["+idx)
			rest = strings.TrimPrefix(more, "[")
		}
	}
	cur := doc
	for i := 0; i < len(steps); i++ {
		st, last := steps[i], i == len(steps)-1
		if strings.HasPrefix(st, "[") {
			return fmt.Errorf("%s: index outside a list", e.path)
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %s is not an object", e.path, st)
		}
		if last {
			if e.del {
				delete(m, st)
			} else {
				m[st] = val
			}
			return nil
		}
		if next := steps[i+1]; strings.HasPrefix(next, "[") {
			list, _ := m[st].([]any)
			if next == "[+" {
				if i+1 != len(steps)-1 {
					return fmt.Errorf("%s: [+] must be last", e.path)
				}
				m[st] = append(list, val)
				return nil
			}
			n, err := strconv.Atoi(next[1:])
			if err != nil || n >= len(list) {
				return fmt.Errorf("%s: no element %s", e.path, next[1:])
			}
			if i+1 == len(steps)-1 {
				list[n] = val
				return nil
			}
			cur = list[n]
			i++ // the index is used
			continue
		}
		if m[st] == nil {
			m[st] = map[string]any{}
		}
		cur = m[st]
	}
	return nil
}

// catalogueConfig is the config.json of a row.
func catalogueConfig(r catRow) ([]byte, error) {
	// Numbers stay as written: 2^64-1 does not survive a float64.
	var doc any
	dec := json.NewDecoder(strings.NewReader(catalogueBase))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	for _, e := range r.edits {
		if err := applyEdit(doc, e); err != nil {
			return nil, err
		}
	}
	return json.MarshalIndent(doc, "", " ")
}

// allFiles1 and allFiles2 are cgroups where every controller and file
// exists, so that only the values are judged.
type allFiles1 struct{}

func (allFiles1) Has(string) bool             { return true }
func (allFiles1) Exists(string, string) bool  { return true }
func (allFiles1) Read(string) (string, error) { return "", nil }

type allFiles2 struct{}

func (allFiles2) Exists(string) bool          { return true }
func (allFiles2) Read(string) (string, error) { return "max", nil }

// catalogueCheck runs what create checks, in its order, on bundle.
func catalogueCheck(bundle string) error {
	log, err := logs.New(io.Discard, "text", false)
	if err != nil {
		return err
	}
	p, err := prepare(&CreateOpts{ID: "catalogue", Bundle: bundle, Root: filepath.Join(bundle, "state"), Log: log})
	if err != nil {
		return err
	}
	if sc := p.spec.Linux.Seccomp; sc != nil {
		if _, err := seccomp.Compile(sc); err != nil {
			return err
		}
	}
	if r := p.spec.Linux.Resources; r != nil {
		if _, err := fs2.Plan(r, allFiles2{}); err != nil {
			return err
		}
		if _, err := fs1.Plan(r, allFiles1{}); err != nil {
			return err
		}
	}
	return nil
}

func TestBadInputCatalogue(t *testing.T) {
	dump := os.Getenv("HAKO_CATALOGUE_DIR")
	names := map[string]bool{}
	for i, r := range catalogue {
		if names[r.name] {
			t.Fatalf("row %q given twice", r.name)
		}
		names[r.name] = true
		cfg, err := catalogueConfig(r)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		bundle := t.TempDir()
		if err := os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bundle, "config.json"), cfg, 0o644); err != nil {
			t.Fatal(err)
		}
		err = catalogueCheck(bundle)
		switch {
		case r.want == "" && err != nil:
			t.Errorf("%s: refused, want accepted: %v", r.name, err)
		case r.want != "" && err == nil:
			t.Errorf("%s: accepted, want an error naming %s", r.name, r.want)
		case err != nil && !strings.Contains(err.Error(), r.want):
			t.Errorf("%s: error does not name %s: %v", r.name, r.want, err)
		case err != nil && strings.ContainsAny(err.Error(), "\n\r"):
			t.Errorf("%s: error is not one line: %q", r.name, err)
		}
		if dump != "" {
			dir := filepath.Join(dump, fmt.Sprintf("%03d", i))
			want := r.want
			if r.create != "" {
				want = r.create
			}
			meta, _ := json.Marshal(map[string]string{"name": r.name, "want": want, "runc": r.runc})
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "row.json"), meta, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("%d rows", len(catalogue))
}

// The base config itself is accepted (or every row would pass for the
// wrong reason).
func TestBadInputCatalogueBase(t *testing.T) {
	var s specs.Spec
	if err := json.Unmarshal([]byte(catalogueBase), &s); err != nil {
		t.Fatal(err)
	}
	bundle := t.TempDir()
	if err := os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), []byte(catalogueBase), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := catalogueCheck(bundle); err != nil {
		t.Fatal(err)
	}
}
