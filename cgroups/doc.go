// Package cgroups owns resource control on the host side: one Manager
// interface and its drivers (cgroup v2, cgroup v1, systemd). It never runs
// inside the container and never imports libcontainer.
package cgroups
