package signalbus

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// sigActor is the shell around a signal's Core: it feeds the core the
// emissions, acknowledgements, timer ticks and table changes it receives,
// and carries out the effects (sending deliveries, arming timers, fencing
// and stopping slots).
type sigActor[T any] struct {
	sig      *Signal[T]
	core     *Core
	slots    map[*Conn]*actor.PID // executor or actor slot of each connection
	execs    map[*actor.PID]bool  // executors (ours to stop)
	watched  map[string]int       // actor slots watched → connections
	byPID    map[string]*actor.PID
	flushes  []*flushWait // Flushes waiting for queued deliveries
	stopping bool
}

type throttleTick struct{ key string }

// Flush asks a signal actor for a Flushed reply. Sent with ctx.Request
// by an actor that is the slot of some of the signal's connections (a
// session's ActorSink), the reply reaches it after every delivery on
// those connections of the emissions that reached the signal before the
// Flush, those that had to wait in a connection's queue for window space
// included (the reply waits until the slot's acknowledgements have let
// them out, or the overflow policy dropped them, or the connection was
// removed). Emissions a throttle holds back are not waited for: they go
// out when their period ends. A signal that is stopping (its bus closed)
// answers at once, as nothing more is delivered; one that has stopped
// does not answer (a Flush sent after the signal's bus was closed
// becomes a dead letter, or is dropped), so do not wait for a closed
// signal: a signal is closed before it stops. This is what the QMP
// endpoint uses to write a command's events before its return.
type Flush struct {
	ID uint64 // echoed in the Flushed
}

// Flushed answers Flush.
type Flushed struct {
	ID uint64 // the Flush's
}

// StatsRequest asks a signal actor for its statistics (a *SignalStats
// reply); use Stats.
type StatsRequest struct {
	waiter *waiter // Stats's (else the reply goes to the sender)
}

// SignalStats is a snapshot of a signal's counters.
type SignalStats struct {
	Core  CoreStats
	Conns map[Handle]ConnStats
}

func newSignalActor[T any](s *Signal[T]) *sigActor[T] {
	return &sigActor[T]{
		sig:     s,
		core:    NewCore(s.info.Throttle != nil),
		slots:   map[*Conn]*actor.PID{},
		execs:   map[*actor.PID]bool{},
		watched: map[string]int{},
		byPID:   map[string]*actor.PID{},
	}
}

func (a *sigActor[T]) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *emission[T]:
		a.apply(c, a.core.Emit(&m.item))
	case *wake:
		a.apply(c, a.core.Wake(m.h))
	case *throttleTick:
		a.apply(c, a.core.Tick(m.key))
	case *connectReq:
		a.connect(c, m)
	case *disconnectReq:
		a.disconnect(c, m)
	case *ownerGone:
		a.apply(c, a.core.RemoveOwner(m.owner))
	case *actor.Terminated:
		if a.byPID[m.Who.String()] != nil {
			effects := a.core.RemoveIf(func(k *Conn) bool {
				ref, _ := k.Target.(*slotRef[T])
				return ref != nil && ref.pid.Equal(m.Who) && !a.execs[ref.pid]
			})
			// The slot stopped: its connections end, in the bus's tables
			// too (nobody disconnects them).
			for i := range effects {
				if effects[i].Kind == Removed {
					a.sig.bus.forgetLink(effects[i].Conn.Link)
				}
			}
			a.apply(c, effects)
		}
	case *Flush:
		a.flush(c, m.ID)
	case *actor.Stopping:
		a.stopping = true
		for _, w := range a.flushes {
			c.Send(w.to, &Flushed{ID: w.id}) // nothing more will be delivered
		}
		a.flushes = nil
	case *actor.Stopped:
		// The fences still awaited ended with the actor, and requests
		// still queued are dropped: answer their Disconnects. (Its
		// executors, its children, have stopped by now.)
		a.sig.waits.stop(errors.Wrap(ErrClosed, "the signal stopped (its bus closed)"))
	case *actor.Restarting:
		// Its fences' Asks are dropped: their Disconnects hear of it.
		a.sig.waits.failAll(errors.New("the signal actor failed and restarted"))
	case *StatsRequest:
		st := &SignalStats{Core: a.core.Stats, Conns: map[Handle]ConnStats{}}
		for _, k := range a.core.Conns() {
			st.Conns[k.Handle] = k.Total
		}
		if m.waiter != nil {
			m.waiter.answer(st, nil)
		} else {
			c.Respond(st)
		}
	}
	if len(a.flushes) > 0 {
		a.checkFlushes(c)
	}
}

// flushWait is a Flush waiting until conns (the sender's connections) no
// longer queue an emission fanned out at or before seq.
type flushWait struct {
	to    *actor.PID
	id    uint64
	seq   uint64
	conns []*Conn
}

// flush answers a Flush at once, or once the sender's connections have
// handed out (or dropped) what they queue of the emissions so far.
func (a *sigActor[T]) flush(c actor.Context, id uint64) {
	to := c.Sender()
	if to == nil {
		return
	}
	w := &flushWait{to: to, id: id, seq: a.core.Seq()}
	for _, k := range a.core.Conns() {
		if pid := a.slots[k]; pid != nil && pid.Equal(to) && k.HoldsUpTo(w.seq) {
			w.conns = append(w.conns, k)
		}
	}
	if len(w.conns) == 0 || a.stopping {
		c.Send(to, &Flushed{ID: id})
		return
	}
	a.flushes = append(a.flushes, w)
}

// checkFlushes answers the waiting Flushes whose connections have let out
// everything they waited for. It runs after the deliveries a message
// caused were sent, so each Flushed reaches its sender behind them.
func (a *sigActor[T]) checkFlushes(c actor.Context) {
	kept := a.flushes[:0]
	for _, w := range a.flushes {
		if w.pending() {
			kept = append(kept, w)
			continue
		}
		c.Send(w.to, &Flushed{ID: w.id})
	}
	clear(a.flushes[len(kept):])
	a.flushes = kept
}

func (w *flushWait) pending() bool {
	for _, k := range w.conns {
		if k.HoldsUpTo(w.seq) {
			return true
		}
	}
	return false
}

func (a *sigActor[T]) connect(c actor.Context, m *connectReq) {
	if m.spec.Link.closed.Load() {
		return // disconnected (or its session closed) before it got here
	}
	pid := m.target.pid
	if pid == nil {
		fn := m.target.fn
		bus := a.sig.bus
		p, err := c.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
			return &executor{run: fn, bus: bus, ctx: InActor(context.Background())}
		}), "slot-"+string(m.spec.Handle))
		if err != nil {
			actors.FromContext(c).Logger().Error("signalbus: cannot start a slot executor", "signal", a.sig.info.Name, "err", err)
			a.sig.bus.forgetLink(m.spec.Link) // the connection is not made: not open either
			return
		}
		pid = p
		a.execs[pid] = true
	} else {
		key := pid.String()
		if a.watched[key] == 0 {
			c.Watch(pid)
			a.byPID[key] = pid
		}
		a.watched[key]++
	}
	spec := m.spec
	ref := &slotRef[T]{pid: pid, ring: make([]Event[T], max(1, spec.Window))}
	for i := range ref.ring {
		ref.ring[i].link = spec.Link
		if !m.dflt {
			ref.ring[i].Tag = spec.Handle
		}
		ref.ring[i].done = 1 // free
	}
	spec.Target = ref
	k := a.core.Connect(spec)
	a.slots[k] = pid
}

func (a *sigActor[T]) disconnect(c actor.Context, m *disconnectReq) {
	k := a.core.Find(m.h)
	if m.count != nil {
		n := 0
		if k != nil {
			n = k.Queued()
		}
		c.Send(m.count, &queueDiscarded{h: m.h, n: n})
	}
	if k == nil {
		m.waiter.finish(nil)
		return
	}
	pid := a.slots[k]
	effects := a.core.Remove(m.h)
	if m.waiter == nil {
		a.apply(c, effects)
		return
	}
	// Fence the slot before answering: once it answers, no delivery of
	// this connection is running, and none will (the link is closed).
	a.release(c, k, false)
	fenceSlot(c, pid, m.h, a.sig.bus.fenceTimeout, func() {
		if a.execs[pid] {
			delete(a.execs, pid)
			c.Poison(pid)
		}
	}, m.waiter)
}

// fenceSlot sends slot a Fence for connection h and, once the slot has
// answered (or is gone, or timeout passed), runs after (which stops an
// executor) and answers w (a waiting Disconnect). If the actor asking
// stops first, the Ask ends with it: the actor answers its waiters then
// (waits.stop).
func fenceSlot(c actor.Context, slot *actor.PID, h Handle, timeout time.Duration, after func(), w *waiter) {
	actors.Ask(c, slot, &Fence{Handle: h}, timeout, func(_ any, err error) {
		after()
		var out error
		if err != nil && !errors.Is(err, actors.ErrNoActor) {
			out = errors.Wrapf(err, "slot %v did not finish its delivery", slot)
		}
		w.finish(out)
	})
}

// release forgets a removed connection's slot; an executor is stopped
// unless stop is false (a fence will stop it).
func (a *sigActor[T]) release(c actor.Context, k *Conn, stop bool) {
	pid := a.slots[k]
	delete(a.slots, k)
	k.Link.closed.Store(true)
	if pid == nil {
		return
	}
	if a.execs[pid] {
		if stop {
			delete(a.execs, pid)
			c.Poison(pid)
		}
		return
	}
	key := pid.String()
	if a.watched[key]--; a.watched[key] <= 0 {
		delete(a.watched, key)
		delete(a.byPID, key)
		c.Unwatch(pid)
	}
}

func (a *sigActor[T]) apply(c actor.Context, effects []Effect) {
	info := a.sig.info
	for i := range effects {
		e := &effects[i]
		switch e.Kind {
		case Deliver:
			em := e.Item.Payload.(*emission[T])
			if em.Seq == 0 {
				em.Seq = e.Item.Seq // set once, before the first delivery leaves
			}
			ref := e.Conn.Target.(*slotRef[T])
			ev := ref.event()
			ev.Emission, ev.Dropped = &em.Emission, e.Dropped
			atomic.StoreUint32(&ev.done, 0)
			c.Send(ref.pid, ev)
		case ArmTimer:
			actors.After(c, info.Throttle.Period, &throttleTick{key: e.Key})
		case Removed:
			a.release(c, e.Conn, true)
		}
	}
}

// Stats asks the signal actor for its counters (ErrClosed once the
// signal has stopped, its bus closed).
func (s *signalBase) Stats(ctx context.Context) (*SignalStats, error) {
	reply, err := s.waits.ask(ctx, s.sys, func(w *waiter) any { return &StatsRequest{waiter: w} }, s.send)
	if err != nil {
		return nil, errors.Wrapf(err, "signalbus: stats of %s", s.info.Name)
	}
	st, ok := reply.(*SignalStats)
	if !ok {
		return nil, errors.Errorf("signalbus: stats of %s: got %T", s.info.Name, reply)
	}
	return st, nil
}

// slotRef is a connection's target: its slot and the ring of Events its
// deliveries reuse (one allocation per connection, none per delivery).
type slotRef[T any] struct {
	pid  *actor.PID
	ring []Event[T] // at least one
	next int        // where the search for an acknowledged Event starts
}

// event returns an Event no delivery in flight uses: the first one from
// next on that its slot acknowledged. The core hands out a delivery only
// while fewer than Window are unacknowledged by count, and Done marks its
// Event before it counts, so there is one; a slot that acknowledges in
// order finds it at next at once. An Event is taken again only after its
// own Done, also when the slot acknowledges out of order (a QMP session
// holds a large event's acknowledgement until it is written, not a small
// one's behind it).
func (r *slotRef[T]) event() *Event[T] {
	for range r.ring {
		ev := &r.ring[r.next]
		if r.next++; r.next == len(r.ring) {
			r.next = 0
		}
		if atomic.LoadUint32(&ev.done) == 1 {
			return ev
		}
	}
	// Not reached while the counts hold; never reuse an Event in flight.
	return &Event[T]{link: r.ring[0].link, Tag: r.ring[0].Tag}
}

// executor is a func slot's serial executor: one actor per connection.
type executor struct {
	run func(ctx context.Context, d Delivery)
	bus *Bus
	ctx context.Context
}

func (x *executor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case Delivery:
		if m.Live() {
			x.call(c, m)
		}
		m.Done()
	case *Fence:
		c.Respond(&fenced{})
	}
}

func (x *executor) call(c actor.Context, d Delivery) {
	defer func() {
		if r := recover(); r != nil {
			x.bus.slotPanics.Add(1)
			actors.FromContext(c).Logger().Error("signalbus: slot panicked", "signal", d.AnyEvent().Head().Signal.Name, "panic", fmt.Sprint(r))
		}
	}()
	x.run(x.ctx, d)
}
