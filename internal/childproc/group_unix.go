//go:build unix

package childproc

import (
	"os"
	"syscall"
)

// killGroup kills the child's process group (see setProcAttr): the child
// and whatever it started that is still in the group. Once the group is
// empty there is nothing to kill, and the error is ignored.
func killGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
}
