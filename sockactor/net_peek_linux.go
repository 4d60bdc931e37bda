package sockactor

import "syscall"

// peekDatagramSize returns the size of the datagram waiting at the head
// of a unix datagram socket's queue without taking it (MSG_PEEK |
// MSG_TRUNC returns the real length whatever the buffer, Linux ≥ 3.4),
// so that one larger than recvBuffer is received whole. EAGAIN means
// nothing waits yet: the receive must wait for readiness and peek again,
// not receive (a datagram arriving in between would be cut). Another
// error leaves the receive to report what it finds.
func peekDatagramSize(fd uintptr) (int, error) {
	for {
		n, _, err := syscall.Recvfrom(int(fd), nil, syscall.MSG_PEEK|syscall.MSG_TRUNC)
		if err != syscall.EINTR {
			return n, err
		}
	}
}
