package libcontainer

import (
	"fmt"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// moveNetDevices moves linux.netDevices from the host into the network
// namespace of pid, renames them, gives them back their permanent global
// addresses (a move drops every address) and sets them up, as the
// runtime-spec asks. They are never moved back: when the namespace goes,
// the kernel returns physical devices and destroys virtual ones.
// vishvananda/netlink (runc's choice) speaks rtnetlink for us.
func moveNetDevices(pid int, devs map[string]specs.LinuxNetDevice) error {
	if len(devs) == 0 {
		return nil
	}
	ns, err := netns.GetFromPid(pid)
	if err != nil {
		return fmt.Errorf("linux.netDevices: container network namespace: %w", err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("linux.netDevices: %w", err)
	}
	defer h.Close()
	names := make([]string, 0, len(devs))
	for n := range devs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, host := range names {
		if err := moveNetDevice(h, ns, host, devs[host].Name); err != nil {
			return fmt.Errorf("linux.netDevices[%s]: %w", host, err)
		}
	}
	return nil
}

func moveNetDevice(h *netlink.Handle, ns netns.NsHandle, host, name string) error {
	if name == "" {
		name = host
	}
	link, err := netlink.LinkByName(host)
	if err != nil {
		return fmt.Errorf("no such device on the host: %w", err)
	}
	if !strings.Contains(name, "%d") {
		if _, err := h.LinkByName(name); err == nil {
			return fmt.Errorf("a device named %s already exists in the container", name)
		}
	}
	addrs, err := netlink.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return err
	}
	if err := netlink.LinkSetNsFd(link, int(ns)); err != nil {
		return fmt.Errorf("move into the container: %w", err)
	}
	// By name: the kernel may give the device a new index there.
	link, err = h.LinkByName(host)
	if err != nil {
		return fmt.Errorf("find the moved device: %w", err)
	}
	if name != host {
		// With a "%d" template the kernel picks a free name.
		if err := h.LinkSetName(link, name); err != nil {
			return fmt.Errorf("rename to %s: %w", name, err)
		}
	}
	for _, a := range addrs {
		if a.Flags&unix.IFA_F_PERMANENT == 0 || a.Scope != unix.RT_SCOPE_UNIVERSE {
			continue
		}
		a := a
		a.Label = ""
		if err := h.AddrAdd(link, &a); err != nil {
			return fmt.Errorf("restore address %s: %w", a.IPNet, err)
		}
	}
	return h.LinkSetUp(link)
}
