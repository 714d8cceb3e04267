package initproc

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/hako-runtime/hako/internal/fdpass"
	"github.com/hako-runtime/hako/libcontainer/rootfs"
)

// setupConsole creates a pty from the container's own devpts, makes the
// slave the controlling terminal, stdio and /dev/console, and sends the
// master over the console socket (SCM_RIGHTS, with the pty name as the
// payload, which is what runc's receivers expect).
func setupConsole(cfg *Config) error {
	sock := os.NewFile(uintptr(cfg.ConsoleFD), "console-socket")
	defer sock.Close()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return fmt.Errorf("open /dev/ptmx: %w", err)
	}
	defer master.Close()
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetUint32(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		return fmt.Errorf("get pty number: %w", err)
	}
	// TIOCGPTPEER opens the slave from the master itself: no path lookup
	// that the image could redirect.
	r, _, errno := unix.Syscall(unix.SYS_IOCTL, master.Fd(), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if errno != 0 {
		return fmt.Errorf("open pty slave: %w", errno)
	}
	sfd := int(r)
	slave := os.NewFile(uintptr(sfd), fmt.Sprintf("/dev/pts/%d", n))
	defer slave.Close()
	if cs := cfg.Spec.Process.ConsoleSize; cs != nil {
		ws := &unix.Winsize{Row: uint16(cs.Height), Col: uint16(cs.Width)}
		if err := unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws); err != nil {
			return fmt.Errorf("process.consoleSize: %w", err)
		}
	}
	if cfg.ConsoleRelay {
		tio, err := unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS)
		if err == nil {
			tio.Oflag &^= unix.ONLCR
			err = unix.IoctlSetTermios(int(master.Fd()), unix.TCSETS, tio)
		}
		if err != nil {
			return fmt.Errorf("clear onlcr on pty: %w", err)
		}
	}
	if !cfg.Exec {
		if err := rootfs.BindConsole(slave); err != nil {
			return err
		}
	}
	if _, err := fdpass.Send(sock, []byte(slave.Name()), int(master.Fd())); err != nil {
		return fmt.Errorf("send pty master over console socket: %w", err)
	}
	for i := 0; i < 3; i++ {
		if err := unix.Dup3(int(slave.Fd()), i, 0); err != nil {
			return fmt.Errorf("dup pty to fd %d: %w", i, err)
		}
	}
	if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("set controlling terminal: %w", err)
	}
	return nil
}
