package streamactor

import (
	"io"
	"math"

	"github.com/pkg/errors"
)

// The receiving end: segments queue up (within the window) and Recv,
// RecvFlags and RecvHole take them off; credit flows back as they go.

func (c *Core) submitRecv(op *Op) {
	ok := uint32(RecvStopAtHole)
	if op.Kind == OpRecvHole {
		ok = 0
	}
	if err := c.check(op, RoleReceiver, ok); err != nil {
		c.complete(op, err)
		return
	}
	if op.Kind == OpRecvHole && !c.cfg.Sparse {
		c.complete(op, errors.Wrap(ErrNotSparse, "recv hole"))
		return
	}
	if c.recvOp != nil {
		c.complete(op, errors.Wrapf(ErrBusy, "%v while a %v is pending", op.Kind, c.recvOp.Kind))
		return
	}
	if c.tryRecv(op) {
		return
	}
	if op.NonBlock {
		c.complete(op, ErrWouldBlock)
		return
	}
	c.recvOp = op
}

// tryRecv serves op from the queue and reports whether it completed.
func (c *Core) tryRecv(op *Op) bool {
	if op.Kind == OpRecvHole {
		// Never waits: with no hole at the head the answer is 0 (the
		// remote driver's behaviour; libvirt's docs say -1).
		if h := c.q.Front(); h != nil && h.Kind == SegHole {
			op.Hole = h.Hole - c.headUsed
			c.recvHoles = addSat(c.recvHoles, op.Hole)
			c.popHead()
		}
		c.complete(op, nil)
		c.maybeGrant()
		return true
	}
	if len(op.Buf) == 0 {
		c.complete(op, nil)
		return true
	}
	if c.q.Len() == 0 {
		if c.eof {
			c.eofTaken = true
			c.complete(op, io.EOF)
			return true
		}
		return false
	}
	stop := op.Flags&uint32(RecvStopAtHole) != 0
	if h := c.q.Front(); stop && h.Kind == SegHole {
		c.headSeen = true
		c.complete(op, ErrHole)
		return true
	}
	n := 0
	for n < len(op.Buf) && c.q.Len() > 0 {
		h := c.q.Front()
		if h.Kind == SegHole {
			if stop {
				break
			}
			k := int(min(int64(len(op.Buf)-n), h.Hole-c.headUsed))
			clear(op.Buf[n : n+k])
			n += k
			c.headUsed += int64(k)
			c.recvHoles = addSat(c.recvHoles, int64(k))
			if c.headUsed == h.Hole {
				c.popHead()
			}
			continue
		}
		k := copy(op.Buf[n:], h.Data[c.headUsed:])
		n += k
		c.headUsed += int64(k)
		c.recvData = addSat(c.recvData, int64(k))
		if c.headUsed == int64(len(h.Data)) {
			c.popHead()
		}
	}
	op.N = n
	c.gen++
	c.complete(op, nil)
	c.maybeGrant()
	return true
}

// popHead drops the fully consumed head segment and returns its buffer.
func (c *Core) popHead() {
	s := c.q.Pop()
	c.queued -= s.Cost
	c.released += s.Cost
	c.headUsed, c.headSeen = 0, false
	c.gen++
	c.releaseQueued(s)
}

// releaseQueued returns a segment leaving the queue to its pool, unless a
// driver holds it (HoldHead): then ReleaseHeld does.
func (c *Core) releaseQueued(s *Segment) {
	if s == c.held {
		c.heldDropped = true
		return
	}
	s.release()
}

// maybeGrant returns credit to the sender once a quarter of the window is
// free, or when the queue ran dry (so a sender waiting for one large
// segment always gets it).
func (c *Core) maybeGrant() {
	if c.role != RoleReceiver || c.eof || c.peerClosed || c.state != StateOpen {
		if c.mustReturn {
			c.sendReturn()
		}
		return
	}
	avail := c.released + c.cfg.Window + c.cfg.slack - c.grantedOut
	if avail > 0 && (avail >= c.cfg.Window/4 || c.q.Len() == 0) {
		c.grantedOut += avail
		if !c.mustReturn {
			c.emit(getCredit(c.grantedOut))
			return
		}
	}
	if c.mustReturn {
		c.sendReturn()
	}
}

func (c *Core) onSegment(s *Segment) {
	if c.role != RoleReceiver {
		s.release()
		if c.role == RoleSender {
			c.protocolFail(errors.Errorf("segment %v sent to the sending end", s))
		}
		return
	}
	if c.state == StateFinished || c.state == StateAborted {
		if s.Borrowed {
			c.returnBorrowed(s, false)
		}
		s.release() // late: the stream is over
		return
	}
	if s.Seq != c.expect {
		seq := s.Seq
		s.release()
		c.protocolFail(errors.Errorf("segment #%d, expected #%d", seq, c.expect))
		return
	}
	c.expect++
	if c.eof {
		s.release()
		c.protocolFail(errors.Errorf("segment #%d after EOF", c.expect-1))
		return
	}
	switch {
	case s.Cost < 0 || (s.Kind == SegHole && s.Cost < SegmentOverhead):
		// Less than its share (a hole costs SegmentOverhead, the end
		// nothing) would slip segments past the window.
		what := s.String()
		cost := s.Cost
		s.release()
		c.protocolFail(errors.Errorf("segment %s with cost %d", what, cost))
		return
	case s.Cost > c.grantedOut-c.received: // no sum that could wrap around
		cost := s.Cost
		s.release()
		c.protocolFail(errors.Errorf("peer sent %d of cost after %d, with %d of credit", cost, c.received, c.grantedOut))
		return
	}
	c.received += s.Cost
	c.gen++
	switch s.Kind {
	case SegData:
		if len(s.Data) == 0 || s.Cost < int64(len(s.Data))+SegmentOverhead {
			n, cost := len(s.Data), s.Cost
			if s.Borrowed {
				c.returnBorrowed(s, false)
			}
			s.release()
			c.protocolFail(errors.Errorf("data segment of %d bytes with cost %d", n, cost))
			return
		}
		if s.Borrowed {
			c.takeBorrowed(s)
			c.maybeGrant()
			return
		}
		c.q.Push(s)
		c.queued += s.Cost
	case SegHole:
		if !c.cfg.Sparse || s.Hole <= 0 {
			n := s.Hole
			s.release()
			c.protocolFail(errors.Errorf("hole of %d on a %s stream", n, map[bool]string{true: "sparse", false: "non-sparse"}[c.cfg.Sparse]))
			return
		}
		// Adjacent holes merge, unless the head hole was already reported
		// by ErrHole (RecvHole must then return exactly that length) or
		// the sum would overflow (a hole's length stays > 0).
		if t := c.q.Back(); t != nil && t.Kind == SegHole && !(c.q.Len() == 1 && (c.headSeen || c.headUsed > 0)) && t.Hole <= math.MaxInt64-s.Hole {
			t.Hole += s.Hole
			c.released += s.Cost // its memory is gone at once
			s.release()
		} else {
			c.q.Push(s)
			c.queued += s.Cost
		}
	case SegEOF:
		c.eof = true
		c.state = StateEOF
		s.release()
	default:
		k := s.Kind
		s.release()
		c.protocolFail(errors.Errorf("segment of unknown kind %d", k))
		return
	}
	if op := c.recvOp; op != nil && c.tryRecv(op) {
		c.recvOp = nil
	}
	c.maybeGrant()
}

// takeBorrowed copies a borrowed segment straight into a waiting Recv when
// nothing is queued ahead of it (a single copy), and the rest (or all of
// it) into a buffer of the end's own; the borrow is then returned.
func (c *Core) takeBorrowed(s *Segment) {
	data, handoff := s.Data, false
	if op := c.recvOp; op != nil && op.Kind == OpRecv && c.q.Len() == 0 && len(op.Buf) > 0 {
		n := copy(op.Buf, data)
		op.N = n
		c.recvData = addSat(c.recvData, int64(n))
		data = data[n:]
		c.recvOp = nil
		c.complete(op, nil)
		handoff = true
	}
	var own int64
	if len(data) > 0 {
		o := getData(len(data))
		copy(o.Data, data)
		c.q.Push(o)
		own = o.Cost
		c.queued += own
	}
	c.released += s.Cost - own // a smaller copy frees the difference at once
	c.returnBorrowed(s, handoff)
	s.release()
}

func (c *Core) returnBorrowed(s *Segment, handoff bool) {
	c.returned, c.handoff, c.mustReturn = s.Seq, handoff, true
	s.Data = nil
	if c.state == StateFinished || c.state == StateAborted {
		c.sendReturn()
	}
}

// sendReturn reports the returned borrow (with whatever credit is due).
func (c *Core) sendReturn() {
	cr := getCredit(c.grantedOut)
	cr.Returned, cr.Handoff = c.returned, c.handoff
	c.mustReturn = false
	c.emit(cr)
}

// HeadSegment returns the segment at the head of the receiving end's
// queue without consuming it, and how much of it was already consumed,
// for drivers that write segments out themselves (zero copy).
func (c *Core) HeadSegment() (*Segment, int64) {
	if c.role != RoleReceiver || c.recvOp != nil || (c.state != StateOpen && c.state != StateEOF) || c.err != nil {
		return nil, 0
	}
	return c.q.Front(), c.headUsed
}

// HoldHead lends the head segment's buffer to a driver's file operation
// (a write of HeadSegment's data, which runs outside the actor) until
// ReleaseHeld: a queue dropped meanwhile (the stream aborted, or the
// actor stopping) leaves it out of its pool, so that no other stream
// reuses a buffer that the write still reads.
func (c *Core) HoldHead() { c.held, c.heldDropped = c.q.Front(), false }

// ReleaseHeld ends HoldHead's loan once the operation is over: a held
// segment that left the queue meanwhile goes back to its pool now.
func (c *Core) ReleaseHeld() {
	if c.heldDropped {
		c.held.release()
	}
	c.held, c.heldDropped = nil, false
}

// ConsumeHead marks n more bytes of the head segment consumed (a driver
// wrote them out); the segment is released once all of it is.
func (c *Core) ConsumeHead(n int64) {
	h := c.q.Front()
	if h == nil || n <= 0 {
		return
	}
	size := h.Hole
	if h.Kind == SegData {
		size = int64(len(h.Data))
		c.recvData = addSat(c.recvData, min(n, size-c.headUsed))
	} else {
		c.recvHoles = addSat(c.recvHoles, min(n, size-c.headUsed))
	}
	c.headUsed = min(size, c.headUsed+n)
	c.gen++
	if c.headUsed == size {
		c.popHead()
	}
	c.maybeGrant()
}

// AtEOF reports whether the receiving end got EOF and has nothing queued:
// the next Recv returns io.EOF.
func (c *Core) AtEOF() bool { return c.eof && c.q.Len() == 0 }

// ConsumeEOF is, for a driver that takes segments itself (HeadSegment,
// ConsumeHead), what a Recv returning io.EOF is for a caller: if the
// end is AtEOF it records that the consumer saw the end, so that Finish
// may confirm, and reports true.
func (c *Core) ConsumeEOF() bool {
	if c.role != RoleReceiver || !c.AtEOF() {
		return false
	}
	c.eofTaken = true
	return true
}

// finishReceiver confirms the end of the stream, once the consumer saw it
// (a Recv returned io.EOF, or a driver's ConsumeEOF): before that it is
// ErrNotAtEOF and changes nothing, even if everything has arrived.
func (c *Core) finishReceiver(op *Op) {
	if !c.eofTaken {
		c.complete(op, errors.Wrapf(ErrNotAtEOF, "finish before Recv returned io.EOF (%d segments queued, end received: %v)", c.q.Len(), c.eof))
		return
	}
	c.state = StateFinished
	c.gen++
	if !c.peerClosed {
		c.peerClosed = true
		c.emit(&Close{Finished: true})
	}
	c.complete(op, nil)
}
