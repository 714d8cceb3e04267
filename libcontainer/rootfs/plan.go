package rootfs

import (
	"fmt"
	"path"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Options is one mount's option list, parsed.
type Options struct {
	Flags       uintptr   // mount(2) flags to set
	Clear       uintptr   // flags explicitly cleared ("rw", "suid", ...)
	Propagation []uintptr // MS_SHARED|MS_REC, ... applied after the mount
	RecSet      uint64    // MOUNT_ATTR_* set recursively ("rro", ...)
	RecClr      uint64    // MOUNT_ATTR_* cleared recursively ("rrw", ...)
	Data        []string  // filesystem-specific options, passed through
	Idmap       bool      // "idmap"/"ridmap" (see Idmapped for the whole rule)
	IdmapRec    bool      // "ridmap": the idmap covers every mount of the tree
	Recursive   bool      // "rbind"
	CopyUp      bool      // "tmpcopyup"
}

type flagOpt struct {
	clear bool
	flag  uintptr
}

var flagOpts = map[string]flagOpt{
	"async":         {true, unix.MS_SYNCHRONOUS},
	"atime":         {true, unix.MS_NOATIME},
	"bind":          {false, unix.MS_BIND},
	"defaults":      {false, 0},
	"dev":           {true, unix.MS_NODEV},
	"diratime":      {true, unix.MS_NODIRATIME},
	"dirsync":       {false, unix.MS_DIRSYNC},
	"exec":          {true, unix.MS_NOEXEC},
	"iversion":      {false, unix.MS_I_VERSION},
	"lazytime":      {false, unix.MS_LAZYTIME},
	"loud":          {true, unix.MS_SILENT},
	"mand":          {false, unix.MS_MANDLOCK},
	"noatime":       {false, unix.MS_NOATIME},
	"nodev":         {false, unix.MS_NODEV},
	"nodiratime":    {false, unix.MS_NODIRATIME},
	"noexec":        {false, unix.MS_NOEXEC},
	"noiversion":    {true, unix.MS_I_VERSION},
	"nolazytime":    {true, unix.MS_LAZYTIME},
	"nomand":        {true, unix.MS_MANDLOCK},
	"norelatime":    {true, unix.MS_RELATIME},
	"nostrictatime": {true, unix.MS_STRICTATIME},
	"nosuid":        {false, unix.MS_NOSUID},
	"nosymfollow":   {false, unix.MS_NOSYMFOLLOW},
	"rbind":         {false, unix.MS_BIND | unix.MS_REC},
	"relatime":      {false, unix.MS_RELATIME},
	"remount":       {false, unix.MS_REMOUNT},
	"ro":            {false, unix.MS_RDONLY},
	"rw":            {true, unix.MS_RDONLY},
	"silent":        {false, unix.MS_SILENT},
	"strictatime":   {false, unix.MS_STRICTATIME},
	"suid":          {true, unix.MS_NOSUID},
	"symfollow":     {true, unix.MS_NOSYMFOLLOW},
	"sync":          {false, unix.MS_SYNCHRONOUS},
}

var propOpts = map[string]uintptr{
	"private":     unix.MS_PRIVATE,
	"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
	"shared":      unix.MS_SHARED,
	"rshared":     unix.MS_SHARED | unix.MS_REC,
	"slave":       unix.MS_SLAVE,
	"rslave":      unix.MS_SLAVE | unix.MS_REC,
	"unbindable":  unix.MS_UNBINDABLE,
	"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

type recOpt struct {
	clear bool
	attr  uint64
}

var recOpts = map[string]recOpt{
	"rro":            {false, unix.MOUNT_ATTR_RDONLY},
	"rrw":            {true, unix.MOUNT_ATTR_RDONLY},
	"rnosuid":        {false, unix.MOUNT_ATTR_NOSUID},
	"rsuid":          {true, unix.MOUNT_ATTR_NOSUID},
	"rnodev":         {false, unix.MOUNT_ATTR_NODEV},
	"rdev":           {true, unix.MOUNT_ATTR_NODEV},
	"rnoexec":        {false, unix.MOUNT_ATTR_NOEXEC},
	"rexec":          {true, unix.MOUNT_ATTR_NOEXEC},
	"rnodiratime":    {false, unix.MOUNT_ATTR_NODIRATIME},
	"rdiratime":      {true, unix.MOUNT_ATTR_NODIRATIME},
	"rrelatime":      {false, unix.MOUNT_ATTR_RELATIME},
	"rnorelatime":    {true, unix.MOUNT_ATTR_RELATIME},
	"rnoatime":       {false, unix.MOUNT_ATTR_NOATIME},
	"ratime":         {true, unix.MOUNT_ATTR_NOATIME},
	"rstrictatime":   {false, unix.MOUNT_ATTR_STRICTATIME},
	"rnostrictatime": {true, unix.MOUNT_ATTR_STRICTATIME},
	"rnosymfollow":   {false, unix.MOUNT_ATTR_NOSYMFOLLOW},
	"rsymfollow":     {true, unix.MOUNT_ATTR_NOSYMFOLLOW},
}

// ParseOptions splits a mount's options into flags, propagation, recursive
// attributes and data. Later options win over earlier ones, as in mount(8).
func ParseOptions(opts []string) Options {
	var o Options
	for _, opt := range opts {
		if f, ok := flagOpts[opt]; ok {
			if f.clear {
				o.Flags &^= f.flag
				o.Clear |= f.flag
			} else {
				o.Flags |= f.flag
				o.Clear &^= f.flag
			}
			if opt == "rbind" {
				o.Recursive = true
			}
			continue
		}
		if p, ok := propOpts[opt]; ok {
			o.Propagation = append(o.Propagation, p)
			continue
		}
		if r, ok := recOpts[opt]; ok {
			if r.attr&unix.MOUNT_ATTR__ATIME == r.attr {
				// The atime attributes are one mode, not bits: the kernel
				// wants all of MOUNT_ATTR__ATIME cleared and at most one mode
				// set; clearing a mode goes back to the default (relatime).
				o.RecClr |= unix.MOUNT_ATTR__ATIME
				o.RecSet &^= unix.MOUNT_ATTR__ATIME
				if !r.clear {
					o.RecSet |= r.attr
				}
				continue
			}
			if r.clear {
				o.RecClr |= r.attr
				o.RecSet &^= r.attr
			} else {
				o.RecSet |= r.attr
				o.RecClr &^= r.attr
			}
			continue
		}
		switch opt {
		case "idmap":
			o.Idmap = true
		case "ridmap":
			o.Idmap, o.IdmapRec = true, true
		case "tmpcopyup":
			o.CopyUp = true
		default:
			o.Data = append(o.Data, opt)
		}
	}
	return o
}

// IsBind reports whether a mount is a bind mount: type "bind", or a
// "bind"/"rbind" option with any type (runc's rule).
func IsBind(m *specs.Mount) bool {
	if m.Type == "bind" {
		return true
	}
	for _, o := range m.Options {
		if o == "bind" || o == "rbind" {
			return true
		}
	}
	return false
}

// Dest returns the cleaned absolute destination; a relative destination is
// taken relative to "/", as runc does.
func Dest(m *specs.Mount) string {
	return path.Clean("/" + m.Destination)
}

// Check validates one mount without touching the system.
func Check(i int, m *specs.Mount) error {
	field := fmt.Sprintf("mounts[%d]", i)
	if m.Destination == "" {
		return fmt.Errorf("%s.destination: must not be empty", field)
	}
	if strings.ContainsRune(m.Destination, 0) {
		return fmt.Errorf("%s.destination: NUL byte in path %q", field, m.Destination)
	}
	if strings.ContainsRune(m.Source, 0) {
		return fmt.Errorf("%s.source: NUL byte in path %q", field, m.Source)
	}
	o := ParseOptions(m.Options)
	bind := IsBind(m)
	if bind {
		if m.Source == "" {
			return fmt.Errorf("%s.source: bind mount needs a source", field)
		}
		for _, d := range o.Data {
			// Bind mounts take no filesystem data: the kernel would
			// silently drop it, which would hide a typo.
			if !strings.HasPrefix(d, "x-") && d != "z" && d != "Z" {
				return fmt.Errorf("%s.options: unknown option %q for bind mount", field, d)
			}
		}
	} else if m.Type == "" {
		return fmt.Errorf("%s.type: must be set for a non-bind mount", field)
	}
	if idmap, _ := Idmapped(m); idmap && !bind {
		return fmt.Errorf("%s.options: idmap is only supported on bind mounts", field)
	}
	if maps := len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0; maps && (len(m.UIDMappings) == 0 || len(m.GIDMappings) == 0) {
		return fmt.Errorf("%s: an idmapped mount needs both uidMappings and gidMappings, or neither", field)
	}
	if Dest(m) == "/" {
		return fmt.Errorf("%s.destination: cannot mount over the container root", field)
	}
	return nil
}

// NeedsDevSetup reports whether hako populates /dev itself: it does unless
// the host /dev is bind-mounted in.
func NeedsDevSetup(s *specs.Spec) bool {
	for i := range s.Mounts {
		if Dest(&s.Mounts[i]) == "/dev" && IsBind(&s.Mounts[i]) {
			return false
		}
	}
	return true
}

// OptionNames lists every mount option hako interprets itself (flags,
// propagation, recursive attributes, tmpcopyup), sorted, for `hako
// features`; anything else is passed to the filesystem as data.
func OptionNames() []string {
	out := make([]string, 0, len(flagOpts)+len(propOpts)+len(recOpts)+1)
	out = append(out, "tmpcopyup")
	for k := range flagOpts {
		out = append(out, k)
	}
	for k := range propOpts {
		out = append(out, k)
	}
	for k := range recOpts {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// HasIdmap reports whether any mount of s is idmapped.
func HasIdmap(s *specs.Spec) bool {
	for i := range s.Mounts {
		if idmap, _ := Idmapped(&s.Mounts[i]); idmap {
			return true
		}
	}
	return false
}

// Idmapped reports whether m is an idmapped mount, and whether the idmap
// covers every mount of its tree rather than the top one. uidMappings or
// gidMappings without "idmap" or "ridmap" make an idmapped mount too:
// containerd >= 2 sends volumes that way, and runc maps only the top mount
// of those.
func Idmapped(m *specs.Mount) (idmap, recursive bool) {
	o := ParseOptions(m.Options)
	if o.Idmap {
		return true, o.IdmapRec
	}
	return len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0, false
}

// Op is the kind of a mount operation: what the init does for it.
type Op string

const (
	// OpBind attaches a clone of Source's tree (or the detached mount of
	// it the host opened) at Dest, a directory or a file as the source is.
	OpBind Op = "bind"
	// OpCgroup mounts the container's own cgroup hierarchies at Dest.
	OpCgroup Op = "cgroup"
	// OpKernFS mounts a new proc or sysfs on a plain directory at Dest:
	// never through a symlink, nothing else over /proc.
	OpKernFS Op = "kernfs"
	// OpFS mounts a new instance of any other filesystem at Dest.
	OpFS Op = "fs"
)

// MountOp is one entry of spec.Mounts, checked and parsed on the host,
// as the init applies it inside the container's mount namespace.
type MountOp struct {
	Op Op `json:"op"`
	// Index is the entry's position in spec.Mounts: errors name it, and
	// the bind sources the host opens are keyed by it.
	Index  int    `json:"index"`
	Source string `json:"source,omitempty"`
	// Dest is the cleaned absolute destination inside the rootfs (Dest).
	Dest string `json:"dest"`
	Type string `json:"type,omitempty"`
	// Raw is the options as the spec gives them, for error texts.
	Raw     []string `json:"raw,omitempty"`
	Options Options  `json:"options"`
	// DeferRO: mounted writable, made read-only by Finish once /dev and
	// later mount points are made (tmpfs and /dev, as in runc).
	DeferRO bool `json:"defer_ro,omitempty"`
	// Idmap: the source must be a detached mount the host idmapped.
	Idmap bool `json:"idmap,omitempty"`
}

// NewProcfs says whether op mounts a new procfs: the one filesystem whose
// instance depends on who opens it (its pid namespace), so a host thread
// making the rootfs gets its context from the init.
func (op *MountOp) NewProcfs() bool { return op.Op == OpKernFS && op.Type == "proc" }

// Plan checks every entry of s.Mounts (Check) and returns the operations
// that make them, in the spec's order. Relative bind sources must have
// been made absolute (relative to the bundle) by the caller. The errors
// name the entry as mounts[i].
func Plan(s *specs.Spec) ([]MountOp, error) {
	userns := false
	if s.Linux != nil {
		for _, ns := range s.Linux.Namespaces {
			userns = userns || ns.Type == specs.UserNamespace
		}
	}
	ops := make([]MountOp, 0, len(s.Mounts))
	for i := range s.Mounts {
		m := &s.Mounts[i]
		if err := Check(i, m); err != nil {
			return nil, err
		}
		idmap, _ := Idmapped(m)
		if idmap && len(m.UIDMappings) == 0 && !userns {
			return nil, fmt.Errorf("mounts[%d]: idmap without uidMappings takes the container's user namespace, and it has none", i)
		}
		op := MountOp{
			Index: i, Source: m.Source, Dest: Dest(m), Type: m.Type,
			Raw: m.Options, Options: ParseOptions(m.Options), Idmap: idmap,
		}
		switch {
		case IsBind(m):
			op.Op = OpBind
		case m.Type == "cgroup" || m.Type == "cgroup2":
			op.Op = OpCgroup
		case m.Type == "proc" || m.Type == "sysfs":
			op.Op = OpKernFS
		default:
			op.Op = OpFS
			op.DeferRO = op.Options.Flags&unix.MS_RDONLY != 0 && (m.Type == "tmpfs" || op.Dest == "/dev")
		}
		ops = append(ops, op)
	}
	return ops, nil
}
