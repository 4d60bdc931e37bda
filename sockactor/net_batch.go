package sockactor

// Batched datagram sends: a burst of queued sendto requests leaves in one
// sendmmsg(2) system call (golang.org/x/net/ipv4's WriteBatch; a plain
// loop where the platform has no sendmmsg). Only IPv4 sockets with IPv4
// destinations are batched; anything else, and any datagram the batch call
// fails on, goes through send one by one, which keeps its error handling
// (the EMSGSIZE retry) and reports its exact error.

import (
	"net"

	"golang.org/x/net/ipv4"
)

// sendBatcher sends runs of datagrams with one system call.
type sendBatcher struct {
	pc   *ipv4.PacketConn
	msgs []ipv4.Message
}

// newSendBatcher returns a batcher for pc, or nil when pc is not an IPv4
// UDP socket.
func newSendBatcher(pc net.PacketConn) *sendBatcher {
	uc, ok := pc.(*net.UDPConn)
	if !ok {
		return nil
	}
	local, ok := uc.LocalAddr().(*net.UDPAddr)
	if !ok || local.IP.To4() == nil {
		return nil
	}
	return &sendBatcher{pc: ipv4.NewPacketConn(uc)}
}

// batchable reports whether o can go in a batch: an IPv4 UDP destination.
func batchable(o Outgoing) bool {
	a, ok := o.Dst.(*net.UDPAddr)
	return ok && a.IP.To4() != nil
}

// sendAll sends batch, filling errs (one per datagram): runs of batchable
// datagrams go out through sendmmsg, the rest through one.
func (b *sendBatcher) sendAll(batch []Outgoing, errs []error, one func(Outgoing) error) {
	for i := 0; i < len(batch); {
		j := i
		for j < len(batch) && batchable(batch[j]) {
			j++
		}
		if j-i < 2 {
			errs[i] = one(batch[i])
			i++
			continue
		}
		b.msgs = b.msgs[:0]
		for _, o := range batch[i:j] {
			b.msgs = append(b.msgs, ipv4.Message{Buffers: [][]byte{o.Data}, Addr: o.Dst})
		}
		n, err := b.pc.WriteBatch(b.msgs, 0)
		if n < 0 {
			n = 0
		}
		i += n
		if (err != nil || n == 0) && i < j {
			// The datagram the call failed on: once more alone, for its
			// own error (and the EMSGSIZE retry).
			errs[i] = one(batch[i])
			i++
		}
	}
	clear(b.msgs)
}
