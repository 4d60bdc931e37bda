package signalbus

import (
	"context"
	"reflect"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// Session is one client of the bus: a QMP connection or an in-process
// user. Until Start it is in QMP's capabilities negotiation: no event
// reaches it, through any connection (it has none and takes none: a
// connect fails with ErrNotStarted), and it may drop its defaults. Once
// started it has the default connection to every signal (events arriving
// that way carry no tag), unless it disconnected its defaults first, and
// takes explicit connections. Those are its own: another session cannot
// disconnect them, and closing the session removes them all.
type Session struct {
	bus    *Bus
	id     uint64
	sink   target
	limit  int
	policy Policy

	// guarded by bus.mu
	defaults  bool
	started   bool
	closed    bool
	handles   []Handle // every open connection, defaults included
	dfltLinks []Handle
}

// Sink is where a session's connections deliver: an actor (which handles
// Delivery and Fence itself, or uses SlotMiddleware) or a func run on a
// serial executor per connection.
type Sink struct{ t target }

// ActorSink delivers to pid; the messages are Deliveries (*Event[T]).
func ActorSink(pid *actor.PID) Sink { return Sink{target{pid: pid}} }

// FuncSink runs f for each event. A nil f is an empty sink, which
// NewSession refuses.
func FuncSink(f func(ctx context.Context, ev AnyEvent)) Sink {
	if f == nil {
		return Sink{}
	}
	return Sink{target{fn: func(ctx context.Context, d Delivery) { f(ctx, d.AnyEvent()) }}}
}

// SessionOption configures a session.
type SessionOption func(*Session)

// SessionQueue sets the backlog bound and overflow policy of every
// connection of the session, default and explicit, with the meaning of
// Queue: DropNewest holds at most limit events, DropOldest at most
// max(limit, 2) and always keeps the newest one. NewSession refuses a
// bound below 1 or an unknown policy with ErrBadArgument.
func SessionQueue(limit int, policy Policy) SessionOption {
	return func(s *Session) { s.limit, s.policy = limit, policy }
}

// NewSession opens a session delivering to sink. It is not started: no
// event reaches it until Start (the QMP endpoint starts a session when
// capabilities negotiation ends). Before Start it has no connection and
// refuses them (ErrNotStarted from Connect, ConnectRemote and a signal's
// Connect with InSession), so that negotiation silence is the session's
// own guarantee, not only its endpoint's; events emitted before Start
// are not kept for it (as QEMU drops them for a monitor that is still
// negotiating), but for a throttled emission still held back when it
// starts, which reaches it when its period ends (as QEMU's delayed event
// reaches every monitor out of negotiation by then).
func (b *Bus) NewSession(sink Sink, opts ...SessionOption) (*Session, error) {
	if sink.t.pid == nil && sink.t.fn == nil {
		return nil, errors.New("signalbus: new session: empty sink")
	}
	s := &Session{bus: b, sink: sink.t, limit: DefaultQueueLimit, defaults: true}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	if err := checkQueue(s.limit, s.policy); err != nil {
		return nil, errors.Wrap(err, "signalbus: new session")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errors.Wrap(ErrClosed, "signalbus: new session")
	}
	b.nextSession++
	s.id = b.nextSession
	b.sessions[s.id] = s
	return s, nil
}

// ID returns the session's number on its bus.
func (s *Session) ID() uint64 { return s.id }

// Start makes the session live: unless its defaults were disconnected, it
// gets the default connection to every signal, now and to signals added
// later. Starting twice does nothing. Once the session or its bus is
// closed it fails with ErrClosed.
func (s *Session) Start() error {
	b := s.bus
	b.mu.Lock()
	if s.closed || b.closed {
		b.mu.Unlock()
		return errors.Wrap(ErrClosed, "signalbus: start session")
	}
	if s.started {
		b.mu.Unlock()
		return nil
	}
	s.started = true
	var sigs []*signalBase
	if s.defaults {
		sigs = append(sigs, b.signals...)
	}
	b.mu.Unlock()
	for _, sig := range sigs {
		s.connectDefault(sig)
	}
	return nil
}

// testHookDefaultConnect, if set, runs just before each default
// connection is made (tests of races with DisconnectDefaults).
var testHookDefaultConnect atomic.Pointer[func()]

func (s *Session) connectDefault(sig *signalBase) {
	if f := testHookDefaultConnect.Load(); f != nil {
		(*f)()
	}
	// Registering the connection checks, under the bus's lock, that the
	// session still wants its defaults (see Bus.register); it fails if
	// the bus or the session closed, or the defaults were disconnected,
	// meanwhile.
	_, _ = s.bus.connect(sig, s.sink, s.id, nil, s.limit, 0, s.policy, true)
}

// ErrNotStarted means a connection was asked for a session that has not
// started (see NewSession).
var ErrNotStarted = errors.New("session not started")

// errNoDefaults refuses a default connection to a session that
// disconnected its defaults.
var errNoDefaults = errors.New("the session disconnected its default connections")

// Started reports whether Start was called.
func (s *Session) Started() bool {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	return s.started
}

// Defaults reports whether the session has (or will have, once started)
// its default connections.
func (s *Session) Defaults() bool {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	return s.defaults
}

// DisconnectDefaults drops the session's default connections: before
// Start, none is ever made; after it, each is disconnected (a barrier, as
// Disconnect). Calling it again does nothing.
func (s *Session) DisconnectDefaults(ctx context.Context) error {
	b := s.bus
	b.mu.Lock()
	if s.closed || b.closed {
		b.mu.Unlock()
		return errors.Wrap(ErrClosed, "signalbus: disconnect default signals")
	}
	s.defaults = false
	hs := s.dfltLinks
	s.dfltLinks = nil
	b.mu.Unlock()
	var first error
	for _, h := range hs {
		if err := b.disconnect(ctx, h, s.id, nil); err != nil && first == nil && !errors.Is(err, ErrUnknownHandle) {
			first = err
		}
	}
	return first
}

// Connect connects the session's sink to sig with the given options
// (accessor-argument filters; the queue is the session's). Events through
// it carry its handle as Tag. It fails with ErrNotStarted before Start.
func (s *Session) Connect(sig SignalRef, opts ...ConnectOption) (Handle, error) {
	if isNil(sig) {
		return "", errors.Wrap(ErrBadArgument, "signalbus: session connect: nil signal")
	}
	base := sig.base()
	if base.bus != s.bus {
		return "", errors.Errorf("signalbus: connect %s: signal of another bus", base.info.Name)
	}
	all := append([]ConnectOption{Queue(s.limit, s.policy)}, opts...)
	all = append(all, InSession(s))
	return base.connect(s.sink, all)
}

// Disconnect ends the session's connection h. A handle the session does
// not own (never issued, already disconnected, another session's) gives
// ErrUnknownHandle and changes nothing.
func (s *Session) Disconnect(ctx context.Context, h Handle) error {
	return s.bus.disconnect(ctx, h, s.id, nil)
}

// Owns reports whether h is an open connection of the session to a
// signal of its own bus, and to which one (connections to remote signals
// are not reported).
func (s *Session) Owns(h Handle) (SignalRef, bool) {
	b := s.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.links[h]
	if l == nil || l.owner != s.id || l.sig == nil {
		return nil, false
	}
	return l.sig, true
}

func (s *Session) forget(h Handle) {
	for i, x := range s.handles {
		if x == h {
			s.handles = append(s.handles[:i], s.handles[i+1:]...)
			break
		}
	}
	for i, x := range s.dfltLinks {
		if x == h {
			s.dfltLinks = append(s.dfltLinks[:i], s.dfltLinks[i+1:]...)
			break
		}
	}
}

// Close ends the session: all its connections are closed at once (no
// delivery reaches the sink afterwards) and removed from their signals.
// It never blocks. Closing twice does nothing.
func (s *Session) Close() {
	b := s.bus
	b.mu.Lock()
	if s.closed {
		b.mu.Unlock()
		return
	}
	s.closed = true
	b.closeLinks(s.handles)
	s.handles, s.dfltLinks = nil, nil
	delete(b.sessions, s.id)
	sigs := append([]*signalBase(nil), b.signals...)
	client := b.client
	b.mu.Unlock()
	for _, sig := range sigs {
		if !sig.closed.Load() {
			sig.send(&ownerGone{owner: s.id})
		}
	}
	if client != nil {
		client.send(&ownerGone{owner: s.id})
	}
}

// isNil reports whether sig is nil, or a nil pointer in an interface.
func isNil(sig SignalRef) bool {
	if sig == nil {
		return true
	}
	v := reflect.ValueOf(sig)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
