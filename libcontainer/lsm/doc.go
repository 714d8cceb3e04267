// Package lsm applies the spec's Linux Security Module labels: the
// AppArmor profile (process.apparmorProfile), the SELinux process label
// (process.selinuxLabel, also used for the session keyring) and the
// SELinux mount label (linux.mountLabel).
//
// The host side detects what the kernel offers (Detect) and refuses what
// cannot be honoured (Check, pure). The init side writes the labels into
// /proc/thread-self/attr through a procfs handle that the container
// cannot redirect (pathrs-lite's private procfs mount, RESOLVE_NO_XDEV
// lookups), so an image or bundle that over-mounts its /proc cannot turn
// the write into a write elsewhere (CVE-2025-52881 class).
//
// It never imports cgroups and holds no state between calls.
package lsm
