package sockactor

import (
	"reflect"
	"sync/atomic"
	"syscall"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
)

// shell is what the stream and datagram socket actors share: the
// registry of accepted requests (id ↔ message, reply target, Go handle),
// timers on the actor clock, delivery of completions and the transport
// event envelope.
type shell struct {
	sys    *actors.System
	self   *actor.PID
	face   *face
	reqs   map[ReqID]reqRecord
	timers map[ReqID]*actors.Timer
	gen    uint64 // endpoint generation: events of older endpoints are dropped
}

type reqRecord struct {
	msg     request
	replyTo *actor.PID
	tag     any
	h       finisher
}

// reqState is the bookkeeping a request message carries for its socket:
// the Go handle waiting for it (nil for actor callers) and the id the
// socket gave it, by which a Cancel naming the message finds it without a
// lookup by message. id is accessed atomically: a message sent to two
// sockets at once is misuse, but must not be a data race.
type reqState struct {
	h  finisher
	id uint64
}

func (r *reqState) state() *reqState { return r }

// request is every request message (they embed reqState).
type request interface{ state() *reqState }

// transportEvent carries an endpoint event to its socket actor.
type transportEvent struct {
	gen uint64
	ev  any
}

// flush asks the actor to hand queued writes to the transport, after the
// messages already in its mailbox.
type flush struct{}

// expire is a request's timeout firing.
type expire struct{ id ReqID }

func newShell(f *face) shell {
	return shell{face: f, reqs: map[ReqID]reqRecord{}, timers: map[ReqID]*actors.Timer{}}
}

func (s *shell) started(c actor.Context) {
	s.sys = actors.FromContext(c)
	s.self = c.Self()
}

// sink returns the Sink for the endpoint of the current generation.
func (s *shell) sink() Sink {
	sys, self, gen := s.sys, s.self, s.gen
	return func(ev any) { sys.Send(self, &transportEvent{gen: gen, ev: ev}) }
}

// register records request msg under id; the reply goes to replyTo, else
// to the sender, else to the Go handle.
func (s *shell) register(c actor.Context, id ReqID, msg request, replyTo *actor.PID, tag any) {
	st := msg.state()
	if replyTo == nil && st.h == nil {
		replyTo = c.Sender()
	}
	atomic.StoreUint64(&st.id, uint64(id))
	s.reqs[id] = reqRecord{msg: msg, replyTo: replyTo, tag: tag, h: st.h}
}

// deliver sends or hands over one completion.
func (s *shell) deliver(c actor.Context, comp *Completion) {
	r, ok := s.reqs[comp.ID]
	if !ok {
		return
	}
	delete(s.reqs, comp.ID)
	atomic.CompareAndSwapUint64(&r.msg.state().id, uint64(comp.ID), 0)
	switch {
	case r.h != nil:
		r.h.finish(comp)
	case r.replyTo != nil:
		c.Send(r.replyTo, completionMessage(s.self, r.msg, r.tag, comp))
	}
}

func (s *shell) startTimer(c actor.Context, e *EffStartTimer) {
	s.timers[e.ID] = actors.After(c, e.D, &expire{id: e.ID})
}

func (s *shell) stopTimer(e *EffStopTimer) {
	if t := s.timers[e.ID]; t != nil {
		t.Stop()
		delete(s.timers, e.ID)
	}
}

// cancelID finds the request a Cancel names.
func (s *shell) cancelID(m *Cancel) (ReqID, bool) {
	if m == nil {
		return 0, false
	}
	req, ok := m.Req.(request)
	if !ok || reflect.ValueOf(req).IsNil() {
		return 0, false
	}
	id := ReqID(atomic.LoadUint64(&req.state().id))
	// The same message may have been sent to another socket too, or
	// again after it completed: the id counts only if this socket
	// knows it for this very message.
	if r, ok := s.reqs[id]; !ok || r.msg != req {
		return 0, false
	}
	return id, true
}

// finalize runs when the actor stops: every request it knew of has been
// completed by the machine's Stop; any left (a bug) is aborted too, then
// the Go face fails what never reached the actor.
func (s *shell) finalize(c actor.Context) {
	for _, id := range actors.SortedKeys(s.reqs) {
		s.deliver(c, &Completion{ID: id, Err: errf("request", syscall.ECONNABORTED, "socket stopped")})
	}
	if s.face != nil {
		s.face.stopped()
	}
}

// panicError turns a recovered panic into the error that stops a socket.
func panicError(r any) error {
	return errf("socket", syscall.EIO, "socket actor panicked: %v", r)
}

// machine is what both socket state machines answer to alike.
type machine interface {
	Cancel(ReqID)
	Expire(ReqID)
	Flush()
	Stop()
}

// common handles the messages both socket actors treat alike: cancel,
// timeout, flush, Close and the stop sequence. It reports whether msg was
// one of them, and whether the caller must return without applying
// effects (they were applied already).
func (s *shell) common(c actor.Context, msg any, m machine, apply func(actor.Context)) (handled, done bool) {
	switch msg := msg.(type) {
	case *Cancel:
		if id, ok := s.cancelID(msg); ok {
			m.Cancel(id)
		}
	case *expire:
		m.Expire(msg.id)
	case *flush:
		m.Flush()
	case *Close:
		m.Stop()
		apply(c)
		// A poison pill, not Stop: Stop is a system message that would
		// overtake the requests already queued behind Close, and protoactor
		// drops those unanswered. Queued behind it, each is refused by the
		// stopped machine (ECONNABORTED) before the actor goes.
		c.Poison(c.Self())
		return true, true
	case *actor.Stopping:
		m.Stop()
	case *actor.Stopped:
		m.Stop()
		apply(c)
		s.finalize(c)
		return true, true
	default:
		return false, false
	}
	return true, false
}

// recoverPanic is deferred by a socket actor's Receive: a panic stops the
// socket (everything pending completes) instead of escaping.
func (s *shell) recoverPanic(c actor.Context, m machine, apply func(actor.Context)) {
	if r := recover(); r != nil {
		m.Stop()
		apply(c)
		c.Logger().Error("sockactor: socket stopped after a panic", "err", panicError(r))
		c.Stop(c.Self())
	}
}
