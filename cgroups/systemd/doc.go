// Package systemd is the systemd cgroup driver (cgroup v2 only): the
// container runs in a transient scope unit started over D-Bus in the
// slice named by cgroupsPath ("slice:prefix:name"), with Delegate=yes and
// accounting on. Resources are translated into unit properties
// (Properties, pure and table-tested) so that systemd keeps them when it
// re-applies its settings; everything, including what systemd has no
// property for (per-device I/O, hugetlb, rdma, burst, idle, unified
// files, the eBPF device filter) is then also written through the fs2
// driver on the scope's directory. Destroy stops the scope.
//
// Rootless (Config.Rootless), it talks to the caller's own systemd user
// instance on the user bus instead, whose units live below the user
// manager's cgroup (user@UID.service, delegated by systemd) in
// "user.slice" by default; device rules are not sent (a user instance
// cannot enforce them). Not supported: root of a user namespace (rootless
// podman) reaching its user's bus, whose D-Bus authentication would
// name uid 0.
package systemd
