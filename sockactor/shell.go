package sockactor

import (
	"reflect"
	"sync"
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
	reqs   reqTable
	timers map[ReqID]*actors.Timer
	gen    uint64 // endpoint generation: events of older endpoints are dropped
	linger *linger
	kind   string // "stream", "datagram", "listener": for errors
}

type reqRecord struct {
	msg     request
	replyTo *actor.PID
	tag     any
	h       finisher
}

// reqState is the bookkeeping a request message carries for its socket:
// the Go handle waiting for it (nil for actor callers; it stands for the
// message's first request only) and the id the socket gave it, by which a
// Cancel naming the message finds it without a lookup by message. id is
// non-zero from the moment a socket takes the message until its
// completion is delivered, which is what refuses the message sent again
// in between (EALREADY, see claim). It is accessed atomically: the
// message may be sent to two sockets at once.
type reqState struct {
	h  finisher
	id uint64
}

// claiming is a request message's id while its socket hands it to the
// machine (before the machine names it).
const claiming = ^uint64(0)

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

func newShell(f *face, kind string) shell {
	return shell{face: f, timers: map[ReqID]*actors.Timer{}, linger: &linger{}, kind: kind}
}

func (s *shell) started(c actor.Context) {
	s.sys = actors.FromContext(c)
	s.self = c.Self()
}

// sink returns the Sink for the endpoint of the current generation. It
// also tells the linger when that endpoint reports that it let go of a
// write's buffers (see linger).
func (s *shell) sink() Sink {
	sys, self, gen, l := s.sys, s.self, s.gen, s.linger
	return func(ev any) {
		switch ev.(type) {
		case *EvWritten, *EvSent, *EvClosed:
			if l.armed.Load() {
				l.release(gen)
			}
		}
		sys.Send(self, &transportEvent{gen: gen, ev: ev})
	}
}

// claim takes request message msg for this socket, or refuses it when the
// message is a request already: pending here or at another socket, or
// completed but its completion not yet delivered. A request message is one
// request; taken twice, a Cancel naming it could reach only one of the
// two. The refusal is one completion with EALREADY for the message sent
// again, to its ReplyTo or else its sender (never to the Go handle, which
// belongs to the pending request), and the pending request is untouched.
// A nil message is refused with EINVAL. claim reports whether msg may go
// on to the machine (then register must follow).
func (s *shell) claim(c actor.Context, msg request) bool {
	if _, _, ok := route(msg); !ok {
		s.refuse(c, msg, syscall.EINVAL, "nil %T request message", msg)
		return false
	}
	if !atomic.CompareAndSwapUint64(&msg.state().id, 0, claiming) {
		s.refuse(c, msg, syscall.EALREADY, "%T sent again before its completion (a request message is one request: send it again only once it completed, or send a new one)", msg)
		return false
	}
	return true
}

// refuse answers request message msg, which the socket does not take, with
// one completion carrying errno: to its ReplyTo, else to its sender (the
// message's Go handle, if any, is not this request's).
func (s *shell) refuse(c actor.Context, msg request, errno syscall.Errno, format string, args ...any) {
	replyTo, tag, _ := route(msg)
	if replyTo == nil {
		replyTo = c.Sender()
	}
	if replyTo != nil {
		c.Send(replyTo, completionMessage(s.self, msg, tag, &Completion{Err: errf(opName(msg), errno, format, args...)}))
	}
}

// route returns where request message msg asks its completion to go and
// the tag it carries; ok is false for a nil message.
func route(msg request) (replyTo *actor.PID, tag any, ok bool) {
	switch m := msg.(type) {
	case *ReadPDU:
		if m != nil {
			return m.ReplyTo, m.Tag, true
		}
	case *ReadPDUQueue:
		if m != nil {
			return m.ReplyTo, m.Tag, true
		}
	case *ReadPDUs:
		if m != nil {
			return m.ReplyTo, m.Tag, true
		}
	case *Writev:
		if m != nil {
			return m.ReplyTo, m.Tag, true
		}
	case *WritevQueue:
		if m != nil {
			return m.ReplyTo, m.Tag, true
		}
	case *Connect:
		if m != nil {
			return m.ReplyTo, m.Tag, true
		}
	case *Disconnect:
		if m != nil {
			return m.ReplyTo, m.Tag, true
		}
	case *RecvFrom:
		if m != nil {
			return m.ReplyTo, m.Tag, true
		}
	case *SendTo:
		if m != nil {
			return m.ReplyTo, m.Tag, true
		}
	case *SendToQueue:
		if m != nil {
			return m.ReplyTo, m.Tag, true
		}
	case *Accept:
		if m != nil {
			return m.ReplyTo, m.Tag, true
		}
	}
	return nil, nil, false
}

// opName names a request's operation in errors.
func opName(msg request) string {
	switch msg.(type) {
	case *ReadPDU, *ReadPDUQueue, *ReadPDUs:
		return "readv"
	case *Writev, *WritevQueue:
		return "writev"
	case *Connect:
		return "connect"
	case *Disconnect:
		return "disconnect"
	case *RecvFrom:
		return "recvfrom"
	case *SendTo, *SendToQueue:
		return "sendto"
	case *Accept:
		return "accept"
	}
	return "request"
}

// unsupported refuses msg with EOPNOTSUPP if it is a request message this
// kind of socket does not take (a ReadPDU sent to a datagram socket, an
// Accept to a stream...), which would otherwise get no completion at all.
func (s *shell) unsupported(c actor.Context, msg any) {
	if req, ok := msg.(request); ok {
		s.refuse(c, req, syscall.EOPNOTSUPP, "a %s socket does not take %T requests", s.kind, msg)
	}
}

// register records request msg, which claim took, under id; the reply
// goes to replyTo, else to the sender, else to the Go handle.
func (s *shell) register(c actor.Context, id ReqID, msg request, replyTo *actor.PID, tag any) {
	st := msg.state()
	if replyTo == nil && st.h == nil {
		replyTo = c.Sender()
	}
	atomic.StoreUint64(&st.id, uint64(id))
	s.reqs.put(id, reqRecord{msg: msg, replyTo: replyTo, tag: tag, h: st.h})
}

// deliver sends or hands over one completion; a write's or send's waits
// while a closed endpoint may still read its buffers (see linger).
func (s *shell) deliver(c actor.Context, comp *Completion) {
	r, ok := s.reqs.take(comp.ID)
	if !ok {
		return
	}
	if readsCallerBuffers(comp.Kind) && s.linger.hold(r, comp) {
		return
	}
	if r.release(comp.ID) {
		r.h.finish(comp)
	} else if r.replyTo != nil {
		c.Send(r.replyTo, completionMessage(s.self, r.msg, r.tag, comp))
	}
}

// release ends r's hold on its message just before its completion is
// delivered: the message may be sent again from then on, and its Go
// handle, which stood for this request only, is dropped from it (sent
// again, the message answers its ReplyTo or sender). It reports whether
// the completion goes to the handle.
func (r *reqRecord) release(id ReqID) bool {
	st := r.msg.state()
	if r.h != nil {
		st.h = nil
	}
	atomic.CompareAndSwapUint64(&st.id, uint64(id), 0)
	return r.h != nil
}

// readsCallerBuffers reports whether the transport reads a request's
// buffers while carrying it out (writes and sends).
func readsCallerBuffers(k OpKind) bool {
	switch k {
	case OpWritev, OpWritevQueue, OpSendTo, OpSendToQueue:
		return true
	}
	return false
}

// linger makes the completions of a stopping socket's writes (or sends)
// wait until the endpoint has let go of their buffers. A machine that
// stops completes every write at once (ECONNABORTED: it is pure and has
// nothing to wait with) and the endpoint is closed, but an endpoint may
// read an outstanding write's buffers until
// it reports that write (EvWritten, EvSent) or its close (EvClosed): a
// completion gives the buffers back to the caller, so it must not be
// delivered before. The socket actor arms the linger when it closes an
// endpoint with a write outstanding; while armed, write and send
// completions are held, in order; the endpoint's sink releases them on
// that endpoint's next EvWritten, EvSent or EvClosed (closing the
// endpoint bounds the wait: every endpoint reports its close). The actor
// may be gone by then: the held completions are delivered from the
// sink's goroutine, then what finalize left to do (the Go face learns
// that the socket stopped only once nothing of it holds a caller's
// buffer).
type linger struct {
	armed  atomic.Bool // awaiting the endpoint's report (read by the sinks)
	active atomic.Bool // armed, or delivering what it held
	mu     sync.Mutex
	gen    uint64 // the endpoint whose report releases
	sys    *actors.System
	self   *actor.PID
	held   []heldCompletion
	after  func()
}

type heldCompletion struct {
	r reqRecord
	c Completion
}

// arm starts holding write completions until the endpoint of generation
// gen reports that it let go of its buffers.
func (l *linger) arm(sys *actors.System, self *actor.PID, gen uint64) {
	l.mu.Lock()
	l.sys, l.self, l.gen = sys, self, gen
	l.active.Store(true)
	l.armed.Store(true)
	l.mu.Unlock()
}

// hold keeps comp of request r until release, and reports whether it did
// (false: nothing is held back, deliver it now). While release delivers,
// later completions still queue behind, so that a lane's completions keep
// their order. comp is copied: the machine reuses its Completions.
func (l *linger) hold(r reqRecord, comp *Completion) bool {
	if !l.active.Load() {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.active.Load() {
		return false
	}
	l.held = append(l.held, heldCompletion{r: r, c: *comp})
	return true
}

// finally runs f once nothing is held: now, or at the end of release.
func (l *linger) finally(f func()) {
	l.mu.Lock()
	if l.active.Load() {
		l.after = f
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	f()
}

// release delivers the held completions, in order, then runs what
// finally left, if the endpoint of generation gen is the one awaited. It
// runs on the goroutine of that endpoint's sink.
func (l *linger) release(gen uint64) {
	l.mu.Lock()
	if !l.armed.Load() || l.gen != gen {
		l.mu.Unlock()
		return
	}
	l.armed.Store(false)
	for {
		held := l.held
		l.held = nil
		if len(held) == 0 {
			break
		}
		l.mu.Unlock()
		for i := range held {
			h := &held[i]
			if h.r.release(h.c.ID) {
				h.r.h.finish(&h.c)
			} else if h.r.replyTo != nil {
				l.sys.Send(h.r.replyTo, completionMessage(l.self, h.r.msg, h.r.tag, &h.c))
			}
		}
		l.mu.Lock()
	}
	l.active.Store(false)
	after := l.after
	l.after = nil
	l.mu.Unlock()
	if after != nil {
		after()
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
	if r, ok := s.reqs.get(id); !ok || r.msg != req {
		return 0, false
	}
	return id, true
}

// finalize runs when the actor stops: every request it knew of has been
// completed by the machine's Stop; any left (a bug) is aborted too, then,
// once no held completion is left (see linger), the Go face fails what
// never reached the actor.
func (s *shell) finalize(c actor.Context) {
	for _, id := range s.reqs.ids() {
		s.deliver(c, &Completion{ID: id, Err: errf("request", syscall.ECONNABORTED, "socket stopped")})
	}
	if s.face != nil {
		s.linger.finally(s.face.stopped)
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
