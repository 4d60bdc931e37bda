package streamactor

import (
	"log/slog"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// hostActor is the actor behind Stream handles: a thin shell around the
// Core of one stream end, or of both ends of a Pipe. It feeds each core
// its handle's requests and its peer's messages, passes what a core emits
// to the peer (at once when the peer is the other end in this actor, by
// message otherwise), completes requests (waking the blocked caller, or
// answering the requesting actor) and decides when event callbacks fire.
// It never blocks and never runs user code.
//
// Hosting both ends of a pipe in one actor lets a blocking Send lend its
// buffer to the receiving end for the length of one step: the bytes go
// straight into a waiting Recv (one copy instead of two). Nothing lent
// outlives the step, so no buffer is shared across actors.
type hostActor struct {
	ends []*end
	dead bool
	// cur is the request being served. If Receive panics, it is neither
	// completed nor parked: the restart fails it (its caller waits).
	cur *request
}

// requestHook, if set, runs as the host actor starts to serve a handle's
// data or close call, before the core sees it. For tests only (see
// export_test.go): a hook that panics stands for a bug in the actor, to
// check that the call being served then fails with ErrInternal.
var requestHook atomic.Pointer[func(st *Stream, k OpKind)]

// flushHook, if set, runs as flush hands on one item of an end's output
// (a message for the peer, or a completed *Op), before it does. For tests
// only (see export_test.go): a hook that panics stands for a bug met
// half-way through a flush.
var flushHook atomic.Pointer[func(st *Stream, item any)]

// end is one stream end inside a host.
type end struct {
	st    *Stream
	core  *Core
	peer  *actor.PID // the peer end's actor, when it is another actor
	local *end       // the peer end, when it is in this actor
	ev    eventState
	freed bool
	// How much of the core's output flush has handed on: the messages to
	// the peer and the completed operations before these marks. Each is
	// moved past an item before the item is handed on, so that a panic
	// while handing it on (a bug) never makes the restarted actor hand it
	// on again: no segment is delivered twice (nor its pooled buffer
	// released twice), no caller answered twice.
	sent, answered int
}

// eventState is the shell's side of an end's event callback: which
// registration is live, whether an invocation is out, and what it said.
type eventState struct {
	reg     *eventReg
	busy    bool   // an invocation is posted and not yet acknowledged
	gen     uint64 // core generation at the last invocation
	last    Event  // what the last invocation reported
	force   bool   // the last invocation was stale: re-evaluate
	toldErr bool   // ERROR was reported to this registration
	lastSeq uint64 // highest handle call number processed
}

// Messages only the handle and the executor send.
type (
	cancelReq struct {
		req *request
		end int
		err error
	}
	evAck struct {
		reg   *eventReg
		end   int
		stale bool
	}
)

func (h *hostActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		// An end made by NewPeer is attached already: its first output
		// (a receiver's window) goes out now.
	case *request:
		h.cur = m
		h.onRequest(ctx, m)
	case *Segment:
		h.ends[0].core.Deliver(m)
	case *Credit:
		h.ends[0].core.Deliver(m)
		m.release()
	case *Close:
		h.ends[0].core.Deliver(m)
	case *cancelReq:
		// The caller gave up. A parked call completes with its error;
		// one that is not parked was completed already (its caller gets
		// that token). Giving up on a Finish aborts the stream, which ends
		// the event registration as Abort does.
		if e := h.ends[m.end]; e.core.Cancel(&m.req.op, m.err) && e.core.State() == StateAborted {
			e.closeEvents(true)
		}
	case *evAck:
		if e := h.ends[m.end]; m.reg == e.ev.reg {
			e.ev.busy = false
			e.ev.force = e.ev.force || m.stale
		}
	case *actor.Restarting:
		h.restarted(ctx)
	case *actor.Stopping, *actor.Stopped:
		h.stop(ctx)
		return
	default:
		return
	}
	h.flush(ctx)
	h.cur = nil
}

// restarted runs when the actor restarts after a panic in Receive (a
// bug). The producer returns this same actor, whose state may be broken,
// so the streams are aborted rather than left to callers: each end fails
// with ErrInternal, which completes its parked calls and tells its peer,
// and the request being served when the panic struck (neither completed
// nor parked, and its message is not delivered again) fails with it too.
func (h *hostActor) restarted(ctx actor.Context) {
	err := errors.Wrap(ErrInternal, "stream actor restarted after a panic")
	h.dropUnsent()
	for _, e := range h.ends {
		e.core.Fail(err)
	}
	h.failCurrent(ctx, err)
}

// dropUnsent forgets the segments and credits that a flush cut short by a
// panic did not hand on: the streams are aborted at once, and their peers
// must hear nothing but the Close (not a segment past the one lost in the
// panic, which a peer would take for a gap in the numbers). Their pooled
// buffers go back to their pools. A Close the cores emitted is kept: they
// emit only one. Completed operations are kept too: flush answers them.
func (h *hostActor) dropUnsent() {
	for _, e := range h.ends {
		dropUnsentToPeer(e.core.Output(), e.sent)
	}
}

// dropUnsentToPeer removes from out's messages for the peer those past the
// first sent (handed on already) that are segments or credits, returning
// their pooled buffers; a Close stays. The stream actor and the file
// drivers both use it after a flush cut short by a panic.
func dropUnsentToPeer(out *Output, sent int) {
	kept := out.ToPeer[:sent]
	for _, m := range out.ToPeer[sent:] {
		switch m := m.(type) {
		case *Segment:
			m.release()
		case *Credit:
			m.release()
		default:
			kept = append(kept, m)
		}
	}
	clear(out.ToPeer[len(kept):])
	out.ToPeer = kept
}

// failCurrent fails the request being served with err, if it was not
// answered yet (its caller waits): one not done is answered now, one done
// (in its core's output, not yet handed on) keeps its counts and gets err,
// and flush answers it.
func (h *hostActor) failCurrent(ctx actor.Context, err error) {
	r := h.cur
	h.cur = nil
	if r == nil {
		return
	}
	r.op.Err = err
	if !r.op.Done {
		r.op.Done = true
		complete(ctx, r)
	}
}

// answer hands a request back to its caller (see complete). The request
// is not the actor's any more: once woken, the caller may reuse it.
func (h *hostActor) answer(ctx actor.Context, r *request) {
	if r == h.cur {
		h.cur = nil
	}
	complete(ctx, r)
}

func (h *hostActor) onRequest(ctx actor.Context, r *request) {
	e := h.ends[r.end]
	if r.seq > e.ev.lastSeq {
		e.ev.lastSeq = r.seq
	}
	switch r.ctl {
	case ctlNone:
		r.op.NonBlock = e.st.cfg.NonBlock && !r.wait
		r.op.Borrow = e.local != nil
		if hook := requestHook.Load(); hook != nil {
			(*hook)(e.st, r.op.Kind)
		}
		e.core.Submit(&r.op)
		return
	case ctlAttach:
		if err := e.core.Attach(r.role); err != nil {
			r.op.Err = err
		} else {
			e.peer = r.peer
			if r.peer == nil && len(h.ends) == 2 {
				e.local = h.ends[1-r.end]
			}
		}
	case ctlDetach:
		// Connect's receiving end refused this end: forget the peer, so
		// that nothing this end says reaches it (its actor would take a
		// Close for an abort of its own stream), and be unattached again;
		// aborted instead if a call moved something meanwhile.
		e.peer, e.local = nil, nil
		if !e.core.detach() {
			e.core.Abort(errors.Wrap(ErrNotAttached, "connect: the receiving end refused"))
		}
	case ctlStats:
		r.stats = e.core.Stats()
	case ctlEventAdd:
		if e.ev.reg != nil {
			r.op.Err = errors.Wrap(ErrCallbackRegistered, "event add callback")
		} else if st := e.core.State(); st == StateFinished || (st == StateAborted && e.core.Err() == nil) {
			r.op.Err = e.core.closedErr("event add callback")
		} else {
			e.ev = eventState{reg: r.reg, lastSeq: e.ev.lastSeq}
		}
	case ctlEventUpdate:
		if e.ev.reg == nil {
			r.op.Err = errors.Wrap(ErrNoCallback, "event update callback")
		} else {
			e.ev.reg.mask.Store(uint32(r.events))
			e.ev.gen, e.ev.last = 0, 0 // re-evaluate with the new mask
		}
	case ctlEventRemove:
		if e.ev.reg == nil {
			r.op.Err = errors.Wrap(ErrNoCallback, "event remove callback")
		} else {
			r.reg = e.ev.reg // the handle waits for its invocation, then frees it
			e.removeEvents(false)
		}
	case ctlDispose:
		if st := e.core.State(); st != StateFinished && st != StateAborted && e.core.Role() != RoleNone {
			e.st.sys.Logger().Warn("streamactor: last reference freed on an active stream; aborting it",
				slog.String("stream", e.st.pid.Id), slog.String("state", st.String()))
		}
		e.core.Abort(errors.Wrap(ErrFreed, "stream freed"))
		e.closeEvents(e.core.State() == StateAborted)
		e.freed = true
		r.op.Done = true
		h.answer(ctx, r)
		h.flush(ctx)
		if h.allFreed() {
			ctx.Stop(ctx.Self())
		}
		return
	}
	r.op.Done = true
	h.answer(ctx, r)
}

func (h *hostActor) allFreed() bool {
	for _, e := range h.ends {
		if !e.freed {
			return false
		}
	}
	return true
}

// flush carries out what the cores asked for until nothing is left:
// messages between the ends of this actor go at once, others by message;
// completed operations wake their callers; then events are decided.
//
// Each item is handed on once: the end's marks (sent, answered) move past
// it first, so that if handing it on panics (a bug), the restarted actor
// goes on after it instead of handing it on again.
func (h *hostActor) flush(ctx actor.Context) {
	hook := flushHook.Load()
	for busy := true; busy; {
		busy = false
		for _, e := range h.ends {
			out := e.core.Output()
			if len(out.ToPeer) == 0 && len(out.Completed) == 0 {
				continue
			}
			busy = true
			// Delivering to the local end may make it emit, never this
			// end: out.ToPeer does not grow meanwhile, but it is read
			// afresh anyway.
			for e.sent < len(out.ToPeer) {
				m := out.ToPeer[e.sent]
				e.sent++
				if hook != nil {
					(*hook)(e.st, m)
				}
				switch {
				case e.local != nil:
					e.local.core.Deliver(m)
					if c, ok := m.(*Credit); ok {
						c.release()
					}
				default:
					sendToPeer(ctx, e.peer, m)
				}
			}
			e.afterClose(out.Completed)
			for e.answered < len(out.Completed) {
				op := out.Completed[e.answered]
				e.answered++
				if hook != nil {
					(*hook)(e.st, op)
				}
				h.answer(ctx, requestOf(op))
			}
			e.core.ResetOutput()
			e.sent, e.answered = 0, 0
		}
	}
	if !h.dead {
		for _, e := range h.ends {
			e.maybeFire()
		}
	}
}

// complete hands a finished request back: a blocked caller is woken, an
// actor gets its result message.
func complete(ctx actor.Context, req *request) {
	if req.reply != nil {
		ctx.Send(req.reply, req.result())
		return
	}
	req.signal()
}

// sendToPeer sends one protocol message to a peer actor. Without a peer
// (never attached), pooled messages go back to their pool.
func sendToPeer(ctx actor.Context, peer *actor.PID, m any) {
	switch m := m.(type) {
	case *Segment:
		if peer == nil {
			m.release()
			return
		}
		ctx.Send(peer, m.envelope())
	case *Credit:
		if peer == nil {
			m.release()
			return
		}
		ctx.Send(peer, m.envelope())
	default:
		if peer != nil {
			ctx.Send(peer, m)
		}
	}
}

// afterClose ends the event registration once the caller closed the
// stream, given the operations that just completed: a Finish that
// succeeded or failed for good (the sending end's completes when the
// receiver confirms, after the call was made), or an Abort, which tells a
// live callback ERROR once.
func (e *end) afterClose(done []*Op) {
	if e.ev.reg == nil {
		return
	}
	if s := e.core.State(); s != StateFinished && s != StateAborted {
		return
	}
	closed, aborted := false, false
	for _, op := range done {
		switch op.Kind {
		case OpFinish:
			closed = true
		case OpAbort:
			closed, aborted = true, true
		}
	}
	if closed {
		e.closeEvents(aborted)
	}
}

// maybeFire posts an invocation of the callback when something it asks
// for holds and has changed since the last one (events are level
// conditions, re-reported after each change, never in a busy loop).
func (e *end) maybeFire() {
	ev := &e.ev
	if ev.reg == nil || ev.busy {
		return
	}
	ready := e.core.Ready()
	want := ready & (Event(ev.reg.mask.Load()) | EventError | EventHangup)
	if want == 0 {
		return
	}
	if !ev.force && e.core.Gen() == ev.gen && want&^ev.last == 0 {
		return
	}
	ev.busy, ev.force, ev.gen, ev.last = true, false, e.core.Gen(), want
	ev.toldErr = ev.toldErr || want&EventError != 0
	e.st.exec.post(evTask{reg: ev.reg, ev: want, stamp: ev.lastSeq})
}

// closeEvents ends the registration after a local Finish or Abort;
// after an Abort the callback is told ERROR once (unless it was told
// already), then freed.
func (e *end) closeEvents(aborted bool) {
	if e.ev.reg != nil {
		e.removeEvents(aborted)
	}
}

func (e *end) removeEvents(tellError bool) {
	reg, told := e.ev.reg, e.ev.toldErr
	e.ev = eventState{lastSeq: e.ev.lastSeq}
	reg.removed.Store(true)
	t := evTask{reg: reg, final: true}
	if tellError && !told {
		t.ev = EventError
	}
	e.st.exec.post(t)
}

// stop runs when the actor stops (the last Free, or the system closing):
// the streams are aborted, waiting callers and callbacks told, and every
// later call fails at once.
func (h *hostActor) stop(ctx actor.Context) {
	if h.dead {
		return
	}
	h.dropUnsent() // stopped after a panic in flush: see restarted
	for _, e := range h.ends {
		e.core.Abort(errors.Wrap(ErrClosed, "stream actor stopped"))
		e.closeEvents(e.core.State() == StateAborted)
	}
	h.failCurrent(ctx, errDead) // stopped after a panic: nothing else answers it
	h.flush(ctx)
	h.dead = true
	for _, e := range h.ends {
		e.st.markDead()
	}
}
