package signalbus

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/wire"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// RemoteSignal is a signal of a bus on another node, seen from this bus:
// slots here connect to it as to a local signal (tags, accessor-argument
// filters, queues, sessions) and receive the events emitted there. The
// other node serves its bus with Serve. See the package doc, "Remote
// connections".
type RemoteSignal[T any] struct {
	*remoteBase
}

// remoteBase is the untyped part of a remote signal.
type remoteBase struct {
	bus     *Bus
	client  *remoteClient
	address string // the server's node
	server  string // the server actor's name
	name    string // the signal's event type name
	decode  func(m *wire.SignalEvent, info *SignalInfo, link *Link, tag Handle) (Delivery, error)
}

// RemoteRef is a remote signal without its type parameter (what
// Session.ConnectRemote takes).
type RemoteRef interface {
	// Address returns the node the signal lives on.
	Address() string
	// Name returns the signal's event type name.
	Name() string
	remote() *remoteBase
}

// RemoteOption configures a RemoteSignal.
type RemoteOption func(*remoteBase)

// AtServer names the server actor on the remote node, when it was started
// with ServeName (default ServerName).
func AtServer(name string) RemoteOption { return func(r *remoteBase) { r.server = name } }

// Remote returns the signal called name (its event type's name, as given
// to NewSignal) of the bus served on the node at address: the address that
// node advertises (node.Node.Address(), the Address of its PIDs; a
// simulated node's name), since the client takes a connection's messages
// only from that exact server. Nothing crosses the network until a slot
// connects; the server checks then that the signal exists with that type.
func Remote[T any](bus *Bus, address, name string, opts ...RemoteOption) (*RemoteSignal[T], error) {
	if address == "" || name == "" {
		return nil, errors.Errorf("signalbus: remote signal %q at %q: empty address or name", name, address)
	}
	client, err := bus.remoteClient()
	if err != nil {
		return nil, errors.Wrapf(err, "signalbus: remote signal %s at %s", name, address)
	}
	r := &remoteBase{bus: bus, client: client, address: address, server: ServerName, name: name,
		decode: func(m *wire.SignalEvent, info *SignalInfo, link *Link, tag Handle) (Delivery, error) {
			e, err := decodeEvent[T](m, info)
			if err != nil {
				return nil, err
			}
			return &Event[T]{Emission: e, Tag: tag, Dropped: m.GetDropped(), link: link}, nil
		}}
	for _, o := range opts {
		o(r)
	}
	return &RemoteSignal[T]{r}, nil
}

// Address returns the node the signal lives on.
func (r *remoteBase) Address() string { return r.address }

// Name returns the signal's event type name.
func (r *remoteBase) Name() string { return r.name }

func (r *remoteBase) remote() *remoteBase { return r }

// Connect connects slot to the remote signal and returns the connection's
// handle, issued by this bus: every event through it carries it as Tag.
// Options are those of Signal.Connect (Arg filters, evaluated on the
// signal's node; Queue, which bounds the backlog there; InSession), plus
// OnLost. A queue Connect could not make locally (a limit below 1, an
// unknown policy) or above MaxRemoteQueue is refused here, at once, with
// ErrBadArgument, from inside an actor too; the signal's node is not
// asked.
//
// Called from outside the actors, Connect waits until the signal's node
// has accepted the connection (or refused it: ErrUnknownType,
// ErrBadArgument, ErrClosed; or the bus's connect timeout passed:
// actors.ErrTimeout); the connection then sees every matching event
// emitted after that. Called from inside an actor (a func slot's ctx, or
// InActor), it returns at once, and a refusal ends the connection through
// OnLost.
func (r *RemoteSignal[T]) Connect(ctx context.Context, slot Slot[T], opts ...ConnectOption) (Handle, error) {
	if err := slot.check(); err != nil {
		return "", errors.Wrapf(err, "signalbus: connect remote %s", r.name)
	}
	return r.connect(ctx, slot.target(), opts)
}

// Disconnect ends connection h, made with this signal's Connect without a
// session. It is the same barrier as Signal.Disconnect: the connection is
// closed here before Disconnect returns, so events on their way from the
// other node are dropped when they arrive, and from outside the actors it
// also waits until a delivery the slot is handling has finished. The
// other node is told in the background (again until it confirms).
func (r *RemoteSignal[T]) Disconnect(ctx context.Context, h Handle) error {
	return r.bus.disconnect(ctx, h, 0, r.remoteBase)
}

// ConnectRemote connects the session's sink to the remote signal r, as
// Connect does for a local one (the queue is the session's; events carry
// the handle as Tag). Session.Disconnect and Close end it.
func (s *Session) ConnectRemote(ctx context.Context, r RemoteRef, opts ...ConnectOption) (Handle, error) {
	base := r.remote()
	if base.bus != s.bus {
		return "", errors.Errorf("signalbus: connect remote %s: remote signal of another bus", base.name)
	}
	all := append([]ConnectOption{Queue(s.limit, s.policy)}, opts...)
	all = append(all, InSession(s))
	return base.connect(ctx, s.sink, all)
}

// OnLost sets what a remote connection calls when it ends other than by
// Disconnect or its session's Close: the signal's node died, became
// unreachable or forgot the connection (ErrPeerGone), closed the signal
// (ErrClosed), refused the connection made from inside an actor, or sent
// an event this node cannot decode (ErrUnknownType, ErrBadEvent). f runs
// inside this bus's client actor: it must not block. Local connections
// ignore it.
func OnLost(f func(h Handle, err error)) ConnectOption {
	return func(c *connectConfig) { c.onLost = f }
}

func (r *remoteBase) connect(ctx context.Context, t target, opts []ConnectOption) (Handle, error) {
	cfg := connectConfig{limit: DefaultQueueLimit}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	// The local check first (a limit below 1, an unknown policy), so
	// that the caller learns at once, not from the server's refusal.
	if err := checkQueue(cfg.limit, cfg.policy); err != nil {
		return "", errors.Wrapf(err, "signalbus: connect remote %s", r.name)
	}
	if cfg.limit > MaxRemoteQueue {
		return "", errors.Wrapf(ErrBadArgument, "signalbus: connect remote %s: queue limit %d not in [1, %d]", r.name, cfg.limit, MaxRemoteQueue)
	}
	var owner uint64
	if cfg.session != nil {
		if cfg.session.bus != r.bus {
			return "", errors.Errorf("signalbus: connect remote %s: session of another bus", r.name)
		}
		owner = cfg.session.id
	}
	h := r.bus.newHandle("c")
	link := &Link{handle: h, owner: owner, host: r}
	if err := r.bus.register(link, false, "connect remote "+r.name); err != nil {
		return "", err
	}
	req := &wire.SignalConnect{Conn: string(h), Type: r.name, Limit: uint32(cfg.limit), Policy: uint32(cfg.policy)}
	for _, a := range cfg.args {
		req.Args = append(req.Args, &wire.SignalArg{Name: a.name, Value: a.value})
	}
	m := &rconnectReq{h: h, link: link, host: r, req: req, target: t.bind(r.bus.sys), onLost: cfg.onLost}
	if inActor(ctx) {
		r.client.send(m)
		return h, nil
	}
	_, err := r.client.waits.ask(ctx, r.bus.sys, func(w *waiter) any { m.waiter = w; return m }, r.client.send)
	if err != nil {
		// Refused or lost, the client forgot the connection already;
		// not if the wait ended first, nor if the client failed and
		// restarted with the request still queued (its new incarnation
		// makes the connection): end it then.
		if _, uerr := r.bus.unlink(h, owner, r); uerr == nil {
			r.client.send(&rdisconnectReq{h: h})
		}
		return "", errors.Wrapf(err, "signalbus: connect remote %s at %s", r.name, r.address)
	}
	return h, nil
}

// wake implements connHost.
func (r *remoteBase) wake(h Handle) { r.client.send(&rwake{h: h}) }

// remove implements connHost: the client tells the server; outside the
// actors it waits for the slot fence.
func (r *remoteBase) remove(ctx context.Context, h Handle) error {
	if inActor(ctx) {
		r.client.send(&rdisconnectReq{h: h})
		return nil
	}
	// (If the client has stopped, the connection went with it: ErrClosed.)
	_, err := r.client.waits.ask(ctx, r.bus.sys, func(w *waiter) any { return &rdisconnectReq{h: h, waiter: w} }, r.client.send)
	if err != nil {
		return errors.Wrapf(err, "signalbus: disconnect %q", string(h))
	}
	return nil
}

// remoteClient is a bus's client of remote signals: one actor for all
// its remote connections (remote_client.go).
type remoteClient struct {
	sys   *actors.System
	pid   *actor.PID
	epoch atomic.Uint64
	waits waits // blocking Connects, Disconnects and RemoteStats waiting for the client
}

func (c *remoteClient) send(m any) { c.sys.Send(c.pid, m) }

// close ends every remote connection (telling the servers) and stops the
// client.
func (c *remoteClient) close() { c.send(&clientClose{}) }

// ClientName is the name of a bus's remote client actor (the first bus of
// a system to use remote signals gets it; others' clients are unnamed).
const ClientName = "signalbus-client"

// remoteClient returns the bus's client actor, starting it on first use.
func (b *Bus) remoteClient() (*remoteClient, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	if b.client != nil {
		return b.client, nil
	}
	rc := &remoteClient{sys: b.sys}
	rc.epoch.Store(b.sys.Rand().Uint64() | 1)
	first := true
	props := actor.PropsFromProducer(func() actor.Actor {
		// A restarted client (after a failure) is a new incarnation.
		if !first {
			rc.epoch.Store(b.sys.Rand().Uint64() | 1)
		}
		first = false
		return newClient(b, rc.epoch.Load(), b.sys.Now().UnixNano(), &rc.waits)
	}, actor.WithSupervisor(slotSupervisor{})) // its children are its func slots' executors
	pid, err := b.sys.SpawnNamed(props, ClientName)
	if err != nil { // another bus of the system has the name
		pid, err = b.sys.Spawn(props)
	}
	if err != nil {
		return nil, err
	}
	rc.pid = pid
	b.client = rc
	return b.client, nil
}

// RemoteEpoch returns the incarnation number this bus's remote client
// presents to servers (ServerConnStats.Epoch, PeerLoss.Epoch), starting
// the client if needed.
func (b *Bus) RemoteEpoch() (uint64, error) {
	c, err := b.remoteClient()
	if err != nil {
		return 0, errors.Wrap(err, "signalbus: remote epoch")
	}
	return c.epoch.Load(), nil
}

// RemoteStats asks the bus's client for its counters (zero if the bus has
// no remote signal).
func (b *Bus) RemoteStats(ctx context.Context) (*ClientStats, error) {
	b.mu.Lock()
	client := b.client
	b.mu.Unlock()
	if client == nil {
		return &ClientStats{}, nil
	}
	reply, err := client.waits.ask(ctx, b.sys, func(w *waiter) any { return &clientStatsReq{waiter: w} }, client.send)
	if err != nil {
		return nil, errors.Wrap(err, "signalbus: remote stats")
	}
	st, ok := reply.(*ClientStats)
	if !ok {
		return nil, errors.Errorf("signalbus: remote stats: got %T", reply)
	}
	return st, nil
}

// WithRemoteTimeouts sets how often the bus's remote client sends again
// what was not answered (connects, disconnects; default 100ms; it audits
// its open connections every ten of these) and how long a connect may go
// unanswered before it fails (default 10s), both on the bus clock.
func WithRemoteTimeouts(retry, connect time.Duration) BusOption {
	return func(b *Bus) {
		if retry > 0 {
			b.remoteRetry = retry
		}
		if connect > 0 {
			b.connectTimeout = connect
		}
	}
}
