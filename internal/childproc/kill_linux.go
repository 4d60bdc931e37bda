package childproc

import (
	"os/exec"
	"syscall"
)

// killWithParent has the kernel kill the child when the thread that
// starts it ends (see Start).
func killWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
