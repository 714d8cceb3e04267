// Package rootfs turns the spec's mounts into a plan (pure, table-tested:
// ParseOptions, Plan) and applies it inside the container's mount
// namespace (Prepare, Finish). Every path inside the rootfs is resolved
// confined to it (openat2 RESOLVE_IN_ROOT through filepath-securejoin's
// pathrs-lite) and mounted onto the resolved file descriptor, so a symlink
// in the image, or one swapped in during create, cannot redirect a mount
// or a file creation to the host.
package rootfs
