package signalbus

import (
	"context"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// Link is the state a connection shares between its signal actor and its
// slot: how many deliveries the slot acknowledged (credit), whether the
// signal waits for an acknowledgement to drain its queue, and whether the
// connection is closed. Closing is synchronous (Disconnect sets the flag
// before it returns), which is what makes Disconnect a barrier: a slot
// never runs for a delivery of a closed link.
type Link struct {
	handle Handle
	owner  uint64
	sig    *signalBase // the local signal (nil for a remote connection)
	host   connHost    // where the connection lives: sig, or a remote signal's client
	dflt   bool        // a default connection: its events carry no tag (set before it is registered)
	// pending is the request that makes the connection on a local
	// signal until the signal's actor has handled it (it is nil then).
	// Set before the link is registered; read and cleared by that actor
	// only.
	pending *connectReq
	closed  atomic.Bool
	parked  atomic.Bool
	_       [64]byte      // the slot writes acked: keep it off the line the signal reads
	acked   atomic.Uint64 // written by the slot (and by its signal for deliveries that never reached it: Core.Forfeit)
	_       [56]byte
}

// NewLink returns a link for tests of the core; the signal actors make
// their own.
func NewLink(h Handle) *Link { return &Link{handle: h} }

// Ack acknowledges one delivery (used by tests of the core).
func (l *Link) Ack() { l.ack() }

// Closed reports whether the connection was disconnected.
func (l *Link) Closed() bool { return l.closed.Load() }

func (l *Link) ack() {
	l.acked.Add(1)
	if l.parked.Load() && l.parked.CompareAndSwap(true, false) && l.host != nil {
		l.host.wake(l.handle)
	}
}

// connHost is where a connection lives: a local signal (its actor), or
// the client of a remote signal (see remote.go).
type connHost interface {
	// wake tells the host that connection h's slot acknowledged a
	// delivery while the host was waiting for one.
	wake(h Handle)
	// remove ends connection h, whose link is already closed; outside
	// the actors it waits for the slot fence.
	remove(ctx context.Context, h Handle) error
}

// wake tells a signal actor that connection h has window space again.
type wake struct{ h Handle }

// Delivery is what every delivered event implements, whatever its type:
// slots that are actors see *Event[T] values, which are Deliveries. An
// actor slot spawned with SlotMiddleware needs none of this; an actor that
// handles deliveries itself (as the QMP session does, acknowledging once
// the event is written) must skip deliveries that are not Live and call
// Done exactly once for each delivery it receives.
type Delivery interface {
	// Live reports whether the connection is still open: a delivery of a
	// closed connection must not reach the slot.
	Live() bool
	// Done acknowledges the delivery, giving the connection its window
	// space back (and the delivery's Event, which the connection reuses).
	// Call it exactly once per delivery, after the last use of the event;
	// deliveries may be acknowledged in any order.
	Done()
	// AnyEvent returns the event without its type parameter.
	AnyEvent() AnyEvent
}

// Fence is sent to a slot when its connection is removed by a blocking
// Disconnect: a slot that handles deliveries itself must Respond to it
// (with anything) once no delivery of that connection is running.
// SlotMiddleware does this.
type Fence struct{ Handle Handle }

// SlotMiddleware is the receiver middleware that makes an actor a slot:
// it drops deliveries of closed connections, acknowledges each delivery
// once the actor's Receive has returned, and answers Fences. Spawn actor
// slots with it (or with SlotProps):
//
//	props := actor.PropsFromProducer(newMySlot, actor.WithReceiverMiddleware(signalbus.SlotMiddleware))
func SlotMiddleware(next actor.ReceiverFunc) actor.ReceiverFunc {
	return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
		switch m := env.Message.(type) {
		case Delivery:
			if !m.Live() {
				m.Done()
				return
			}
			defer m.Done()
			next(c, env)
		case *Fence:
			if ctx, ok := c.(actor.SenderContext); ok && env.Sender != nil {
				ctx.Send(env.Sender, &fenced{})
			}
		default:
			next(c, env)
		}
	}
}

// SlotProps returns props for an actor slot: producer's actor behind the
// same rules as SlotMiddleware, applied by a wrapper actor rather than a
// middleware (protoactor allocates an envelope per message for a
// middleware chain, which was most of a delivery's cost).
func SlotProps(producer actor.Producer) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return &slotActor{inner: producer()} })
}

// slotActor is SlotMiddleware as an actor around the slot's own.
type slotActor struct{ inner actor.Actor }

// Receive implements actor.Actor.
func (a *slotActor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case Delivery:
		if !m.Live() {
			m.Done()
			return
		}
		defer m.Done()
		a.inner.Receive(c)
	case *Fence:
		if s := c.Sender(); s != nil {
			c.Send(s, &fenced{})
		}
	default:
		a.inner.Receive(c)
	}
}

type fenced struct{}

// CanaryDeliverAfterDisconnect is the planted bug that breaks the
// Disconnect barrier: Disconnect returns without closing the connection's
// link, which the signal actor only closes once it gets the request, so a
// delivery already queued for the slot meanwhile still reaches it. Only a
// simulation run with this canary turns it on (see actors'
// System.Canary).
const CanaryDeliverAfterDisconnect = "signalbus/deliver-after-disconnect"
