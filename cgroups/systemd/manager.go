package systemd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/cgroups/fs2"
	"github.com/hako-runtime/hako/cgroups/internal/common"
)

// Config is what the driver needs from cgroups.Config.
type Config struct {
	Mount       string // the cgroup2 mount, e.g. /sys/fs/cgroup
	Path        string // cgroupsPath, "slice:prefix:name" or ""
	ID          string
	Rootless    bool                  // the user's systemd instance, not the system's
	Dir         string                // the scope's directory, as an earlier command recorded it
	Resources   *specs.LinuxResources // unit properties at start
	Annotations map[string]string     // org.systemd.property.*
}

// Manager runs a container in a transient scope.
type Manager struct {
	*fs2.Manager // the scope's directory
	cfg          Config
	slice, unit  string

	mu   sync.Mutex
	conn *sd.Conn
}

// New computes the unit and its cgroup directory; it does not connect to
// systemd until a method needs it.
//
// Rootless, the units are the user's: its own systemd instance (the user
// manager, reached on the user bus at $DBUS_SESSION_BUS_ADDRESS or
// $XDG_RUNTIME_DIR/bus) starts them below its own cgroup, which New asks
// it for (the ControlGroup property of the manager, e.g.
// /user.slice/user-1000.slice/user@1000.service) unless cfg.Dir, the
// directory an earlier command recorded, is given.
func New(cfg Config) (*Manager, error) {
	slice, unit, err := ParsePath(cfg.Path, cfg.ID, cfg.Rootless)
	if err != nil {
		return nil, err
	}
	m := &Manager{cfg: cfg, slice: slice, unit: unit}
	dir := cfg.Dir
	if dir == "" {
		base := ""
		if cfg.Rootless {
			if base, err = m.userManagerCgroup(); err != nil {
				return nil, err
			}
		}
		sl, _ := ExpandSlice(slice)
		dir = filepath.Join(cfg.Mount, base, sl, unit)
	}
	if m.Manager, err = fs2.New(cfg.Mount, dir); err != nil {
		return nil, err
	}
	return m, nil
}

// userManagerCgroup is the cgroup of the caller's systemd user instance.
func (m *Manager) userManagerCgroup() (string, error) {
	c, err := m.dbus()
	if err != nil {
		return "", err
	}
	v, err := c.GetManagerProperty("ControlGroup")
	if err != nil {
		return "", fmt.Errorf("systemd user instance: read its ControlGroup: %w", err)
	}
	cg, err := strconv.Unquote(v)
	if err != nil || !strings.HasPrefix(cg, "/") {
		return "", fmt.Errorf("systemd user instance: unexpected ControlGroup %s", v)
	}
	return cg, nil
}

// Unit returns the scope's unit name.
func (m *Manager) Unit() string { return m.unit }

func (m *Manager) dbus() (*sd.Conn, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conn != nil && m.conn.Connected() {
		return m.conn, nil
	}
	// The connection lives as long as its context: no timeout here.
	connect, what := sd.NewWithContext, "systemd"
	if m.cfg.Rootless {
		connect, what = userConnection, "the systemd user instance (rootless: the user bus at $DBUS_SESSION_BUS_ADDRESS or $XDG_RUNTIME_DIR/bus, or its private socket $XDG_RUNTIME_DIR/systemd/private)"
	}
	c, err := connect(context.Background())
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", what, err)
	}
	m.conn = c
	return c, nil
}

// userConnection reaches the caller's systemd user instance: on the user
// bus when there is one, else on the instance's own private socket (a
// peer-to-peer D-Bus connection, which needs no bus daemon: hosts without
// dbus-user-session have none), as go-systemd does for the system
// instance at /run/systemd/private.
func userConnection(ctx context.Context) (*sd.Conn, error) {
	xdg := os.Getenv("XDG_RUNTIME_DIR")
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" || xdg == "" {
		return sd.NewUserConnectionContext(ctx)
	}
	if _, err := os.Stat(filepath.Join(xdg, "bus")); err == nil {
		return sd.NewUserConnectionContext(ctx)
	}
	private := filepath.Join(xdg, "systemd", "private")
	return sd.NewConnection(func() (*dbus.Conn, error) {
		conn, err := dbus.Dial("unix:path="+private, dbus.WithContext(ctx))
		if err != nil {
			return nil, err
		}
		if err := conn.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Getuid()))}); err != nil {
			conn.Close()
			return nil, err
		}
		return conn, nil
	})
}

// Close releases the D-Bus connection.
func (m *Manager) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conn != nil {
		m.conn.Close()
		m.conn = nil
	}
}

func waitJob(ch <-chan string, what string) error {
	select {
	case res := <-ch:
		if res != "done" {
			return fmt.Errorf("%s: job %s", what, res)
		}
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%s: timed out waiting for systemd", what)
	}
}

// procDevices reads /proc/devices for "char-<name>" device rules.
func procDevices(typ byte, major int64) (string, bool) {
	f, err := os.Open("/proc/devices")
	if err != nil {
		return "", false
	}
	defer f.Close()
	section := ""
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		switch line {
		case "Character devices:":
			section = "c"
			continue
		case "Block devices:":
			section = "b"
			continue
		}
		num, name, ok := strings.Cut(line, " ")
		if ok && section == string(typ) && num == strconv.FormatInt(major, 10) {
			return name, true
		}
	}
	return "", false
}

// Apply starts the scope with pid in it (Delegate=yes, accounting on,
// resources and annotation properties). A scope needs a process, so
// pid <= 0 is an error. If the scope exists already, pid joins it.
func (m *Manager) Apply(pid int) error {
	if pid <= 0 {
		return errors.New("systemd: a scope cannot be started without a process")
	}
	// A running scope (exec into the container): just join its cgroup,
	// without touching the ancestors systemd manages.
	if _, err := os.Stat(m.Path()); err == nil {
		return common.WriteProc(m.Path(), pid)
	}
	c, err := m.dbus()
	if err != nil {
		return err
	}
	props := []sd.Property{
		sd.PropSlice(m.slice),
		sd.PropDescription("hako container " + m.cfg.ID),
		sd.PropPids(uint32(pid)),
		prop("Delegate", true),
		prop("DefaultDependencies", false),
		prop("MemoryAccounting", true),
		prop("CPUAccounting", true),
		prop("IOAccounting", true),
		prop("TasksAccounting", true),
	}
	rp, err := Properties(m.resources(m.cfg.Resources), procDevices)
	if err != nil {
		return err
	}
	ap, err := AnnotationProperties(m.cfg.Annotations)
	if err != nil {
		return err
	}
	props = append(append(props, rp...), ap...)
	ch := make(chan string, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = c.StartTransientUnitContext(ctx, m.unit, "replace", props, ch)
	if err != nil {
		var de dbus.Error
		if errors.As(err, &de) && de.Name == "org.freedesktop.systemd1.UnitExists" {
			return common.WriteProc(m.Path(), pid)
		}
		return fmt.Errorf("start unit %s: %w", m.unit, err)
	}
	if err := waitJob(ch, "start unit "+m.unit); err != nil {
		return err
	}
	// systemd only enables the controllers it manages in the slices
	// above the scope; hugetlb, rdma and misc are enabled here (as runc
	// does), or the scope would have no files for them. systemd leaves
	// controllers it does not know alone.
	if err := m.Manager.Create(); err != nil {
		return fmt.Errorf("unit %s: %w", m.unit, err)
	}
	return nil
}

// Set updates the unit properties (runtime only) and then writes every
// field through fs2 on the scope's directory, which also covers what
// systemd has no property for and attaches hako's device filter.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	props, err := Properties(m.resources(r), procDevices)
	if err != nil {
		return err
	}
	// Whatever fs2 would refuse is refused before systemd changes a
	// property, so a failed update changes nothing; and checkBeforeUpdate
	// is checked before systemd gets a lower MemoryMax.
	if _, err := fs2.Plan(r, m.Manager); err != nil {
		return err
	}
	if err := m.CheckMemory(r); err != nil {
		return err
	}
	if len(props) > 0 {
		c, err := m.dbus()
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.SetUnitPropertiesContext(ctx, m.unit, true, props...); err != nil {
			return fmt.Errorf("set properties of %s: %w", m.unit, err)
		}
	}
	return m.Manager.Set(m.resources(r))
}

// resources drops device rules for a user instance, which cannot attach
// a device program (CAP_SYS_ADMIN), as runc does for rootless containers;
// their user namespace keeps them from making device nodes anyway.
func (m *Manager) resources(r *specs.LinuxResources) *specs.LinuxResources {
	if r == nil || !m.cfg.Rootless || len(r.Devices) == 0 {
		return r
	}
	c := *r
	c.Devices = nil
	return &c
}

// Destroy stops the scope (systemd kills what is left and removes the
// cgroup), resets a failed state, and removes the directory if systemd
// left it. A unit that does not exist is success.
func (m *Manager) Destroy() error {
	c, err := m.dbus()
	if err != nil {
		return err
	}
	ch := make(chan string, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.StopUnitContext(ctx, m.unit, "replace", ch); err != nil {
		var de dbus.Error
		if !errors.As(err, &de) || de.Name != "org.freedesktop.systemd1.NoSuchUnit" {
			return fmt.Errorf("stop unit %s: %w", m.unit, err)
		}
	} else if err := waitJob(ch, "stop unit "+m.unit); err != nil {
		return err
	}
	_ = c.ResetFailedUnitContext(ctx, m.unit)
	return m.Manager.Destroy()
}

// CgroupFD opens the scope's directory for CLONE_INTO_CGROUP (for exec
// into a running container); the scope must exist.
func (m *Manager) CgroupFD() (int, error) {
	fd, err := unix.Open(m.Path(), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open cgroup of %s: %w", m.unit, err)
	}
	return fd, nil
}
