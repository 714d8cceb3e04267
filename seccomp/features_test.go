package seccomp

import (
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Every list `hako features` reports must compile in a profile.
func TestFeatureListsCompile(t *testing.T) {
	prof := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/run/agent.sock"}
	for _, a := range Archs() {
		prof.Architectures = append(prof.Architectures, specs.Arch(a))
	}
	for _, f := range KnownFlags() {
		prof.Flags = append(prof.Flags, specs.LinuxSeccompFlag(f))
	}
	for i, a := range Actions() {
		if a == string(specs.ActAllow) {
			continue
		}
		sc := specs.LinuxSyscall{Names: []string{[]string{"acct", "swapon", "swapoff", "reboot", "kexec_load", "pivot_root", "mount", "umount2", "syslog", "vhangup"}[i]}, Action: specs.LinuxSeccompAction(a)}
		prof.Syscalls = append(prof.Syscalls, sc)
	}
	for _, op := range Operators() {
		prof.Syscalls = append(prof.Syscalls, specs.LinuxSyscall{Names: []string{"ioctl"}, Action: specs.ActErrno,
			Args: []specs.LinuxSeccompArg{{Index: 1, Value: 7, ValueTwo: 7, Op: specs.LinuxSeccompOperator(op)}}})
	}
	if _, err := Compile(prof); err != nil {
		t.Fatalf("a profile using every claimed feature does not compile: %v", err)
	}
	if !slices.Contains(Archs(), string(specs.ArchX86_64)) && !slices.Contains(Archs(), string(specs.ArchAARCH64)) {
		t.Fatalf("native architecture missing from %v", Archs())
	}
	for _, f := range SupportedFlags() {
		if !slices.Contains(KnownFlags(), f) {
			t.Errorf("supported flag %s is not a known flag", f)
		}
	}
	if len(Actions()) != 9 || len(Operators()) != 7 {
		t.Errorf("actions %v operators %v: want all 9 and 7 of the spec", Actions(), Operators())
	}
}
