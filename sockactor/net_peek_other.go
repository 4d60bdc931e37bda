//go:build unix && !linux

package sockactor

// peekDatagramSize cannot learn a datagram's size here: a unix datagram
// larger than recvBuffer is reported truncated (EMSGSIZE).
func peekDatagramSize(uintptr) (int, bool) { return 0, false }
