package signalbus

import (
	"context"
	"fmt"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/wire"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// The client of remote signals: one actor per bus holding every remote
// connection of the bus, in one of three phases. Connecting: the connect
// is sent again each retry period until the server answers (or the
// connect timeout passes). Open: events are checked by the connection's
// Inbox, decoded and handed to the slot with a Link of this node (so
// Disconnect's barrier is local), and acknowledged as the slot finishes
// with them. Closing: the link is closed, the disconnect is sent again
// until the server confirms. The client watches each server and each
// actor slot; every ten retry periods it lists its open connections to
// each server, which answers those it does not know.

// ClientStats counts what a bus's remote client did.
type ClientStats struct {
	Epoch      uint64 // the client's incarnation
	Connecting int    // connections waiting for the server's answer
	Open       int
	Closing    int    // disconnected here, waiting for the server's confirmation
	Delivered  uint64 // events handed to slots
	Duplicates uint64 // events received twice (dropped)
	Gaps       uint64 // events received after a missing one (dropped; sent again)
	Refused    uint64 // events refused (unknown type, malformed)
	Lost       uint64 // connections ended by the peer, its death, or a refusal
	Foreign    uint64 // messages about a connection from another actor than its server (ignored)
	Stale      uint64 // events and answers of a stream the client does not read (the server is told to drop it)
}

type (
	// rconnectReq asks the client to make a remote connection.
	rconnectReq struct {
		h      Handle
		link   *Link
		host   *remoteBase
		req    *wire.SignalConnect
		target target
		onLost func(Handle, error)
		waiter *waiter // a blocking Connect
	}
	// rdisconnectReq asks the client to end connection h (its link is
	// closed already); with waiter set, it answers it once the slot is
	// fenced.
	rdisconnectReq struct {
		h      Handle
		waiter *waiter
	}
	// rwake: connection h's slot acknowledged a delivery.
	rwake          struct{ h Handle }
	ackTick        struct{}
	clientClose    struct{}
	clientTick     struct{}
	clientStatsReq struct{ waiter *waiter }
)

type phase uint8

const (
	connecting phase = iota
	open
	closing
)

// auditEvery is how many retry periods pass between audits.
const auditEvery = 10

// closeTries is how many times a disconnect is sent before the client
// gives up waiting for the confirmation (the server then learns from the
// audit of a later incarnation, or from the events it sends).
const closeTries = 50

// cconn is one remote connection on the client.
type cconn struct {
	h        Handle
	link     *Link
	host     *remoteBase
	server   *actor.PID
	req      *wire.SignalConnect
	phase    phase
	stream   string // the server's stream, from its answer
	info     *SignalInfo
	slot     *actor.PID
	bind     slotBinding // the actor slot (not an executor), bound when Connect was called
	exec     bool        // slot is our executor
	in       Inbox
	batch    uint64    // acknowledge every this many deliveries (window/8)
	waiter   *waiter   // a blocking Connect
	deadline time.Time // connecting: when to give up
	tries    int       // closing: disconnects sent
	onLost   func(Handle, error)
	lost     uint64 // events lost in failures of the executor, for the next delivery's Dropped
	srvEpoch uint64 // the server incarnation that answered the connect (0: unknown)
}

type client struct {
	bus      *Bus
	waits    *waits // the callers outside the actors waiting for answers
	epoch    uint64
	started  int64
	conns    map[Handle]*cconn
	slots    map[any]int // actor slots (slotBinding.key) → connections (watched while > 0)
	ticker   *actors.Timer
	ticks    int
	owed     map[Handle]bool // connections owing an acknowledgement
	ackArmed bool            // the delayed-ack timer is set
	stats    ClientStats
	clientServers
}

func newClient(b *Bus, epoch uint64, started int64, waits *waits) *client {
	return &client{bus: b, epoch: epoch, started: started, waits: waits, conns: map[Handle]*cconn{}, clientServers: clientServers{servers: map[string]*serverInc{}}, slots: map[any]int{}}
}

func (x *client) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Restarting:
		// A failure: this incarnation's state is about to be lost, so
		// its connections end (the new one presents a new epoch).
		for _, h := range actors.SortedKeys(x.conns) {
			k := x.conns[h]
			if k.phase != closing {
				x.send(c, k.server, &wire.SignalDisconnect{Epoch: x.epoch, Conn: string(h), Stream: k.stream, Reason: "client restarted"})
				x.lose(c, k, errors.Wrap(ErrClosed, "signalbus: the bus's remote client failed and restarted"))
				continue
			}
			x.forget(c, k)
		}
		// The fences awaited end with this incarnation.
		x.waits.failAll(errors.Wrap(ErrClosed, "signalbus: the bus's remote client failed and restarted"))
	case *actor.Stopped:
		// Whatever is still awaited ended with the client, and requests
		// still queued are dropped: answer their callers. (Its
		// executors, its children, have stopped by now.)
		x.waits.stop(errors.Wrap(ErrClosed, "signalbus: the bus's remote client stopped (its bus closed)"))
	case *rconnectReq:
		x.connect(c, m)
	case *wire.SignalConnected:
		x.connected(c, m)
	case *wire.SignalEvent:
		x.event(c, m)
	case *wire.SignalAck, *wire.SignalConnect, *wire.SignalDisconnect:
		x.stats.Foreign++ // a server's messages: some peer is confused
	case *wire.SignalAudit:
		x.probed(c, m)
	case *rwake:
		if k := x.conns[m.h]; k != nil && k.phase == open {
			x.flushAck(c, k, false)
		}
	case *wire.SignalDisconnected:
		x.disconnected(c, m)
	case *rdisconnectReq:
		x.disconnect(c, m)
	case *ownerGone:
		for _, h := range actors.SortedKeys(x.conns) {
			if k := x.conns[h]; k.link.owner == m.owner {
				x.disconnect(c, &rdisconnectReq{h: h})
			}
		}
	case *actor.Terminated:
		x.terminated(c, m)
	case *clientTick:
		x.tick(c)
	case *ackTick:
		x.flushOwed(c)
	case *clientStatsReq:
		m.waiter.answer(x.snapshot(), nil)
	case *slotFailed:
		x.slotFailed(c, m)
	case *clientClose:
		for _, h := range actors.SortedKeys(x.conns) {
			k := x.conns[h]
			k.link.closed.Store(true)
			if k.phase != closing {
				x.send(c, k.server, &wire.SignalDisconnect{Epoch: x.epoch, Conn: string(h), Stream: k.stream, Reason: "bus closed"})
			}
			// A blocking Connect still waiting hears of it (nobody
			// else will answer it once the client stops).
			x.answer(c, k, errors.Wrap(ErrClosed, "signalbus: the bus closed while connecting"))
			x.forget(c, k)
		}
		c.Stop(c.Self())
	}
}

// send sends a message to a server (with the client as sender).
func (x *client) send(c actor.Context, to *actor.PID, m any) { c.Request(to, m) }

func (x *client) connect(c actor.Context, m *rconnectReq) {
	sys := actors.FromContext(c)
	k := &cconn{h: m.h, link: m.link, host: m.host, req: m.req, onLost: m.onLost,
		server: actor.NewPID(m.host.address, m.host.server), deadline: sys.Now().Add(x.bus.connectTimeout)}
	k.req.Epoch, k.req.Started = x.epoch, x.started
	k.waiter = m.waiter
	if m.target.pid == nil {
		fn, bus := m.target.fn, x.bus
		p, err := c.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
			return &executor{run: fn, bus: bus, ctx: InActor(context.Background())}
		}), "slot-"+string(m.h))
		if err != nil {
			x.bus.forgetLink(k.link)
			x.answer(c, k, errors.Wrap(err, "signalbus: cannot start a slot executor"))
			return
		}
		k.slot, k.exec = p, true
	} else {
		if m.target.slot.deadAtConnect() {
			// The actor was not running when Connect was called: the
			// connection ends at once, as when its slot stops.
			err := errors.Errorf("signalbus: connect remote %s: the slot actor %s is not running", k.req.GetType(), pidKey(m.target.pid))
			x.bus.forgetLink(k.link)
			if k.waiter != nil {
				x.answer(c, k, err)
			} else if k.onLost != nil {
				x.callOnLost(c, k, err)
			}
			return
		}
		k.slot, k.bind = m.target.pid, m.target.slot
		if x.slots[k.bind.key()]++; x.slots[k.bind.key()] == 1 {
			k.bind.watch(c)
		}
	}
	x.conns[k.h] = k
	x.watchServer(c, k)
	x.send(c, k.server, k.req)
	x.arm(c)
}

// from reports whether the message being handled comes from k's server;
// others' are counted and ignored.
func (x *client) from(c actor.Context, k *cconn) bool {
	if s := c.Sender(); s != nil && s.GetAddress() == k.server.GetAddress() && s.GetId() == k.server.GetId() {
		return true
	}
	x.stats.Foreign++
	return false
}

// answer replies to a blocking Connect, once.
func (x *client) answer(c actor.Context, k *cconn, err error) {
	if k.waiter != nil {
		k.waiter.finish(err)
		k.waiter = nil
	}
}

func (x *client) arm(c actor.Context) {
	if x.ticker == nil {
		x.ticker = actors.Every(c, x.bus.remoteRetry, &clientTick{})
	}
}

func (x *client) connected(c actor.Context, m *wire.SignalConnected) {
	if m.GetEpoch() != x.epoch {
		// The answer to a connect of another incarnation (sent before
		// this one started, and delayed): if the server accepted it, it
		// holds a stream nobody reads. (It forgets a client's record
		// with its last connection, so it cannot always refuse such a
		// connect as an older incarnation's.)
		if s := c.Sender(); s != nil && m.GetError() == "" {
			x.stats.Stale++
			x.send(c, actor.NewPID(s.GetAddress(), s.GetId()), &wire.SignalDisconnect{Epoch: m.GetEpoch(), Conn: m.GetConn(), Stream: m.GetStream(), Reason: reasonStale})
		}
		return
	}
	k := x.conns[Handle(m.GetConn())]
	if k != nil && !x.from(c, k) {
		return
	}
	if k == nil || (k.phase != connecting && m.GetError() == "" && m.GetStream() != k.stream) {
		x.stats.Stale++
		// An answer to a connect repeated after we gave the connection
		// up, or after the server lost ours: the server holds a stream
		// nobody wants.
		if s := c.Sender(); s != nil && m.GetError() == "" {
			x.send(c, actor.NewPID(s.GetAddress(), s.GetId()), &wire.SignalDisconnect{Epoch: x.epoch, Conn: m.GetConn(), Stream: m.GetStream(), Reason: reasonStale})
		}
		return
	}
	if k.phase != connecting {
		return
	}
	x.learnServer(k, m.GetServerEpoch())
	if m.GetError() != "" {
		x.lose(c, k, connectError(m))
		return
	}
	info, err := connectInfo(m)
	if err != nil {
		x.send(c, k.server, &wire.SignalDisconnect{Epoch: x.epoch, Conn: string(k.h), Reason: err.Error()})
		x.lose(c, k, err)
		return
	}
	k.info, k.phase, k.stream = info, open, m.GetStream()
	k.batch = uint64(max(1, m.GetWindow()/8))
	x.answer(c, k, nil)
}

func (x *client) event(c actor.Context, m *wire.SignalEvent) {
	k := x.conns[Handle(m.GetConn())]
	if k != nil && !x.from(c, k) {
		return
	}
	stale := k != nil && k.phase != connecting && m.GetStream() != k.stream
	if m.GetEpoch() != x.epoch || k == nil || stale {
		// Not ours (any more): the server keeps a stream nobody reads.
		x.stats.Stale++
		if s := c.Sender(); s != nil {
			x.send(c, actor.NewPID(s.GetAddress(), s.GetId()), &wire.SignalDisconnect{Epoch: m.GetEpoch(), Conn: m.GetConn(), Stream: m.GetStream(), Reason: reasonStale})
		}
		return
	}
	if k.phase != open {
		return // connecting: the server sends it again once we have its answer; closing: dropped
	}
	switch k.in.Offer(m.GetN()) {
	case Accept:
		d, err := k.host.decode(m, k.info, k.link, k.h)
		if err != nil {
			x.stats.Refused++
			actors.FromContext(c).Logger().Error("signalbus: refused an event from a remote signal", "server", pidKey(k.server), "conn", string(k.h), "err", err)
			x.send(c, k.server, &wire.SignalDisconnect{Epoch: x.epoch, Conn: string(k.h), Stream: k.stream, Reason: err.Error()})
			x.lose(c, k, err)
			return
		}
		x.stats.Delivered++
		x.deliver(c, k, d)
		x.flushAck(c, k, false)
	case Duplicate:
		x.stats.Duplicates++
		if actors.FromContext(c).Canary(CanaryRemoteDuplicate) {
			if d, err := k.host.decode(m, k.info, k.link, k.h); err == nil {
				x.deliver(c, k, d) // planted bug: a duplicate reaches the slot
			}
		}
		x.flushAck(c, k, true)
	case Gap:
		x.stats.Gaps++
	}
}

// deliver hands d to k's slot: its executor, or the actor it was bound
// to (never a newer actor of the same name).
func (x *client) deliver(c actor.Context, k *cconn, d Delivery) {
	if k.exec {
		if a, ok := d.(droppedAdder); ok && k.lost > 0 {
			a.addDropped(k.lost)
			k.lost = 0
		}
		c.Send(k.slot, d)
		return
	}
	k.bind.send(c, d)
}

// CanaryRemoteDuplicate is the planted bug that breaks exactly-once
// delivery: the client hands a duplicate event (a delivery sent again, or
// duplicated by the network) to the slot. Only a simulation run with this
// canary turns it on.
const CanaryRemoteDuplicate = "signalbus/remote-duplicate"

// flushAck sends the acknowledgement due on k (in batches of k.batch, or
// at once with force), owes the rest to the delayed-acknowledgement
// timer, and parks the link so that the slot's next acknowledgement wakes
// the client, unless all is acknowledged. The link is parked before the
// count is read again, so an acknowledgement racing with it is never
// missed.
func (x *client) flushAck(c actor.Context, k *cconn, force bool) {
	for {
		acked := k.link.acked.Load()
		recv, ack, due := k.in.Ack(acked, k.batch, force)
		if due {
			x.send(c, k.server, &wire.SignalAck{Epoch: x.epoch, Conn: string(k.h), Stream: k.stream, Received: recv, Acked: ack})
		} else if k.in.Owed(acked) {
			x.owe(c, k)
		}
		force = false
		if ack >= recv {
			return
		}
		k.link.parked.Store(true)
		if k.link.acked.Load() == acked {
			return
		}
	}
}

// ackDelay is how long an acknowledgement below the batch may wait.
const ackDelay = time.Millisecond

// owe notes that k owes an acknowledgement, arming the delayed-ack timer.
func (x *client) owe(c actor.Context, k *cconn) {
	if x.owed == nil {
		x.owed = map[Handle]bool{}
	}
	x.owed[k.h] = true
	if !x.ackArmed {
		x.ackArmed = true
		actors.After(c, ackDelay, &ackTick{})
	}
}

// flushOwed sends every acknowledgement owed.
func (x *client) flushOwed(c actor.Context) {
	x.ackArmed = false
	for _, h := range actors.SortedKeys(x.owed) {
		if k := x.conns[h]; k != nil && k.phase == open {
			acked := k.link.acked.Load()
			if recv, ack, due := k.in.Ack(acked, 1, false); due {
				x.send(c, k.server, &wire.SignalAck{Epoch: x.epoch, Conn: string(h), Stream: k.stream, Received: recv, Acked: ack})
			}
		}
	}
	clear(x.owed)
}

func (x *client) disconnected(c actor.Context, m *wire.SignalDisconnected) {
	if m.GetEpoch() != x.epoch {
		return
	}
	k := x.conns[Handle(m.GetConn())]
	if k == nil || !x.from(c, k) || (m.GetStream() != "" && m.GetStream() != k.stream) {
		return // (about another stream of the connection)
	}
	if k.phase == closing {
		x.forget(c, k)
		return
	}
	base := ErrPeerGone
	if m.GetReason() == reasonClosed {
		base = ErrClosed
	}
	x.lose(c, k, errors.Wrapf(base, "signalbus: remote %s at %s ended the connection: %s", k.req.GetType(), pidKey(k.server), m.GetReason()))
}

// disconnect starts closing k (its link is closed already, or is closed
// here) and releases its slot.
func (x *client) disconnect(c actor.Context, m *rdisconnectReq) {
	k := x.conns[m.h]
	if k == nil {
		m.waiter.finish(nil)
		return
	}
	k.link.closed.Store(true)
	if k.phase != closing {
		x.answer(c, k, errors.Wrap(ErrClosed, "signalbus: disconnected while connecting"))
		k.phase, k.tries = closing, 1
		x.send(c, k.server, &wire.SignalDisconnect{Epoch: x.epoch, Conn: string(k.h), Stream: k.stream})
		x.arm(c)
	}
	if m.waiter == nil || k.slot == nil {
		x.release(c, k)
		m.waiter.finish(nil)
		return
	}
	// Fence the slot before answering, as a local Disconnect does.
	slot, exec := k.slot, k.exec
	x.releaseWatch(c, k)
	fenceSlot(c, slot, k.h, x.bus.fenceTimeout, func() {
		if exec {
			c.Poison(slot)
		}
	}, m.waiter)
}

// release stops k's executor or stops watching its actor slot.
func (x *client) release(c actor.Context, k *cconn) {
	if k.exec && k.slot != nil {
		c.Poison(k.slot)
	}
	x.releaseWatch(c, k)
}

func (x *client) releaseWatch(c actor.Context, k *cconn) {
	if k.slot == nil {
		return
	}
	if !k.exec {
		key := k.bind.key()
		if x.slots[key]--; x.slots[key] <= 0 {
			delete(x.slots, key)
			k.bind.unwatch(c)
		}
	}
	k.slot = nil
}

// forget drops k from the client's tables.
func (x *client) forget(c actor.Context, k *cconn) {
	x.release(c, k)
	delete(x.conns, k.h)
	x.unwatchServer(c, k)
}

// lose ends k without its user asking: the link closes, the handle is
// forgotten, and the user hears of it (a blocking Connect's answer, or
// OnLost).
func (x *client) lose(c actor.Context, k *cconn, err error) {
	x.stats.Lost++
	x.bus.forgetLink(k.link)
	x.forget(c, k)
	if k.waiter != nil {
		x.answer(c, k, err)
		return
	}
	actors.FromContext(c).Logger().Warn("signalbus: lost a remote connection", "conn", string(k.h), "signal", k.req.GetType(), "err", err)
	if k.onLost != nil {
		x.callOnLost(c, k, err)
	}
}

// callOnLost runs a connection's OnLost, recovering a panic (counted with
// the func slots' panics).
func (x *client) callOnLost(c actor.Context, k *cconn, err error) {
	defer func() {
		if r := recover(); r != nil {
			x.bus.slotPanics.Add(1)
			actors.FromContext(c).Logger().Error("signalbus: OnLost panicked", "conn", string(k.h), "panic", fmt.Sprint(r))
		}
	}()
	k.onLost(k.h, err)
}

func (x *client) tick(c actor.Context) {
	x.ticks++
	now := actors.FromContext(c).Now()
	audit := map[string][]*cconn{}
	for _, h := range actors.SortedKeys(x.conns) {
		k := x.conns[h]
		switch k.phase {
		case connecting:
			if !now.Before(k.deadline) {
				x.lose(c, k, errors.Wrapf(actors.ErrTimeout, "signalbus: connect remote %s at %s: no answer in %v", k.req.GetType(), pidKey(k.server), x.bus.connectTimeout))
				x.abandon(c, k)
				continue
			}
			x.send(c, k.server, k.req)
		case closing:
			if k.tries++; k.tries > closeTries {
				x.forget(c, k)
				continue
			}
			x.send(c, k.server, &wire.SignalDisconnect{Epoch: x.epoch, Conn: string(h), Stream: k.stream})
		case open:
			audit[pidKey(k.server)] = append(audit[pidKey(k.server)], k)
		}
	}
	x.checkTick(c)
	if x.ticks%auditEvery == 0 {
		for _, key := range actors.SortedKeys(audit) {
			ks := audit[key]
			m := &wire.SignalAudit{Epoch: x.epoch}
			for _, k := range ks {
				m.Conns, m.Streams = append(m.Conns, string(k.h)), append(m.Streams, k.stream)
			}
			x.send(c, ks[0].server, m)
		}
	}
	if len(x.conns) == 0 && x.ticker != nil {
		x.ticker.Stop()
		x.ticker = nil
	}
}

// abandon keeps k, given up while connecting (and lost already), as a
// closing connection: the server may have accepted it with its answers
// lost, so it is told, again until it confirms, as for a Disconnect.
func (x *client) abandon(c actor.Context, k *cconn) {
	k.phase, k.tries, k.waiter = closing, 1, nil
	x.conns[k.h] = k
	x.watchServer(c, k)
	x.send(c, k.server, &wire.SignalDisconnect{Epoch: x.epoch, Conn: string(k.h), Stream: k.stream, Reason: "connect timed out"})
}

func (x *client) snapshot() *ClientStats {
	st := x.stats
	st.Epoch = x.epoch
	for _, h := range actors.SortedKeys(x.conns) {
		switch x.conns[h].phase {
		case connecting:
			st.Connecting++
		case open:
			st.Open++
		case closing:
			st.Closing++
		}
	}
	return &st
}
