// Package seccomp compiles linux.seccomp profiles into BPF on the host side
// (Compile) and loads a finished program inside the container (Load), so the
// init process does no libseccomp work between create and execve.
package seccomp
