//go:build !unix

package childproc

import "os"

// killGroup kills the child: without process groups, what it started
// itself is out of reach.
func killGroup(p *os.Process) {
	_ = p.Kill()
}
