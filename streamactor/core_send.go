package streamactor

import (
	"github.com/pkg/errors"
)

// The sending end: Send and SendHole become segments as far as the
// peer's credit allows.

func (c *Core) submitSend(op *Op) {
	if err := c.check(op, RoleSender, 0); err != nil {
		c.complete(op, err)
		return
	}
	if c.state == StateEOF {
		c.complete(op, c.closedErr(op.Kind.String()))
		return
	}
	if op.Kind == OpSendHole {
		switch {
		case !c.cfg.Sparse:
			c.complete(op, errors.Wrapf(ErrNotSparse, "send hole of %d", op.Len))
			return
		case op.Len <= 0:
			c.complete(op, errors.Wrapf(ErrBadHole, "send hole of %d", op.Len))
			return
		}
	}
	if c.sendOp != nil {
		c.complete(op, errors.Wrapf(ErrBusy, "%v while a %v is pending", op.Kind, c.sendOp.Kind))
		return
	}
	if op.Kind == OpSend && len(op.Buf) == 0 {
		c.complete(op, nil) // a no-op, never EOF
		return
	}
	if c.trySend(op) {
		return
	}
	if op.NonBlock {
		if op.N > 0 {
			c.complete(op, nil)
		} else {
			c.complete(op, ErrWouldBlock)
		}
		return
	}
	c.sendOp = op
}

// Credit returns the sending end's unspent credit.
func (c *Core) Credit() int64 { return c.granted - c.spent }

// trySend emits as much of op as the credit allows and completes it when
// all of it is out. A blocking Send emits whole segments only (up to
// MaxSegment), so that a slow consumer does not shred the stream into
// tiny segments; a non-blocking one takes whatever fits.
func (c *Core) trySend(op *Op) bool {
	if op.Kind == OpSendHole {
		if c.Credit() < SegmentOverhead {
			return false
		}
		c.emitSegment(getHole(op.Len))
		c.sentHoles = addSat(c.sentHoles, op.Len)
		c.complete(op, nil)
		return true
	}
	if op.Borrow && !op.NonBlock {
		return c.tryLend(op)
	}
	for op.N < len(op.Buf) {
		n := min(len(op.Buf)-op.N, c.cfg.MaxSegment)
		if segmentCost(n) > c.Credit() {
			if !op.NonBlock {
				break
			}
			if n = fitData(c.Credit(), n); n == 0 {
				break
			}
		}
		seg := getData(n)
		copy(seg.Data, op.Buf[op.N:op.N+n])
		c.emitSegment(seg)
		c.sentData = addSat(c.sentData, int64(n))
		op.N += n
	}
	if op.N == len(op.Buf) {
		c.complete(op, nil)
		return true
	}
	return false
}

// tryLend emits op's data one borrowed segment at a time; each must come
// back (Credit.Returned) before the next goes, and op completes when the
// last one is back.
func (c *Core) tryLend(op *Op) bool {
	if c.lentSeq != 0 {
		return false
	}
	if op.N == len(op.Buf) {
		c.complete(op, nil)
		return true
	}
	n := min(len(op.Buf)-op.N, c.cfg.MaxSegment)
	if segmentCost(n) > c.Credit() {
		return false
	}
	seg := getBorrowed(op.Buf[op.N : op.N+n])
	c.emitSegment(seg)
	c.lentSeq = seg.Seq
	c.sentData = addSat(c.sentData, int64(n))
	op.N += n
	return false
}

// SendSegment emits a segment a driver built itself (zero copy: a file
// source reads straight into a pooled segment). It reports false, and
// emits nothing, when the credit does not cover the segment's cost or the
// end cannot send.
func (c *Core) SendSegment(seg *Segment) bool {
	if c.role != RoleSender || c.state != StateOpen || c.err != nil || c.sendOp != nil || seg.Borrowed {
		return false
	}
	switch seg.Kind {
	case SegData:
		if len(seg.Data) == 0 {
			return false
		}
	case SegHole:
		if !c.cfg.Sparse || seg.Hole <= 0 {
			return false
		}
	default:
		return false
	}
	if seg.Cost > c.Credit() {
		return false
	}
	if seg.Kind == SegData {
		c.sentData = addSat(c.sentData, int64(len(seg.Data)))
	} else {
		c.sentHoles = addSat(c.sentHoles, seg.Hole)
	}
	c.emitSegment(seg)
	return true
}

// CanSend reports whether a segment of cost could be sent now.
func (c *Core) CanSend(cost int64) bool {
	return c.role == RoleSender && c.state == StateOpen && c.err == nil && c.sendOp == nil && cost <= c.Credit()
}

func (c *Core) emitSegment(seg *Segment) {
	c.nextSeq++
	seg.Seq = c.nextSeq
	c.spent += seg.Cost
	c.gen++
	c.emit(seg)
}

func (c *Core) onCredit(m *Credit) {
	if c.role != RoleSender {
		return
	}
	changed := false
	if c.lentSeq != 0 && m.Returned >= c.lentSeq {
		c.lentSeq = 0
		changed = true
		if op := c.sendOp; op != nil && m.Handoff {
			op.Handoff = true
		}
	}
	if m.Granted > c.granted {
		c.granted = m.Granted
		c.gen++
		changed = true
	}
	if op := c.sendOp; changed && op != nil && c.trySend(op) {
		c.sendOp = nil
	}
}

// finish handles Finish on either end.
func (c *Core) finish(op *Op) {
	if c.role == RoleNone {
		if c.state == StateAborted {
			c.complete(op, c.closedErr("finish"))
		} else {
			c.complete(op, errors.Wrap(ErrNotAttached, "finish"))
		}
		return
	}
	switch c.state {
	case StateFinished, StateAborted:
		c.complete(op, c.closedErr("finish"))
		return
	}
	if c.err != nil {
		// libvirt: Finish raises the latched error and tears down.
		err := c.err
		c.closeAborted()
		c.complete(op, err)
		return
	}
	if c.role == RoleReceiver {
		c.finishReceiver(op)
		return
	}
	switch {
	case c.state == StateEOF:
		c.complete(op, errors.Wrap(ErrBusy, "finish: already finishing"))
	case c.sendOp != nil:
		c.complete(op, errors.Wrapf(ErrBusy, "finish while a %v is pending", c.sendOp.Kind))
	default:
		c.emitSegment(getEOF())
		c.state = StateEOF
		c.finishOp = op
	}
}
