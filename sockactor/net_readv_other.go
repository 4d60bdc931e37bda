//go:build unix && !linux

package sockactor

import "syscall"

// readv2 reads from fd into a only, without waiting (streams read
// straight into chunks only on Linux).
func readv2(fd uintptr, a, _ []byte) (int, error) { return syscall.Read(int(fd), a) }

// haveReadv2 says readv2 reads into a only.
const haveReadv2 = false
