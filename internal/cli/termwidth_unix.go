//go:build linux || darwin

package cli

import (
	"os"
	"syscall"
	"unsafe"
)

// termWidth asks the terminal behind f for its width (TIOCGWINSZ); 0 when
// f is no terminal. The syscall package has all it needs: no dependency.
func termWidth(f *os.File) int {
	var ws struct{ Row, Col, X, Y uint16 }
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), uintptr(syscall.TIOCGWINSZ), uintptr(unsafe.Pointer(&ws))); errno != 0 {
		return 0
	}
	return int(ws.Col)
}
