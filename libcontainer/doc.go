// Package libcontainer is the host side of the container lifecycle: the
// state directory and its lock, the one status transition table, spawning
// the init through nsenter, and the create/start/kill/delete operations.
// Code that runs inside the container before execve lives in initproc.
package libcontainer
