//go:build unix && !linux

package sockactor

import "syscall"

// peekDatagramSize cannot learn a datagram's size here: a unix datagram
// larger than recvBuffer is reported truncated (EMSGSIZE).
func peekDatagramSize(uintptr) (int, error) { return 0, syscall.ENOTSUP }
