// Package common holds what every cgroup driver shares: safe reads and
// writes of cgroup interface files, recursive pid listing, removal of
// cgroup directories with EBUSY retries, the Stats types, and the OOM
// watchers. It knows nothing about runtime-spec resources and never
// decides policy; drivers do.
package common
