package libcontainer

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/hako-runtime/hako/libcontainer/caps"
	"github.com/hako-runtime/hako/libcontainer/rootfs"
	"github.com/hako-runtime/hako/libcontainer/validate"
	"github.com/hako-runtime/hako/seccomp"
)

// MinOCIVersion is the oldest runtime-spec version validate.OCIVersion
// accepts; the newest is the one hako is built against.
const MinOCIVersion = "1.0.0"

// Features is the runtime-spec features document: what this build of hako
// accepts in a config. Each list comes from the table the code itself uses
// (rootfs options, capabilities, seccomp), so a claim cannot outlive the
// code; fields hako refuses are reported as disabled. apparmor and selinux
// say hako can apply labels (libcontainer/lsm), as the spec means it, not
// that this host has the LSM: a label the host cannot apply is an error.
// intelRdt likewise (libcontainer/intelrdt: schemata and enableMonitoring
// too): on a host without a resctrl mount a config with it is an error.
// The org.hako.checkpoint.enabled annotation says checkpoint and restore
// are built in (runc's org.opencontainers.runc.checkpoint.enabled): they
// need the criu binary at run time, and fail saying so without it.
func Features(version string) *features.Features {
	t, f := true, false
	ns := make([]string, 0, 8)
	for _, n := range []specs.LinuxNamespaceType{
		specs.CgroupNamespace, specs.IPCNamespace, specs.MountNamespace, specs.NetworkNamespace,
		specs.PIDNamespace, specs.TimeNamespace, specs.UserNamespace, specs.UTSNamespace,
	} {
		ns = append(ns, string(n))
	}
	sc := &features.Seccomp{
		Enabled:        &t,
		Actions:        seccomp.Actions(),
		Operators:      seccomp.Operators(),
		Archs:          seccomp.Archs(),
		KnownFlags:     seccomp.KnownFlags(),
		SupportedFlags: seccomp.SupportedFlags(),
	}
	return &features.Features{
		OCIVersionMin: MinOCIVersion,
		OCIVersionMax: specs.Version,
		Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		MountOptions:  rootfs.OptionNames(),
		Linux: &features.Linux{
			Namespaces:   ns,
			Capabilities: caps.Names(),
			Cgroup:       &features.Cgroup{V1: &t, V2: &t, Systemd: &t, SystemdUser: &f, Rdma: &t},
			Seccomp:      sc,
			Apparmor:     &features.Apparmor{Enabled: &t},
			Selinux:      &features.Selinux{Enabled: &t},
			IntelRdt:     &features.IntelRdt{Enabled: &t, Schemata: &t, Monitoring: &t},
			MountExtensions: &features.MountExtensions{
				IDMap: &features.IDMap{Enabled: &t},
			},
			NetDevices:   &features.NetDevices{Enabled: &t},
			MemoryPolicy: &features.MemoryPolicy{Modes: validate.MemPolicyModes(), Flags: validate.MemPolicyFlags()},
		},
		Annotations: map[string]string{
			"io.github.seccomp.libseccomp.version": seccomp.LibraryVersion(),
			"org.hako.version":                     version,
			"org.hako.checkpoint.enabled":          "true",
		},
		// The systemd driver turns these annotations into unit properties.
		PotentiallyUnsafeConfigAnnotations: []string{"org.systemd.property."},
	}
}
