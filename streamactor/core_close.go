package streamactor

import (
	"github.com/pkg/errors"
)

// Ending a stream: Abort (local), Fail (a driver's or the protocol's
// error) and the peer's Close.

// Abort aborts the end: the peer is told (with cause, if any), queued
// segments are dropped and parked operations fail. Aborting a finished or
// aborted end does nothing; aborting an unattached one just closes it.
func (c *Core) Abort(cause error) {
	if c.state == StateFinished || c.state == StateAborted {
		return
	}
	c.state = StateAborted
	c.gen++
	if c.role != RoleNone && !c.peerClosed {
		c.peerClosed = true
		c.emit(&Close{Cause: cause})
	}
	c.failParked(c.closedErr("stream"))
	c.dropQueue()
}

// Fail latches err (if it is the first) and aborts the end, telling the
// peer why. Drivers use it for I/O errors.
func (c *Core) Fail(err error) {
	if err == nil {
		return
	}
	if c.state == StateFinished || c.state == StateAborted {
		return
	}
	if c.err == nil {
		c.err = err
	}
	c.state = StateAborted
	c.gen++
	if c.role != RoleNone && !c.peerClosed {
		c.peerClosed = true
		c.emit(&Close{Cause: err})
	}
	c.failParked(c.err)
	c.dropQueue()
}

func (c *Core) protocolFail(err error) {
	c.Fail(errors.Wrap(ErrProtocol, err.Error()))
}

// closeAborted closes the end after its latched error was reported (the
// peer already knows: the error came from it, or Fail told it).
func (c *Core) closeAborted() {
	c.state = StateAborted
	c.gen++
	c.dropQueue()
}

func (c *Core) onClose(m *Close) {
	if c.peerClosed || c.role == RoleNone {
		return // we closed first: nothing more to say
	}
	c.peerClosed = true
	c.gen++
	if m.Finished {
		if c.role == RoleSender && c.state == StateEOF {
			c.state = StateFinished
			if op := c.finishOp; op != nil {
				c.finishOp = nil
				c.complete(op, nil)
			}
			return
		}
		c.protocolFailClosed(errors.Errorf("peer finished while this %v end was %v", c.role, c.state))
		return
	}
	if c.state == StateFinished || c.state == StateAborted {
		return
	}
	if c.err == nil {
		if m.Lost && m.Cause != nil {
			c.err = m.Cause
		} else {
			c.err = peerError(m.Cause)
		}
	}
	c.state = StateAborted
	c.failParked(c.err)
	c.dropQueue()
}

// protocolFailClosed latches a protocol error when the peer is already
// gone (nothing is sent).
func (c *Core) protocolFailClosed(err error) {
	if c.state == StateFinished || c.state == StateAborted {
		return
	}
	if c.err == nil {
		c.err = errors.Wrap(ErrProtocol, err.Error())
	}
	c.state = StateAborted
	c.failParked(c.err)
	c.dropQueue()
}

func (c *Core) failParked(err error) {
	c.lentSeq = 0 // the peer is gone or told: a lent buffer is never read again
	for _, p := range []**Op{&c.sendOp, &c.recvOp, &c.finishOp} {
		if op := *p; op != nil {
			*p = nil
			c.complete(op, err)
		}
	}
}

func (c *Core) dropQueue() {
	for c.q.Len() > 0 {
		s := c.q.Pop()
		c.queued -= s.Cost
		c.released += s.Cost
		c.releaseQueued(s)
	}
	c.headUsed, c.headSeen = 0, false
}
