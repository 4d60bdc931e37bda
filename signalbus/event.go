package signalbus

import (
	"context"
	"sync/atomic"
	"time"
)

// Handle identifies one explicit connection. Handles are opaque strings,
// unique for the bus's lifetime and never reused; every event delivered
// through an explicit connection carries its handle as Tag.
type Handle string

// Header is what an emission carries besides its value; it is shared by
// every connection the emission reaches (read-only once fanned out).
type Header struct {
	Signal *SignalInfo // the signal it was emitted on
	Seq    uint64      // the signal's order: every connection sees increasing Seq
	Time   time.Time   // when it was emitted (not when delivered), on the bus clock
	Args   []string    // accessor argument values, in Signal.Args order
}

// Arg returns the value of accessor argument name, and whether the signal
// has such an argument.
func (h *Header) Arg(name string) (string, bool) {
	for i, a := range h.Signal.Args {
		if a.Name == name && i < len(h.Args) {
			return h.Args[i], true
		}
	}
	return "", false
}

// Emission is one emitted value with its header, shared by every
// connection it reaches.
type Emission[T any] struct {
	Header
	Value T
}

// Event is one event delivered to a slot through one connection: the
// shared emission (its fields are promoted: ev.Value, ev.Time, ev.Seq,
// ev.Args) and what is particular to the connection. Actor slots receive
// *Event[T] messages.
//
// An Event is valid until it is acknowledged (Done): the connection
// reuses it for a later delivery then, and only then, whatever the order
// in which the slot acknowledges its deliveries. A func slot's event is
// valid during the call; an actor slot behind SlotMiddleware's, until its
// Receive returns. Copy what you keep (the value, or *ev).
type Event[T any] struct {
	*Emission[T]
	Tag Handle // the connection's handle; empty on default connections
	// Dropped counts the events this connection lost to its overflow
	// policy since its previous delivery: the next event delivered
	// carries them. With DropOldest they were emitted just before this
	// one; with DropNewest they were the newest when lost, so they may
	// have been emitted after this one (it was already queued).
	Dropped uint64
	link    *Link
	// done is 1 once the delivery is acknowledged: set by the slot's
	// Done, read by the signal actor, which reuses the Event only then
	// (slotRef.event). A plain word used through sync/atomic, so that an
	// Event can still be copied.
	done uint32
}

// AnyEvent is an event without its type parameter (what sessions and the
// QMP endpoint handle).
type AnyEvent interface {
	Head() *Header
	// Data returns the emitted value.
	Data() any
	// EventTag returns the connection's handle (empty: a default connection).
	EventTag() Handle
	// EventDropped returns how many events the connection lost to its
	// overflow policy since its previous delivery (see Event.Dropped).
	EventDropped() uint64
}

// Head returns the emission's header.
func (e *Event[T]) Head() *Header { return &e.Emission.Header }

// Data returns the emitted value.
func (e *Event[T]) Data() any { return e.Value }

// EventTag returns e.Tag.
func (e *Event[T]) EventTag() Handle { return e.Tag }

// EventDropped returns e.Dropped.
func (e *Event[T]) EventDropped() uint64 { return e.Dropped }

// Live reports whether the event's connection is still open.
func (e *Event[T]) Live() bool { return e.link == nil || !e.link.closed.Load() }

// Done acknowledges the delivery. Call it exactly once per delivery;
// further calls before the event is reused do nothing.
func (e *Event[T]) Done() {
	if !atomic.CompareAndSwapUint32(&e.done, 0, 1) {
		return
	}
	if e.link != nil {
		e.link.ack()
	}
}

// AnyEvent returns e.
func (e *Event[T]) AnyEvent() AnyEvent { return e }

// slotKey marks a context.Context as belonging to code that runs inside an
// actor (a func slot, or an actor that wrapped its context with InActor):
// calls made with it never block.
type slotKey struct{}

// InActor returns a context for calls made from inside an actor's Receive
// (an actor slot disconnecting itself, for instance): Disconnect and
// Session.Close made with it do not wait for the slot fence, because
// waiting inside an actor would stall it. The barrier still holds: the
// connection is closed before the call returns, and the delivery being
// handled by the caller is the last one.
func InActor(parent context.Context) context.Context {
	if parent == nil {
		parent = context.Background()
	}
	return context.WithValue(parent, slotKey{}, true)
}

func inActor(ctx context.Context) bool {
	if ctx == nil {
		return false
	}
	v, _ := ctx.Value(slotKey{}).(bool)
	return v
}
