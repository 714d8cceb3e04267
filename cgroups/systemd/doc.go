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
// It never talks to the user bus: rootless systemd is not supported yet.
package systemd
