package signalbus

import (
	"context"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// Slot is where a connection delivers: an actor (ActorSlot) or a Go func
// run on the connection's own serial executor (FuncSlot).
type Slot[T any] struct {
	pid *actor.PID
	fn  func(ctx context.Context, ev *Event[T])
}

// ActorSlot delivers *Event[T] messages to pid. The actor must be spawned
// with SlotMiddleware (SlotProps), or handle Delivery and Fence itself.
// The slot is the actor pid names when Connect is called: once that actor
// stops, its connections end, and nothing of them reaches a new actor
// that takes the same name (a connect made when no actor has the name
// ends at once).
func ActorSlot[T any](pid *actor.PID) Slot[T] { return Slot[T]{pid: pid} }

// FuncSlot runs f for each event, one at a time, in order, on an executor
// of the connection's own. ctx lets f call Connect, Disconnect and Emit
// without blocking; ev is valid only during the call.
func FuncSlot[T any](f func(ctx context.Context, ev *Event[T])) Slot[T] { return Slot[T]{fn: f} }

func (s Slot[T]) check() error {
	if s.pid == nil && s.fn == nil {
		return errors.New("empty slot")
	}
	return nil
}

func (s Slot[T]) target() target {
	if s.pid != nil {
		return target{pid: s.pid}
	}
	f := s.fn
	return target{fn: func(ctx context.Context, d Delivery) { f(ctx, d.(*Event[T])) }}
}

// target is an untyped slot.
type target struct {
	pid  *actor.PID
	fn   func(ctx context.Context, d Delivery)
	slot slotBinding // pid bound to its actor when Connect was called (see bind)
}

// ConnectOption configures one connection.
type ConnectOption func(*connectConfig)

type connectConfig struct {
	args    []namedArg
	limit   int
	policy  Policy
	session *Session
	onLost  func(Handle, error) // remote connections only
	// maxWindow caps the window (0: maxWindow; the server's connections
	// to local signals: maxRemoteWindow)
	maxWindow int
}

type namedArg struct{ name, value string }

// Arg filters the connection on an accessor argument: it sees only events
// emitted with that value (e.g. Arg("device", "virtio0")).
func Arg(name, value string) ConnectOption {
	return func(c *connectConfig) { c.args = append(c.args, namedArg{name, value}) }
}

// Queue bounds the connection's backlog and sets what happens beyond it.
// The default is DefaultQueueLimit with DropOldest. Connect refuses a
// limit below 1 or an unknown policy (ErrBadArgument).
//
// The backlog is the events handed to the slot and not yet acknowledged
// (the window, including the one the slot is handling; see SplitQueue)
// plus those waiting in the signal's queue behind them. Events in the
// window are the slot's and are never taken back; the policy applies to
// the signal's queue:
//
//   - DropNewest: the backlog holds at most limit events, and an event
//     that finds it full is dropped. So a stalled slot gets the first
//     limit events of a burst (Queue(1, DropNewest): the one it is
//     handling, and events emitted meanwhile are lost).
//   - DropOldest: an event that finds the backlog full takes the place of
//     the oldest one waiting in the signal's queue, so the newest event
//     is never lost, whatever the limit. The queue keeps at least one
//     place for it: the backlog holds at most max(limit, 2) events
//     (Queue(1, DropOldest): the one the slot is handling and the latest
//     emitted since, which the slot gets next).
//
// Either way the next event delivered carries the count of those lost
// (Event.Dropped).
func Queue(limit int, policy Policy) ConnectOption {
	return func(c *connectConfig) { c.limit, c.policy = limit, policy }
}

// InSession makes the connection belong to s: only s can disconnect it,
// and closing s removes it. s must have started (else the connect fails
// with ErrNotStarted).
func InSession(s *Session) ConnectOption { return func(c *connectConfig) { c.session = s } }

// DefaultQueueLimit is a connection's backlog bound unless Queue says
// otherwise.
const DefaultQueueLimit = 1024

// maxWindow caps the deliveries in flight to a slot; the rest of the
// backlog waits in the signal, where the overflow policy can pick.
const maxWindow = 64

// maxRemoteWindow caps the deliveries in flight to a remote slot: a
// network round trip is longer than a local one, so more are in flight
// at the same rate.
const maxRemoteWindow = 256

// SplitQueue says how a connection's backlog limit (Queue) is split into
// the window (deliveries handed to the slot and not yet acknowledged) and
// the queue kept in the signal, where the overflow policy applies. A
// DropOldest connection's queue is max(queue, 1) (see Queue).
func SplitQueue(limit int) (window, queue int) { return split(limit, maxWindow) }

// SplitRemoteQueue is SplitQueue for a remote connection (its window may
// be larger).
func SplitRemoteQueue(limit int) (window, queue int) { return split(limit, maxRemoteWindow) }

// checkQueue refuses a backlog bound below 1 or an unknown policy.
func checkQueue(limit int, policy Policy) error {
	if limit < 1 {
		return errors.Wrapf(ErrBadArgument, "queue limit %d (must be at least 1)", limit)
	}
	if policy != DropOldest && policy != DropNewest {
		return errors.Wrapf(ErrBadArgument, "queue policy %d (not DropOldest or DropNewest)", policy)
	}
	return nil
}

func split(limit, most int) (window, queue int) {
	if limit < 1 {
		limit = 1
	}
	if most < 1 {
		most = maxWindow
	}
	window = min(most, (limit+1)/2)
	return window, limit - window
}

// remoteWindow lets the connection use a remote connection's window (the
// server's connections).
func remoteWindow() ConnectOption { return func(c *connectConfig) { c.maxWindow = maxRemoteWindow } }

// connectReq asks the signal actor to add a connection.
type connectReq struct {
	spec   ConnSpec
	target target
	dflt   bool
}

// disconnectReq asks the signal actor to remove connection h; with
// waiter set, it answers it once the slot is fenced; with count set, it
// tells count how many events it discarded from the connection's queue.
type disconnectReq struct {
	h      Handle
	waiter *waiter
	count  *actor.PID
}

// queueDiscarded answers a disconnectReq with count: connection h's queue
// held n events when it was removed.
type queueDiscarded struct {
	h Handle
	n int
}

// ownerGone removes every connection of a closed session.
type ownerGone struct{ owner uint64 }

func (s *signalBase) connect(t target, opts []ConnectOption) (Handle, error) {
	var cfg connectConfig
	cfg.limit = DefaultQueueLimit
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if err := checkQueue(cfg.limit, cfg.policy); err != nil {
		return "", errors.Wrapf(err, "signalbus: connect %s", s.info.Name)
	}
	filter, err := s.filter(cfg.args)
	if err != nil {
		return "", err
	}
	var owner uint64
	if cfg.session != nil {
		owner = cfg.session.id
		if cfg.session.bus != s.bus {
			return "", errors.Errorf("signalbus: connect %s: session of another bus", s.info.Name)
		}
	}
	return s.bus.connect(s, t, owner, filter, cfg.limit, cfg.maxWindow, cfg.policy, false)
}

// filter resolves named accessor arguments to positional matches.
func (s *signalBase) filter(args []namedArg) ([]ArgMatch, error) {
	var out []ArgMatch
	for _, a := range args {
		idx := -1
		for i, ai := range s.info.Args {
			if ai.Name == a.name {
				idx = i
			}
		}
		if idx < 0 {
			return nil, errors.Wrapf(ErrBadArgument, "signalbus: connect %s: no accessor argument %q", s.info.Name, a.name)
		}
		for _, m := range out {
			if m.Index == idx {
				return nil, errors.Wrapf(ErrBadArgument, "signalbus: connect %s: argument %q given twice", s.info.Name, a.name)
			}
		}
		out = append(out, ArgMatch{Index: idx, Value: a.value})
	}
	return out, nil
}
