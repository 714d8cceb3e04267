//go:build hako_unsealed_exe

package libcontainer

import (
	"errors"
	"os"
)

// A deliberately weakened build (go build -tags hako_unsealed_exe) that
// starts the init from the host's hako file, as hako did before
// exeguard_linux.go: only for checking by hand that the CVE-2019-5736
// tests in tests/integration/security fail without the protection.
// Never ship it.

// file is the host's binary opened read-only: the C stage of a waiting
// init execs it by fd, as it does the sealed one.
type initExe struct {
	Path string
	file *os.File
}

func (e *initExe) Close() error {
	if e.file == nil {
		return nil
	}
	return e.file.Close()
}

func sealedExe(string) (*initExe, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(self)
	if err != nil {
		return nil, err
	}
	return &initExe{Path: self, file: f}, nil
}

// ExeGuard reports that this build does not protect the binary.
func ExeGuard(string) (method string, overlayErr, err error) {
	return "", nil, errors.New("built with hako_unsealed_exe: the init runs from the host's hako file")
}
