package lsm

import (
	"bytes"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Detect looks at the host: AppArmor is enabled when its module
// parameter says Y (the LSM framework clears it when AppArmor is built in
// but not selected), SELinux when selinuxfs is mounted. It must run in
// the host's mount namespace, i.e. in the hako process, not the init.
// A command asks several times (checks, then the init's config): the host
// is read once.
var Detect = sync.OnceValue(func() Host {
	return Host{AppArmor: appArmorEnabled("/sys/module/apparmor/parameters/enabled"), SELinux: selinuxEnabled()}
})

func appArmorEnabled(param string) bool {
	b, err := os.ReadFile(param)
	return err == nil && bytes.HasPrefix(b, []byte("Y"))
}

func selinuxEnabled() bool {
	for _, p := range []string{"/sys/fs/selinux", "/selinux"} {
		var fs unix.Statfs_t
		if unix.Statfs(p, &fs) == nil && fs.Type == unix.SELINUX_MAGIC {
			return true
		}
	}
	return false
}
