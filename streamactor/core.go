package streamactor

import (
	"io"
	"math"

	"github.com/actorio/actorio/internal/fifo"
	"github.com/pkg/errors"
)

// Core is the pure state machine of one end of a stream: no goroutines, no
// clock, no I/O, no actors. The end's actor feeds it the caller's
// operations (Submit, Cancel) and the peer's messages (Deliver), and
// carries out what it asks for (Output): messages to the peer and
// completed operations. Property tests drive it directly.
//
// An end is unattached until Attach gives it a direction: the sending end
// turns Send and SendHole into segments as far as the peer's credit
// allows; the receiving end queues segments (never more than its window)
// and serves Recv, RecvFlags and RecvHole from the queue, granting credit
// back as the queue drains.
type Core struct {
	cfg   Config
	role  Role
	state State
	err   error  // first error from the peer, the driver or the protocol
	gen   uint64 // bumped on every change of what Ready reports

	peerClosed bool // the peer sent a Close, or we sent one (nothing more to say)

	// sending end
	nextSeq  uint64
	granted  int64  // cumulative credit from the peer
	spent    int64  // cumulative cost emitted
	sendOp   *Op    // parked Send or SendHole
	finishOp *Op    // parked Finish
	lentSeq  uint64 // the borrowed segment out, until the receiver returns it

	// receiving end
	q          fifo.Queue[*Segment]
	headUsed   int64 // bytes of the head segment already consumed
	headSeen   bool  // the head hole was reported by ErrHole: keep it as is
	expect     uint64
	eof        bool   // the EOF segment arrived
	eofTaken   bool   // ... and the consumer saw it (Recv returned io.EOF): Finish may confirm
	queued     int64  // cost of the queued segments
	received   int64  // cumulative cost received
	released   int64  // cumulative cost consumed
	grantedOut int64  // cumulative credit granted
	recvOp     *Op    // parked Recv
	returned   uint64 // highest borrowed segment copied (to report)
	handoff    bool   // ... and whether it went straight into a Recv
	mustReturn bool   // a Credit must go out with Returned
	// held: the head segment a driver's write reads (HoldHead);
	// heldDropped: it left the queue meanwhile, and ReleaseHeld frees it.
	held        *Segment
	heldDropped bool

	out Output

	sentData, sentHoles, recvData, recvHoles int64
}

// Role is the direction of an end.
type Role uint8

// Roles.
const (
	RoleNone Role = iota
	RoleSender
	RoleReceiver
)

// String names the role.
func (r Role) String() string {
	switch r {
	case RoleSender:
		return "sender"
	case RoleReceiver:
		return "receiver"
	}
	return "unattached"
}

// State is the close state of an end.
type State uint8

// States.
const (
	// StateOpen: data may move (or, unattached, will once attached).
	StateOpen State = iota
	// StateEOF: the sender emitted EOF (Finish waits for the receiver);
	// the receiver got EOF (Recv drains the rest, then reports io.EOF).
	StateEOF
	// StateFinished: Finish succeeded.
	StateFinished
	// StateAborted: aborted locally, by the peer, or by an error.
	StateAborted
)

// String names the state.
func (s State) String() string {
	switch s {
	case StateOpen:
		return "open"
	case StateEOF:
		return "eof"
	case StateFinished:
		return "finished"
	case StateAborted:
		return "aborted"
	}
	return "state?"
}

// OpKind is the kind of a caller's operation.
type OpKind uint8

// Operations.
const (
	OpSend OpKind = iota + 1
	OpSendHole
	OpRecv
	OpRecvHole
	OpFinish
	OpAbort
)

var opNames = [...]string{OpSend: "send", OpSendHole: "send hole", OpRecv: "recv", OpRecvHole: "recv hole", OpFinish: "finish", OpAbort: "abort"}

// String names the operation.
func (k OpKind) String() string {
	if int(k) < len(opNames) && opNames[k] != "" {
		return opNames[k]
	}
	return "op?"
}

// Op is one call of the caller's, as the core sees it. The caller owns it
// and may reuse it once Done. While an Op is parked, the core keeps Buf.
type Op struct {
	Kind     OpKind
	Buf      []byte // Send: the data; Recv: the buffer to fill
	Len      int64  // SendHole: the hole's length
	Flags    uint32 // RecvFlags: RecvStopAtHole; SendHole, RecvHole: must be 0
	NonBlock bool   // this call must not wait (set from the stream's flags)
	Borrow   bool   // Send: lend Buf instead of copying (the peer is in the same actor)
	Cause    error  // Abort: the reason given to the peer (nil: a plain Abort)

	N    int   // bytes sent or received
	Hole int64 // RecvHole: the hole's length
	Err  error
	Done bool
	// Handoff: a Send's data went straight into a waiting Recv (the
	// caller may yield so that the receiver runs).
	Handoff bool

	owner *request // the shell's request carrying this Op (not used by the core)
}

// Output is what the core asks its shell to do, in order. The shell takes
// it after each input and must act on all of it.
type Output struct {
	// ToPeer: *Segment, *Credit or *Close, in order.
	ToPeer []any
	// Completed: operations that are now Done.
	Completed []*Op
}

// NewCore returns an unattached end with cfg (see NewConfig).
func NewCore(cfg Config) *Core { return &Core{cfg: cfg, expect: 1} }

// Config returns the end's configuration.
func (c *Core) Config() Config { return c.cfg }

// Role returns the end's direction.
func (c *Core) Role() Role { return c.role }

// State returns the end's close state.
func (c *Core) State() State { return c.state }

// Err returns the latched error, if any.
func (c *Core) Err() error { return c.err }

// Gen counts the changes of what Ready reports.
func (c *Core) Gen() uint64 { return c.gen }

// Output returns what the shell must do. It stays valid until TakeOutput
// or ResetOutput.
func (c *Core) Output() *Output { return &c.out }

// ResetOutput forgets the output once the shell has acted on it, keeping
// the memory for the next step.
func (c *Core) ResetOutput() {
	clear(c.out.ToPeer)
	clear(c.out.Completed)
	c.out.ToPeer = c.out.ToPeer[:0]
	c.out.Completed = c.out.Completed[:0]
}

// Attach gives the end its direction. The receiving end grants its window
// at once. Attaching twice is ErrAttached.
func (c *Core) Attach(role Role) error {
	if c.role != RoleNone {
		return errors.Wrapf(ErrAttached, "attach as %v: already a %v", role, c.role)
	}
	if role != RoleSender && role != RoleReceiver {
		return errors.Errorf("streamactor: attach: bad role %d", role)
	}
	if c.state == StateAborted {
		return errors.Wrap(ErrClosed, "attach: stream aborted")
	}
	c.role = role
	c.gen++
	if role == RoleReceiver {
		c.grantedOut = c.cfg.Window + c.cfg.slack
		c.emit(getCredit(c.grantedOut))
	}
	return nil
}

// detach undoes Attach(RoleSender) when the peer refused to be attached
// (Connect): the end is unattached again. It reports false, changing
// nothing, unless the end is a sending end on which nothing happened yet
// (no segment emitted, no credit, no call parked, no error).
func (c *Core) detach() bool {
	if c.role != RoleSender || c.state != StateOpen || c.err != nil || c.peerClosed ||
		c.nextSeq != 0 || c.granted != 0 || c.sendOp != nil || c.finishOp != nil {
		return false
	}
	c.role = RoleNone
	c.gen++
	return true
}

// Submit takes an operation of the caller's: it completes at once (it is
// then in Output().Completed) or parks until the peer makes progress
// possible (blocking streams only).
func (c *Core) Submit(op *Op) {
	op.N, op.Hole, op.Err, op.Done, op.Handoff = 0, 0, nil, false, false
	c.submit(op)
}

func (c *Core) submit(op *Op) {
	switch op.Kind {
	case OpSend, OpSendHole:
		c.submitSend(op)
	case OpRecv, OpRecvHole:
		c.submitRecv(op)
	case OpFinish:
		c.finish(op)
	case OpAbort:
		c.Abort(op.Cause)
		c.complete(op, nil)
	default:
		c.complete(op, errors.Errorf("streamactor: unknown operation %d", op.Kind))
	}
}

// Cancel completes a parked operation with err (the caller gave up). It
// reports whether op was parked; a partial Send keeps its count.
func (c *Core) Cancel(op *Op, err error) bool {
	switch op {
	case nil:
		return false
	case c.sendOp:
		c.sendOp = nil
	case c.recvOp:
		c.recvOp = nil
	case c.finishOp:
		// The EOF is out; the stream cannot be un-finished. Giving up on
		// the confirmation aborts it, so that it is not left half-alive.
		c.finishOp = nil
		c.complete(op, err)
		c.Abort(errors.Wrap(err, "finish cancelled"))
		return true
	default:
		return false
	}
	c.complete(op, err)
	return true
}

// Deliver takes a message from the peer: *Segment, *Credit or *Close.
func (c *Core) Deliver(msg any) {
	switch m := msg.(type) {
	case *Segment:
		c.onSegment(m)
	case *Credit:
		c.onCredit(m)
	case *Close:
		c.onClose(m)
	}
}

// Ready returns the events that currently hold (see Event): what a
// callback registered on this end would be told.
func (c *Core) Ready() Event {
	var ev Event
	if c.err != nil || c.state == StateAborted {
		ev |= EventError
	}
	switch c.role {
	case RoleReceiver:
		if c.state == StateOpen || c.state == StateEOF {
			if c.q.Len() > 0 || c.eof || c.err != nil {
				ev |= EventReadable
			}
		}
		if c.eof || (c.peerClosed && c.state == StateAborted) {
			ev |= EventHangup
		}
	case RoleSender:
		if c.state == StateOpen && c.err == nil && c.granted-c.spent >= MinSegmentClass+SegmentOverhead {
			ev |= EventWritable
		}
		if c.peerClosed && c.state != StateFinished {
			ev |= EventHangup
		}
	}
	return ev
}

// Stats is a snapshot of an end's counters.
type Stats struct {
	Role  Role
	State State
	// Queued is the cost of the segments the receiving end holds;
	// QueuedSegments their number. Never more than the window.
	Queued         int64
	QueuedSegments int
	// Credit is the sending end's unspent credit.
	Credit int64
	// Outstanding is what the receiving end has granted but not yet seen
	// consumed: queued plus in flight. Never more than the window.
	Outstanding int64
	// Data and hole bytes sent (sending end) or received (receiving end).
	// Each stops at math.MaxInt64 rather than wrap around: holes of any
	// length are valid, and a few of them add up past an int64.
	SentData, SentHoles, RecvData, RecvHoles int64
	Err                                      error
}

// Stats returns the end's counters.
func (c *Core) Stats() Stats {
	return Stats{
		Role: c.role, State: c.state,
		Queued: c.queued, QueuedSegments: c.q.Len(),
		Credit:      c.granted - c.spent,
		Outstanding: c.grantedOut - c.released,
		SentData:    c.sentData, SentHoles: c.sentHoles, RecvData: c.recvData, RecvHoles: c.recvHoles,
		Err: c.err,
	}
}

func (c *Core) emit(msg any) { c.out.ToPeer = append(c.out.ToPeer, msg) }

// addSat returns a+n for a counter a ≥ 0 and n ≥ 0, stopping at
// math.MaxInt64 instead of wrapping around to a negative count.
func addSat(a, n int64) int64 {
	if n > math.MaxInt64-a {
		return math.MaxInt64
	}
	return a + n
}

func (c *Core) complete(op *Op, err error) {
	op.Err, op.Done = err, true
	c.out.Completed = append(c.out.Completed, op)
}

// closedErr is the error for a call on a closed end: the latched error if
// there is one, else ErrClosed saying how it closed.
func (c *Core) closedErr(what string) error {
	if c.err != nil {
		return c.err
	}
	switch c.state {
	case StateFinished:
		return errors.Wrapf(ErrClosed, "%s: stream finished", what)
	case StateAborted:
		return errors.Wrapf(ErrClosed, "%s: stream aborted", what)
	}
	return errors.Wrapf(ErrClosed, "%s: stream finishing", what)
}

// check applies the checks every data call shares, in a fixed order:
// flags, attachment, direction, latched error and close state.
func (c *Core) check(op *Op, want Role, flagsOK uint32) error {
	if op.Flags&^flagsOK != 0 {
		return errors.Wrapf(ErrBadFlags, "%v: flags %#x", op.Kind, op.Flags)
	}
	if c.role == RoleNone {
		if c.state == StateAborted {
			return c.closedErr(op.Kind.String())
		}
		return errors.Wrapf(ErrNotAttached, "%v", op.Kind)
	}
	if c.role != want {
		return errors.Wrapf(ErrDirection, "%v on the %v end", op.Kind, c.role)
	}
	if c.err != nil {
		return c.err
	}
	if c.state == StateFinished || c.state == StateAborted {
		return c.closedErr(op.Kind.String())
	}
	return nil
}

var _ = io.EOF
