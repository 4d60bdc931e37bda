//go:build unix && !linux

package childproc

import (
	"os/exec"
	"syscall"
)

// setProcAttr starts the child in a process group of its own, which Stop
// kills whole. Only Linux can also kill a child with its parent.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
