package signalbus

import (
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// A func slot's executor is a child of the actor that holds its
// connection (the signal's actor, or the bus's remote client). Running
// the slot's func never fails it (a panic there is recovered and
// counted), but the executor can fail all the same (the simulator's
// injected failures), losing the message it was about to handle: a
// delivery, whose window space would then never come back (the
// connection stalls once its window is full of them), or a Fence (its
// Disconnect would wait for the fence timeout). slotSupervisor is how
// those actors supervise their executors: an executor holds no state, so
// it is always restarted, and the message it lost goes back to its
// parent (slotFailed), which counts a lost delivery as dropped (the
// connection's next event says so in Dropped) and answers a lost Fence.

// slotSupervisor is the supervisor strategy of an actor whose children
// are slot executors.
type slotSupervisor struct {
	// gen returns the parent's incarnation (nil: always 0): a
	// slotFailed of an earlier incarnation is ignored, that
	// incarnation's restart having accounted for it.
	gen func() int
}

// HandleFailure implements actor.SupervisorStrategy: it runs in the
// parent, as protoactor hands a child's failure to its parent's mailbox.
func (s slotSupervisor) HandleFailure(as *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, _ *actor.RestartStatistics, reason, message any) {
	as.EventStream.Publish(&actor.SupervisorEvent{Child: child, Reason: reason, Directive: actor.RestartDirective})
	sup.RestartChildren(child)
	if c, ok := sup.(actor.Context); ok && message != nil {
		gen := 0
		if s.gen != nil {
			gen = s.gen()
		}
		c.Send(c.Self(), &slotFailed{gen: gen, msg: message})
	}
}

// slotFailed is the message an executor lost in a failure (as its
// mailbox held it: maybe in an envelope), sent to the executor's parent.
type slotFailed struct {
	gen int
	msg any
}

// answerLostFence answers a Fence an executor lost: it runs nothing now
// (it failed, and its connection's link is closed, so it never will
// again). It reports whether m was a Fence.
func answerLostFence(c actor.Context, m *slotFailed) bool {
	if _, ok := actor.UnwrapEnvelopeMessage(m.msg).(*Fence); !ok {
		return false
	}
	if to := actor.UnwrapEnvelopeSender(m.msg); to != nil {
		c.Send(to, &fenced{})
	}
	return true
}

// forfeitLost answers m if it is a lost Fence, and otherwise forfeits it
// if it is a lost delivery not done already: it returns the delivery's
// link and the drops it was to report (ok false: nothing to account for).
func forfeitLost(c actor.Context, m *slotFailed) (link *Link, dropped uint64, ok bool) {
	if answerLostFence(c, m) {
		return nil, 0, false
	}
	d, ok := actor.UnwrapEnvelopeMessage(m.msg).(lostDelivery)
	if !ok {
		return nil, 0, false
	}
	link, dropped, ok = d.forfeit()
	return link, dropped, ok && link != nil
}

// lostDelivery is what a delivery lost by an executor is asked.
type lostDelivery interface {
	// forfeit marks the delivery done without acknowledging it (its
	// parent gives the window space back itself) and returns its link
	// and the drops it was to report (lost with it); ok is false if it
	// was done already.
	forfeit() (link *Link, dropped uint64, ok bool)
}

func (e *Event[T]) forfeit() (*Link, uint64, bool) {
	return e.link, e.Dropped, atomic.CompareAndSwapUint32(&e.done, 0, 1)
}

// addDropped adds n to the events the connection lost before this one.
func (e *Event[T]) addDropped(n uint64) { e.Dropped += n }

// droppedAdder is a delivery whose Dropped count can grow (a remote
// connection's client counts the deliveries its executor lost).
type droppedAdder interface{ addDropped(n uint64) }

// slotFailed handles a message an executor lost in a failure (see
// slotSupervisor): a lost Fence is answered; a lost delivery is
// acknowledged (the server's window must not shrink for it) and counted
// as dropped, with the drops it was to report, on the connection's next
// delivery. (Connections of an earlier incarnation of the client are
// gone: nothing is found for them.)
func (x *client) slotFailed(c actor.Context, m *slotFailed) {
	link, dropped, ok := forfeitLost(c, m)
	if !ok {
		return
	}
	if k := x.conns[link.handle]; k != nil && k.link == link && k.exec {
		k.lost += 1 + dropped
		link.ack()
	}
}
