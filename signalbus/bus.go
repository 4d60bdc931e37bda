package signalbus

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// Bus is a set of signals and the sessions connected to them, on one
// actors.System. It issues handles (never reused) and keeps the table of
// open connections, so that Disconnect can close a connection at once,
// from anywhere, and check that the caller owns it.
type Bus struct {
	sys            *actors.System
	fenceTimeout   time.Duration
	remoteRetry    time.Duration
	connectTimeout time.Duration

	nextHandle  atomic.Uint64
	slotPanics  atomic.Uint64
	mu          sync.Mutex
	closed      bool
	links       map[Handle]*Link
	signals     []*signalBase          // in registration order
	byName      map[string]*signalBase // by type name (what remote connects name)
	names       map[string]*signalBase // by each of its names: type name, wire name, accessor
	sessions    map[uint64]*Session
	nextSession uint64
	client      *remoteClient // the client of remote signals, once one exists
	servers     []*Server     // servers of this bus's signals to other nodes
}

// BusOption configures a Bus.
type BusOption func(*Bus)

// WithFenceTimeout bounds how long a blocking Disconnect waits for a slot
// that is busy with a delivery (default 10s on the bus clock).
func WithFenceTimeout(d time.Duration) BusOption { return func(b *Bus) { b.fenceTimeout = d } }

// New returns an empty bus on sys.
func New(sys *actors.System, opts ...BusOption) *Bus {
	b := &Bus{
		sys:            sys,
		fenceTimeout:   10 * time.Second,
		remoteRetry:    100 * time.Millisecond,
		connectTimeout: 10 * time.Second,
		links:          map[Handle]*Link{},
		byName:         map[string]*signalBase{},
		names:          map[string]*signalBase{},
		sessions:       map[uint64]*Session{},
	}
	for _, o := range opts {
		o(b)
	}
	return b
}

// System returns the bus's actor system.
func (b *Bus) System() *actors.System { return b.sys }

// SlotPanics counts panics of func slots (each recovered; the delivery is
// acknowledged and the connection goes on).
func (b *Bus) SlotPanics() uint64 { return b.slotPanics.Load() }

// SignalRef is a signal without its type parameter.
type SignalRef interface {
	Info() *SignalInfo
	EventType() reflect.Type
	PID() *actor.PID
	Closed() bool
	base() *signalBase
}

// Signals returns the bus's signals in registration order.
func (b *Bus) Signals() []SignalRef {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]SignalRef, len(b.signals))
	for i, s := range b.signals {
		out[i] = s
	}
	return out
}

// Lookup returns the signal whose type name, wire name or accessor is
// name. It is never ambiguous: NewSignal refuses a signal one of whose
// names (of any of the three kinds) is already a name of another signal
// of the bus.
func (b *Bus) Lookup(name string) (SignalRef, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.names[name]; ok {
		return s, true
	}
	return nil, false
}

// ErrNameTaken means a new signal has a name (type name, wire name or
// accessor) that another signal of the bus has already, or that Serve's
// server name is another actor's on the bus's system.
var ErrNameTaken = errors.New("name taken")

// names returns the signal's names, each with its kind: type name, wire
// name, accessor (a name the signal has twice is given once).
func (i *SignalInfo) names() (names, kinds []string) {
	for j, n := range []string{i.Name, i.Wire, i.Accessor} {
		dup := false
		for _, m := range names {
			dup = dup || m == n
		}
		if !dup {
			names, kinds = append(names, n), append(kinds, [...]string{"type name", "wire name", "accessor"}[j])
		}
	}
	return names, kinds
}

// kindOf says which of its names name is.
func (i *SignalInfo) kindOf(name string) string {
	switch name {
	case i.Name:
		return "type name"
	case i.Wire:
		return "wire name"
	}
	return "accessor"
}

func (b *Bus) addSignal(s *signalBase, spawn func() (*actor.PID, error)) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return errors.Wrapf(ErrClosed, "signalbus: new signal %s", s.info.Name)
	}
	// Every name of a signal is unique on the bus, whatever its kind: QMP
	// tells events apart by wire name alone (query-qmp-schema lists each
	// once), commands by accessor, remote connects by type name, and
	// Lookup takes any of them.
	names, kinds := s.info.names()
	for j, n := range names {
		if other := b.names[n]; other != nil {
			b.mu.Unlock()
			return errors.Wrapf(ErrNameTaken, "signalbus: new signal %s: its %s %q is the %s of signal %s",
				s.info.Name, kinds[j], n, other.info.kindOf(n), other.info.Name)
		}
	}
	pid, err := spawn()
	if err != nil {
		b.mu.Unlock()
		return errors.Wrapf(err, "signalbus: new signal %s", s.info.Name)
	}
	s.pid = pid
	b.signals = append(b.signals, s)
	b.byName[s.info.Name] = s
	for _, n := range names {
		b.names[n] = s
	}
	var started []*Session
	for _, id := range actors.SortedKeys(b.sessions) {
		if ss := b.sessions[id]; ss.started && ss.defaults {
			started = append(started, ss)
		}
	}
	b.mu.Unlock()
	for _, ss := range started {
		ss.connectDefault(s)
	}
	return nil
}

// Close ends the bus: signals stop accepting emissions and connections and
// their actors are stopped after what is already queued for them.
func (b *Bus) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	sigs := append([]*signalBase(nil), b.signals...)
	for _, h := range actors.SortedKeys(b.links) {
		b.links[h].closed.Store(true)
	}
	b.links = map[Handle]*Link{}
	client, servers := b.client, b.servers
	b.servers = nil
	b.mu.Unlock()
	for _, s := range sigs {
		s.closed.Store(true)
		b.sys.Poison(s.pid)
	}
	if client != nil {
		client.close()
	}
	for _, srv := range servers {
		srv.Close()
	}
}

// Disconnect ends connection h made without a session, on any signal.
func (b *Bus) Disconnect(ctx context.Context, h Handle) error {
	return b.disconnect(ctx, h, 0, nil)
}

func (b *Bus) newHandle(prefix string) Handle {
	return Handle(prefix + strconv.FormatUint(b.nextHandle.Add(1), 10))
}

func (b *Bus) connect(s *signalBase, t target, owner uint64, filter []ArgMatch, limit, maxWin int, policy Policy, dflt bool) (Handle, error) {
	prefix := "c"
	if dflt {
		prefix = "default-"
	}
	h := b.newHandle(prefix)
	link := &Link{handle: h, owner: owner, sig: s, host: s, dflt: dflt}
	window, queue := split(limit, maxWin)
	if policy == DropOldest {
		// The newest event needs a place besides the deliveries in
		// flight, which cannot be taken back (see Queue).
		queue = max(queue, 1)
	}
	req := &connectReq{
		spec:   ConnSpec{Handle: h, Owner: owner, Filter: filter, Window: window, Limit: queue, Policy: policy, Link: link},
		target: t.bind(b.sys),
		dflt:   dflt,
	}
	link.pending = req
	// The request is sent in the same critical section of the signal's
	// connMu as the connection is registered: a signal actor that
	// restarts lists, under connMu, the registered connections it has
	// not seen yet, knowing that each one's request is in its mailbox
	// already or was lost in the failure (see sigActor.restarted).
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if err := b.register(link, s.closed.Load(), "connect "+s.info.Name); err != nil {
		return "", err
	}
	s.send(req)
	return h, nil
}

// register adds link to the table of open connections (and to its
// owner's), unless the bus, the host or the owning session is closed. A
// default connection is registered only while its session keeps its
// defaults, in the same critical section as DisconnectDefaults looks at
// them: either it sees the connection and ends it, or the connection is
// never made.
func (b *Bus) register(link *Link, hostClosed bool, what string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || hostClosed {
		return errors.Wrapf(ErrClosed, "signalbus: %s", what)
	}
	if link.owner != 0 {
		ss := b.sessions[link.owner]
		if ss == nil || ss.closed {
			return errors.Wrapf(ErrClosed, "signalbus: %s: session", what)
		}
		if !ss.started {
			// QMP's capabilities negotiation: the session gets nothing
			// until it starts, through no connection.
			return errors.Wrapf(ErrNotStarted, "signalbus: %s: session %d", what, ss.id)
		}
		if link.dflt {
			if !ss.defaults {
				return errors.Wrapf(errNoDefaults, "signalbus: %s", what)
			}
			ss.dfltLinks = append(ss.dfltLinks, link.handle)
		}
		ss.handles = append(ss.handles, link.handle)
	}
	b.links[link.handle] = link
	return nil
}

// disconnect closes h if owner owns it (and, with only set, if it is a
// connection of that host), then removes it from its host.
func (b *Bus) disconnect(ctx context.Context, h Handle, owner uint64, only connHost) error {
	link, err := b.unlink(h, owner, only)
	if err != nil {
		return err
	}
	return link.host.remove(ctx, h)
}

// unlink closes connection h and takes it out of the tables, if owner
// owns it (and, with only set, if only is its host). Once the bus is
// closed it fails with ErrClosed: Close closed every connection and
// emptied the tables, so a handle open until then is not unknown.
func (b *Bus) unlink(h Handle, owner uint64, only connHost) (*Link, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errors.Wrapf(ErrClosed, "signalbus: disconnect %q", string(h))
	}
	link := b.links[h]
	if link == nil || link.owner != owner || (only != nil && link.host != only) {
		return nil, errors.Wrapf(ErrUnknownHandle, "signalbus: disconnect %q", string(h))
	}
	delete(b.links, h)
	if !b.sys.Canary(CanaryDeliverAfterDisconnect) {
		// The barrier: from here on the slot drops this connection's
		// deliveries, even those already queued for it.
		link.closed.Store(true)
	}
	if owner != 0 {
		if ss := b.sessions[owner]; ss != nil {
			ss.forget(h)
		}
	}
	return link, nil
}

// forgetLink closes link and takes it out of the tables, whoever owns it
// (a remote connection its peer ended).
func (b *Bus) forgetLink(link *Link) {
	b.mu.Lock()
	defer b.mu.Unlock()
	link.closed.Store(true)
	if b.links[link.handle] == link {
		delete(b.links, link.handle)
	}
	if link.owner != 0 {
		if ss := b.sessions[link.owner]; ss != nil {
			ss.forget(link.handle)
		}
	}
}

// remove asks the signal actor to drop h; outside an actor it waits for
// the slot fence.
func (s *signalBase) remove(ctx context.Context, h Handle) error {
	if inActor(ctx) {
		s.send(&disconnectReq{h: h})
		return nil
	}
	// (If the signal has stopped, the connection went with it: ErrClosed.)
	_, err := s.waits.ask(ctx, s.sys, func(w *waiter) any { return &disconnectReq{h: h, waiter: w} }, s.send)
	if err != nil {
		return errors.Wrapf(err, "signalbus: disconnect %q", string(h))
	}
	return nil
}

// closeLinks closes and forgets the given handles (a session closing).
func (b *Bus) closeLinks(hs []Handle) {
	for _, h := range hs {
		if l := b.links[h]; l != nil {
			l.closed.Store(true)
			delete(b.links, h)
		}
	}
}

// forgetServer takes srv, which has stopped, out of the bus's servers.
func (b *Bus) forgetServer(srv *Server) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.servers = slices.DeleteFunc(b.servers, func(x *Server) bool { return x == srv })
}
