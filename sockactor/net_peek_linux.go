package sockactor

import "syscall"

// peekDatagramSize returns the size of the datagram waiting at the head
// of a unix datagram socket's queue without taking it (MSG_PEEK |
// MSG_TRUNC returns the real length whatever the buffer, Linux ≥ 3.4),
// so that one larger than recvBuffer is received whole. ok is false when
// nothing waits or the size cannot be learnt: the receive then proceeds
// as usual and reports what it finds.
func peekDatagramSize(fd uintptr) (n int, ok bool) {
	for {
		n, _, err := syscall.Recvfrom(int(fd), nil, syscall.MSG_PEEK|syscall.MSG_TRUNC)
		if err == syscall.EINTR {
			continue
		}
		return n, err == nil
	}
}
