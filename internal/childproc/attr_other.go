//go:build !unix

package childproc

import "os/exec"

// setProcAttr does nothing here: there are no process groups to start the
// child in, and only Linux kills a child with its parent.
func setProcAttr(*exec.Cmd) {}
