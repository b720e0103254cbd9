package local

import (
	"os/exec"
	"syscall"
)

// stopWithParent makes the kernel send SIGTERM to aws-lambda-rie when the
// runner dies, even by SIGKILL, so that no emulator outlives it.
func stopWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
