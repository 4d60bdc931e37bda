package signalbus

import (
	"context"
	"slices"
	"sync/atomic"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/wire"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// ServerName is the default name of a bus's server actor: peers address it
// as actor.NewPID(nodeAddress, ServerName).
const ServerName = "signalbus"

// Server serves a bus's signals to slots on other nodes. For each remote
// connection its actor holds an ordinary connection to the local signal
// (so filters, the queue, its overflow policy and throttling are the
// signal's own), is that connection's slot, and forwards each delivery to
// the subscriber's node, keeping it unacknowledged until the remote slot
// has finished with it (see Outbox). It watches every subscriber: when a
// subscriber's node dies or becomes unreachable, its connections are
// removed and the events in flight to it are counted (ServerStats,
// OnPeerLoss).
type Server struct {
	bus     *Bus
	pid     *actor.PID
	name    string
	closed  atomic.Bool
	stopped *stopSignal // done when the actor has stopped (its name is free)
	waits   waits       // Stats waiting for the actor
}

// ServeOption configures a Server.
type ServeOption func(*serveConfig)

type serveConfig struct {
	name   string
	retry  time.Duration
	onLoss func(PeerLoss)
}

// ServeName names the server actor (default ServerName); subscribers
// then use AtServer(name).
func ServeName(name string) ServeOption { return func(c *serveConfig) { c.name = name } }

// ServeRetry sets how often the server checks for unacknowledged
// deliveries to send again (default 100ms on the bus clock; the wait
// doubles while nothing progresses, up to 16 times that).
func ServeRetry(d time.Duration) ServeOption {
	return func(c *serveConfig) {
		if d > 0 {
			c.retry = d
		}
	}
}

// OnPeerLoss sets a function told about every connection the server
// removes because its subscriber is gone (its node died, was unreachable
// for its keepalive, or restarted). It runs inside the server actor and
// must not block.
func OnPeerLoss(f func(PeerLoss)) ServeOption { return func(c *serveConfig) { c.onLoss = f } }

// PeerLoss describes a connection removed because its subscriber is gone.
type PeerLoss struct {
	Client   string // the subscriber's client actor, address/id
	Epoch    uint64 // its incarnation
	Conn     Handle // the handle the subscriber's bus gave the connection
	Signal   string
	Why      string // "terminated: <reason>" or "restarted"
	Sent     uint64 // deliveries sent on the connection
	Acked    uint64 // deliveries the subscriber's slot acknowledged
	InFlight uint64 // sent and never acknowledged: lost, or unconfirmed
}

// Serve starts a server for bus's signals, an actor named ServerName
// (or ServeName's) on the bus's system. Start the system as a node first
// (actors/node) so that peers can reach it; in a simulation every node
// is reachable. Bus.Close stops it.
//
// Peers address the server by its name, so each bus of a system that is
// served needs a name of its own: serve the first under ServerName and
// the others with ServeName (their subscribers then use AtServer). Serve
// under a name an actor of the system has already fails with
// ErrNameTaken.
//
// A server of the bus closed with Server.Close may still be stopping:
// Serve under its name waits until it has stopped (so, in that case, do
// not call it from inside an actor), so that Close then Serve restarts a
// server.
func Serve(bus *Bus, opts ...ServeOption) (*Server, error) {
	cfg := serveConfig{name: ServerName, retry: 100 * time.Millisecond}
	for _, o := range opts {
		o(&cfg)
	}
	srv := &Server{bus: bus, name: cfg.name, stopped: newStopSignal()}
	bus.mu.Lock()
	closed := bus.closed
	var closing []*Server
	for _, old := range bus.servers {
		if old.name == cfg.name && old.closed.Load() {
			closing = append(closing, old)
		}
	}
	bus.mu.Unlock()
	if closed {
		return nil, errors.Wrap(ErrClosed, "signalbus: serve")
	}
	for _, old := range closing {
		if err := old.stopped.wait(context.Background(), bus.sys); err != nil {
			return nil, errors.Wrapf(err, "signalbus: serve as %q: waiting for the closed server to stop", cfg.name)
		}
	}
	pid, err := bus.sys.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
		return &server{srv: srv, cfg: cfg, peers: map[string]*peer{}, conns: map[Handle]*sconn{}, signals: map[string]*actor.PID{}}
	}), cfg.name)
	if errors.Is(err, actor.ErrNameExists) {
		// The name is how peers address the server: it is not changed
		// behind the caller's back.
		return nil, errors.Wrapf(ErrNameTaken, "signalbus: serve as %q: another actor of the system has the name "+
			"(another bus served under it?); serve this bus under a name of its own with ServeName, its subscribers give it with AtServer", cfg.name)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "signalbus: serve as %q", cfg.name)
	}
	srv.pid = pid
	bus.mu.Lock()
	closed = bus.closed
	if !closed {
		bus.servers = append(bus.servers, srv)
	}
	bus.mu.Unlock()
	if closed {
		srv.Close()
		return nil, errors.Wrap(ErrClosed, "signalbus: serve")
	}
	return srv, nil
}

// PID returns the server actor.
func (s *Server) PID() *actor.PID { return s.pid }

// Close ends every remote connection (telling the subscribers) and stops
// the server. Closing twice does nothing.
func (s *Server) Close() {
	if s.closed.CompareAndSwap(false, true) {
		s.bus.sys.Send(s.pid, &serverClose{})
	}
}

// Stats asks the server for its counters (ErrClosed once it has
// stopped).
func (s *Server) Stats(ctx context.Context) (*ServerStats, error) {
	reply, err := s.waits.ask(ctx, s.bus.sys, func(w *waiter) any { return &serverStatsReq{waiter: w} }, func(m any) { s.bus.sys.Send(s.pid, m) })
	if err != nil {
		return nil, errors.Wrap(err, "signalbus: server stats")
	}
	st, ok := reply.(*ServerStats)
	if !ok {
		return nil, errors.Errorf("signalbus: server stats: got %T", reply)
	}
	return st, nil
}

// ServerStats is a snapshot of a server's counters.
type ServerStats struct {
	Accepted     uint64 // connections accepted
	Refused      uint64 // connects refused (unknown type, bad argument, ...)
	Ended        uint64 // connections ended by their subscriber
	PeersLost    uint64 // connections removed because their subscriber was gone
	Sent         uint64 // deliveries sent
	Resent       uint64 // messages sent again (lost, or probes)
	LostInFlight uint64 // deliveries sent to a subscriber that was gone before acknowledging them
	LostQueued   uint64 // events queued for such a subscriber's connections when they were removed (or on their way to the server)
	Abandoned    uint64 // deliveries unacknowledged when their subscriber disconnected
	Peers        int    // subscribers' clients the server keeps a record of (and watches)
	Conns        []ServerConnStats
}

// ServerConnStats describes one open remote connection.
type ServerConnStats struct {
	Client     string // the subscriber's client actor, address/id
	Epoch      uint64
	Conn       Handle // the subscriber's handle
	Local      Handle // the connection to the local signal
	Signal     string
	Window     int
	Sent       uint64
	Acked      uint64
	Pending    int // sent, not yet acknowledged (≤ Window)
	MaxPending int
}

type (
	serverClose    struct{}
	serverStatsReq struct{ waiter *waiter }
	serverTick     struct{}
)

// CanaryRemoteUncounted is the planted bug that loses events silently: a
// server removing the connections of a subscriber that is gone does not
// count the deliveries in flight to it. Only a simulation run with this
// canary turns it on.
const CanaryRemoteUncounted = "signalbus/remote-uncounted"

// The reasons of a SignalDisconnected the server sends on its own.
const (
	reasonUnknown = "unknown connection"
	reasonClosed  = "signal closed"
	reasonStale   = "stale stream" // (from the client) a stream it does not read
)

// server is the Server's actor.
type server struct {
	srv     *Server
	cfg     serveConfig
	sess    *Session
	peers   map[string]*peer      // client actor (address/id) → its connections (while it has any)
	conns   map[Handle]*sconn     // local handle → connection
	signals map[string]*actor.PID // watched local signals
	// gone holds the local handles of connections removed because their
	// subscriber was gone, until their signal has counted their queue:
	// deliveries of theirs still arriving (the signal took them from the
	// queue before it heard of the removal) are lost and counted too.
	gone   map[Handle]string // local handle → its signal (pidKey)
	ticker *actors.Timer
	stats  ServerStats
	epoch  uint64 // this incarnation (SignalConnected.ServerEpoch), drawn at Started
	serverProbes
}

// peer is one subscriber's client actor, in its newest incarnation. The
// server keeps it, and watches the client, while the client has
// connections (see prune).
type peer struct {
	key     string
	pid     *actor.PID
	epoch   uint64
	started int64
	conns   map[string]*sconn // by the client's handle
	peerProbe
}

// sconn is one remote connection on the server.
type sconn struct {
	peer   *peer
	id     string // the client's handle
	stream string // this incarnation of the connection (the local handle)
	local  Handle
	sig    *signalBase
	window int
	out    Outbox
	seq    uint64 // its order of acceptance (serverProbes.accepts)
	// stalled: silent for good (the CanaryRemoteStall canary only)
	stalled bool
}

func pidKey(p *actor.PID) string { return p.GetAddress() + "/" + p.GetId() }

func (s *server) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		s.epoch = s.srv.bus.sys.Rand().Uint64() | 1
		// The server's connections belong to its session, which has no
		// default connection: it drops them, then starts (a session
		// takes connections only once started).
		sess, err := s.srv.bus.NewSession(ActorSink(c.Self()))
		if err == nil {
			if err = sess.DisconnectDefaults(InActor(context.Background())); err == nil {
				err = sess.Start()
			}
			if err != nil {
				sess.Close()
			}
		}
		if err != nil {
			actors.FromContext(c).Logger().Error("signalbus: server cannot open its session", "err", err)
			c.Stop(c.Self())
			return
		}
		s.sess = sess
	case *actor.Stopping:
		if s.sess != nil {
			s.sess.Close()
		}
	case *actor.Stopped:
		// Requests still queued are dropped: answer their callers.
		s.srv.waits.stop(errors.Wrap(ErrClosed, "signalbus: the server stopped"))
		s.srv.bus.forgetServer(s.srv)
		s.srv.stopped.done()
	case *actor.Restarting:
		// A failure: the connection table is about to be lost, so the
		// connections end here and their subscribers are told.
		s.shutdown(c, "server restarted")
		if s.sess != nil {
			s.sess.Close()
		}
	case Delivery:
		s.forward(c, m)
	case *Fence:
		c.Respond(&fenced{})
	case *wire.SignalConnect:
		s.connect(c, m)
	case *wire.SignalAck:
		if k := s.find(c.Sender(), m.GetEpoch(), m.GetConn(), m.GetStream()); k != nil {
			for _, t := range k.out.Ack(m.GetReceived(), m.GetAcked()) {
				t.(Delivery).Done()
			}
		} else {
			s.tell(c, c.Sender(), m.GetEpoch(), m.GetConn(), m.GetStream(), reasonUnknown)
		}
	case *wire.SignalDisconnect:
		if k := s.find(c.Sender(), m.GetEpoch(), m.GetConn(), m.GetStream()); k != nil {
			s.stats.Ended++
			s.stats.Abandoned += uint64(k.out.Pending())
			s.remove(c, k, false)
		}
		s.tell(c, c.Sender(), m.GetEpoch(), m.GetConn(), m.GetStream(), "")
	case *wire.SignalAudit:
		s.audit(c, m)
	case *queueDiscarded:
		s.stats.LostQueued += uint64(m.n)
		delete(s.gone, m.h) // the signal sent all its deliveries before this
	case *serverTick:
		s.tick(c)
	case *actor.Terminated:
		s.terminated(c, m)
	case *serverStatsReq:
		m.waiter.answer(s.snapshot(), nil)
	case *serverClose:
		s.shutdown(c, reasonClosed)
		c.Stop(c.Self())
	}
}

// shutdown ends every connection, telling the subscribers why.
func (s *server) shutdown(c actor.Context, why string) {
	for _, h := range actors.SortedKeys(s.conns) {
		k := s.conns[h]
		s.remove(c, k, false)
		s.tell(c, k.peer.pid, k.peer.epoch, k.id, k.stream, why)
	}
}

// tell sends a SignalDisconnected to a client (to sender rebuilt from its
// address: never reuse a PID object of another system).
func (s *server) tell(c actor.Context, to *actor.PID, epoch uint64, id, stream, reason string) {
	if to == nil {
		return
	}
	c.Request(actor.NewPID(to.GetAddress(), to.GetId()), &wire.SignalDisconnected{Epoch: epoch, Conn: id, Stream: stream, Reason: reason})
}

// find returns the connection id of the client from (in incarnation
// epoch), if it is on stream (or stream is empty).
func (s *server) find(from *actor.PID, epoch uint64, id, stream string) *sconn {
	if from == nil {
		return nil
	}
	p := s.peers[pidKey(from)]
	if p == nil || p.epoch != epoch {
		return nil
	}
	k := p.conns[id]
	if k == nil || (stream != "" && k.stream != stream) {
		return nil
	}
	return k
}

func (s *server) connect(c actor.Context, m *wire.SignalConnect) {
	from := c.Sender()
	if from == nil || s.sess == nil {
		return // nowhere to answer
	}
	key := pidKey(from)
	p := s.peers[key]
	if p != nil && p.epoch != m.GetEpoch() {
		if m.GetStarted() < p.started {
			s.refuse(c, p.pid, m, kindStale, "an older incarnation of the client")
			return
		}
		if m.GetStarted() == p.started {
			// Started at the same instant: which one is current only
			// the client can say (remote_probe.go); the connect is
			// repeated meanwhile.
			s.startProbe(c, p, "")
			return
		}
		// The client restarted: its old connections are gone, and so
		// is the record of them (the new incarnation gets its own
		// below, if its connect is accepted).
		delete(s.peers, key)
		c.Unwatch(p.pid)
		s.forgotten.note(key, p.epoch)
		s.dropConns(c, p, "restarted")
		p = nil
	}
	if p != nil {
		if k := p.conns[m.GetConn()]; k != nil {
			s.accepted(c, k) // a repeat: the first answer was lost
			return
		}
	}
	to := actor.NewPID(from.GetAddress(), from.GetId())
	opts, kind, err := connectOptions(m)
	if err != nil {
		s.refuse(c, to, m, kind, err.Error())
		return
	}
	sig := s.lookup(m.GetType())
	if sig == nil {
		s.refuse(c, to, m, kindUnknownType, "no signal of event type "+m.GetType())
		return
	}
	h, err := s.sess.Connect(sig, append(opts, remoteWindow())...)
	if err != nil {
		kind = kindBadArgument
		if errors.Is(err, ErrClosed) {
			kind = kindClosed
		}
		s.refuse(c, to, m, kind, err.Error())
		return
	}
	if p == nil {
		p = &peer{key: key, pid: to, epoch: m.GetEpoch(), started: m.GetStarted(), conns: map[string]*sconn{}}
		p.succeeded = s.forgotten.follows(key, p.epoch)
		s.peers[key] = p
		c.Watch(p.pid)
		s.arm(c)
	}
	limit := int(m.GetLimit())
	if limit == 0 {
		limit = DefaultQueueLimit
	}
	window, _ := split(limit, maxRemoteWindow)
	s.accepts++
	k := &sconn{peer: p, id: m.GetConn(), stream: string(h), local: h, sig: sig, window: window, seq: s.accepts}
	p.conns[k.id] = k
	s.conns[h] = k
	s.stats.Accepted++
	if sk := pidKey(sig.pid); s.signals[sk] == nil {
		s.signals[sk] = sig.pid
		c.Watch(sig.pid)
	}
	s.accepted(c, k)
}

// lookup finds a signal by its event type's name (only: the name is the
// type the client decodes).
func (s *server) lookup(name string) *signalBase {
	b := s.srv.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.byName[name]
}

func (s *server) accepted(c actor.Context, k *sconn) {
	m := &wire.SignalConnected{Epoch: k.peer.epoch, Conn: k.id, Window: uint32(k.window), Stream: k.stream, ServerEpoch: s.epoch}
	describe(m, k.sig.info)
	c.Request(k.peer.pid, m)
}

func (s *server) refuse(c actor.Context, to *actor.PID, m *wire.SignalConnect, kind, why string) {
	s.stats.Refused++
	c.Request(to, &wire.SignalConnected{Epoch: m.GetEpoch(), Conn: m.GetConn(), Error: why, ErrorKind: kind, ServerEpoch: s.epoch})
}

// forward sends a delivery of the local signal to the subscriber.
func (s *server) forward(c actor.Context, d Delivery) {
	ev := d.AnyEvent()
	k := s.conns[ev.EventTag()]
	if !d.Live() || k == nil {
		if _, lost := s.gone[ev.EventTag()]; lost {
			s.stats.LostQueued++ // on its way to us when the subscriber went
		}
		d.Done()
		return
	}
	msg, err := encodeEvent(ev)
	if err != nil {
		d.Done()
		actors.FromContext(c).Logger().Error("signalbus: cannot send an event to a remote slot", "err", err)
		s.remove(c, k, false)
		s.tell(c, k.peer.pid, k.peer.epoch, k.id, k.stream, err.Error())
		return
	}
	msg.Epoch, msg.Conn, msg.Stream = k.peer.epoch, k.id, k.stream
	msg.N = k.out.Push(msg, d)
	s.stats.Sent++
	if !s.stalled(c, k, 0) {
		c.Request(k.peer.pid, msg)
	}
	s.arm(c)
}

// tick sends again what the subscribers have not acknowledged, and
// watches again each subscriber it sent again to: the Terminated of a
// client that stopped can be lost on the way like any message (and its
// goodbye with it), and a watch of an actor that is gone is answered
// with one (NotFound), so a connection whose subscriber is gone does not
// outlive it (watching a live actor again changes nothing).
func (s *server) tick(c actor.Context) {
	busy := false
	var rewatch []*peer
	for _, h := range actors.SortedKeys(s.conns) {
		k := s.conns[h]
		resent := k.out.Tick()
		for _, msg := range resent {
			s.stats.Resent++
			if !s.stalled(c, k, len(resent)) {
				c.Request(k.peer.pid, msg)
			}
		}
		if len(resent) > 0 && !slices.Contains(rewatch, k.peer) {
			rewatch = append(rewatch, k.peer)
		}
		busy = busy || k.out.Pending() > 0
	}
	for _, p := range rewatch {
		c.Watch(p.pid)
	}
	s.probeTick(c)
	if !busy && len(s.peers) == 0 && s.ticker != nil {
		s.ticker.Stop()
		s.ticker = nil
	}
}

// remove ends connection k: the local connection goes (its queue is
// counted if lost is set), the deliveries it holds are released.
func (s *server) remove(c actor.Context, k *sconn, lost bool) {
	delete(s.conns, k.local)
	if k.peer.conns[k.id] == k {
		delete(k.peer.conns, k.id)
	}
	s.prune(c, k.peer)
	if link, err := s.srv.bus.unlink(k.local, s.sess.id, nil); err == nil && link.sig != nil {
		req := &disconnectReq{h: k.local}
		if lost {
			req.count = c.Self()
			if s.gone == nil {
				s.gone = map[Handle]string{}
			}
			s.gone[k.local] = pidKey(link.sig.pid)
		}
		link.sig.send(req)
	}
	for _, t := range k.out.Drain() {
		t.(Delivery).Done() // the link is closed: this only balances the count
	}
}

// prune forgets p, and stops watching its client, once it has no
// connection left (unless p was taken out of the table already). Its
// incarnation is remembered: a Terminated about it may still come after
// the next incarnation's record is made.
func (s *server) prune(c actor.Context, p *peer) {
	if len(p.conns) == 0 && s.peers[p.key] == p {
		delete(s.peers, p.key)
		c.Unwatch(p.pid)
		s.forgotten.note(p.key, p.epoch)
	}
}

// dropConns removes every connection of p because p is gone, counting
// what was in flight to it.
func (s *server) dropConns(c actor.Context, p *peer, why string) {
	uncounted := actors.FromContext(c).Canary(CanaryRemoteUncounted)
	for _, id := range actors.SortedKeys(p.conns) {
		k := p.conns[id]
		loss := PeerLoss{Client: p.key, Epoch: p.epoch, Conn: Handle(id), Signal: k.sig.info.Name, Why: why,
			Sent: k.out.Stats.Sent, Acked: k.out.Stats.Acked, InFlight: uint64(k.out.Pending())}
		if uncounted {
			loss.InFlight = 0
		}
		s.stats.PeersLost++
		s.stats.LostInFlight += loss.InFlight
		actors.FromContext(c).Logger().Warn("signalbus: removed the connection of a subscriber that is gone",
			"client", p.key, "conn", id, "signal", loss.Signal, "why", why, "in_flight", loss.InFlight)
		s.remove(c, k, true)
		if s.cfg.onLoss != nil {
			s.cfg.onLoss(loss)
		}
	}
}

func (s *server) terminated(c actor.Context, m *actor.Terminated) {
	key := pidKey(m.GetWho())
	if s.peerTerminated(c, key, "terminated: "+m.GetWhy().String()) {
		return
	}
	if s.signals[key] == nil {
		return
	}
	delete(s.signals, key)
	for _, h := range actors.SortedKeys(s.gone) {
		if s.gone[h] == key { // it will count nothing more
			delete(s.gone, h)
		}
	}
	for _, h := range actors.SortedKeys(s.conns) {
		if k := s.conns[h]; pidKey(k.sig.pid) == key {
			s.remove(c, k, false)
			s.tell(c, k.peer.pid, k.peer.epoch, k.id, k.stream, reasonClosed)
		}
	}
}

func (s *server) snapshot() *ServerStats {
	st := s.stats
	st.Peers = len(s.peers)
	st.Conns = nil
	for _, h := range actors.SortedKeys(s.conns) {
		k := s.conns[h]
		st.Conns = append(st.Conns, ServerConnStats{Client: k.peer.key, Epoch: k.peer.epoch, Conn: Handle(k.id), Local: h,
			Signal: k.sig.info.Name, Window: k.window, Sent: k.out.Stats.Sent, Acked: k.out.Stats.Acked,
			Pending: k.out.Pending(), MaxPending: k.out.Stats.MaxPending})
	}
	return &st
}
