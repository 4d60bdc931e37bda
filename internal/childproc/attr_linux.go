package childproc

import (
	"os/exec"
	"syscall"
)

// setProcAttr starts the child in a process group of its own, which Stop
// kills whole, and has the kernel kill the child when the thread that
// starts it ends (see Start).
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
