package signalbus

// The delivery protocol of a remote connection, as two pure state
// machines: Outbox on the signal's node, Inbox on the subscriber's. The
// network between them (protoactor remote, or the simulator's) delivers
// at most once, with gaps when a connection breaks; the simulator also
// duplicates and reorders. So every delivery carries its number on the
// connection, the Inbox passes on only the next one in order (a
// duplicate is acknowledged again, one after a gap is dropped), and the
// Outbox keeps every delivery until the subscriber's slot has finished
// with it, sending again from the first one not received when
// acknowledgements stop coming (go-back-N, with backoff). The Outbox
// holds at most the connection's window, because the signal hands its
// slot (the server) no more than that unacknowledged: a stalled remote
// slot is bounded exactly as a local one, by Queue.

// Outbox is the sending half of a remote connection's delivery protocol.
// It is not safe for concurrent use; the server actor owns it.
type Outbox struct {
	next     uint64     // the number of the last delivery pushed
	received uint64     // the peer has received 1..received in order
	acked    uint64     // the peer's slot has finished with 1..acked
	pending  []outEntry // deliveries acked+1..next, in order
	idle     int        // ticks since the last progress or resend
	wait     int        // ticks to wait before the next resend
	Stats    OutboxStats
}

// OutboxStats counts what an Outbox did.
type OutboxStats struct {
	Sent       uint64 // deliveries pushed
	Acked      uint64 // deliveries the peer's slot finished with
	Resent     uint64 // messages sent again
	MaxPending int    // the most deliveries held at once
}

type outEntry struct {
	n     uint64
	msg   any // what goes on the wire
	token any // what the shell releases once acknowledged
}

// maxBackoff is the longest wait between resends, in ticks.
const maxBackoff = 16

// Push numbers a new delivery and keeps it until acknowledged; the shell
// sends msg (which it stamps with the returned number).
func (o *Outbox) Push(msg, token any) uint64 {
	o.next++
	o.pending = append(o.pending, outEntry{n: o.next, msg: msg, token: token})
	o.Stats.Sent++
	if len(o.pending) > o.Stats.MaxPending {
		o.Stats.MaxPending = len(o.pending)
	}
	if len(o.pending) == 1 {
		o.idle, o.wait = 0, 1
	}
	return o.next
}

// Ack takes an acknowledgement: the peer received 1..received in order
// and its slot finished with 1..acked. It returns the tokens of the
// deliveries now finished, in order. Values beyond what was sent (a
// confused or hostile peer) are clamped; old ones (an acknowledgement
// overtaken by a later one) change nothing.
func (o *Outbox) Ack(received, acked uint64) []any {
	received = min(received, o.next)
	acked = min(acked, received)
	progress := false
	if received > o.received {
		o.received, progress = received, true
	}
	var out []any
	for len(o.pending) > 0 && o.pending[0].n <= acked {
		out = append(out, o.pending[0].token)
		o.pending[0] = outEntry{}
		o.pending = o.pending[1:]
		progress = true
	}
	if acked > o.acked {
		o.Stats.Acked += acked - o.acked
		o.acked = acked
	}
	if progress {
		o.idle, o.wait = 0, 1
	}
	return out
}

// Tick is called periodically; it returns the messages to send again:
// once acknowledgements have stopped coming for the current wait, every
// delivery the peer has not received, or, if it has received them all
// (its slot is slow, or its acknowledgement was lost), the last one as a
// probe, which the peer acknowledges again. The wait doubles after each
// resend without progress, up to maxBackoff ticks.
func (o *Outbox) Tick() []any {
	if len(o.pending) == 0 {
		return nil
	}
	o.idle++
	if o.idle < o.wait {
		return nil
	}
	o.idle = 0
	o.wait = min(2*o.wait, maxBackoff)
	var out []any
	for _, e := range o.pending {
		if e.n > o.received {
			out = append(out, e.msg)
		}
	}
	if len(out) == 0 {
		out = append(out, o.pending[len(o.pending)-1].msg)
	}
	o.Stats.Resent += uint64(len(out))
	return out
}

// Pending returns how many deliveries wait for the peer's slot.
func (o *Outbox) Pending() int { return len(o.pending) }

// Unreceived returns how many pending deliveries the peer has not
// acknowledged receiving.
func (o *Outbox) Unreceived() int { return int(o.next - o.received) }

// Drain empties the Outbox (the connection ended) and returns the tokens
// of the deliveries never acknowledged, in order.
func (o *Outbox) Drain() []any {
	out := make([]any, 0, len(o.pending))
	for _, e := range o.pending {
		out = append(out, e.token)
	}
	o.pending = nil
	return out
}

// Verdict is what an Inbox says about an incoming delivery.
type Verdict uint8

const (
	// Accept: the next delivery in order; pass it to the slot.
	Accept Verdict = iota + 1
	// Duplicate: already received; drop it and acknowledge again (the
	// sender may be probing).
	Duplicate
	// Gap: a delivery before it is missing; drop it, the sender will go
	// back to the missing one.
	Gap
)

// Inbox is the receiving half of a remote connection's delivery
// protocol. It is not safe for concurrent use; the client actor owns it.
type Inbox struct {
	received uint64 // deliveries passed to the slot, in order: 1..received
	ackSent  uint64 // the slot's count in the last acknowledgement sent
	recvSent uint64 // received in the last acknowledgement sent
	Stats    InboxStats
}

// InboxStats counts what an Inbox did.
type InboxStats struct {
	Accepted   uint64
	Duplicates uint64
	Gaps       uint64 // deliveries dropped because an earlier one was missing
}

// Offer classifies delivery n.
func (in *Inbox) Offer(n uint64) Verdict {
	switch {
	case n == in.received+1:
		in.received++
		in.Stats.Accepted++
		return Accept
	case n <= in.received:
		in.Stats.Duplicates++
		return Duplicate
	default:
		in.Stats.Gaps++
		return Gap
	}
}

// Received returns how many deliveries were accepted.
func (in *Inbox) Received() uint64 { return in.received }

// Ack returns the acknowledgement to send, given how many deliveries the
// slot has finished with (acked, at most Received), and whether one is
// due: force is set (answering a duplicate), or the slot has finished
// with at least batch deliveries since the last one, or (batch ≤ 1)
// anything is new. Acknowledging in batches halves the messages; the
// caller flushes what is owed (Owed) after a short delay.
func (in *Inbox) Ack(acked, batch uint64, force bool) (received, ackedOut uint64, send bool) {
	acked = min(acked, in.received)
	newAck, newRecv := acked-in.ackSent, in.received-in.recvSent
	if !force && newAck < max(batch, 1) && (batch > 1 || newRecv == 0) {
		return in.received, acked, false
	}
	in.ackSent, in.recvSent = acked, in.received
	return in.received, acked, true
}

// Owed reports whether the last acknowledgement sent is behind: the slot
// has finished with more (acked), or more was received.
func (in *Inbox) Owed(acked uint64) bool {
	return min(acked, in.received) > in.ackSent || in.received > in.recvSent
}
