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
//
// It is the same value in every incarnation of the signal's actor: a
// restart after a failure (a panic) keeps the connections, their queues,
// the throttle and the order, and repairs what the failure may have left
// behind (see restarted), so that no connection is lost to it.
type sigActor[T any] struct {
	sig      *Signal[T]
	core     *Core
	refs     map[*Conn]*slotRef[T] // the shell's side of each connection it holds (in the core, or being fenced)
	execs    map[*actor.PID]bool   // executors (ours to stop)
	watched  map[any]int           // actor slots watched (slotBinding.key) → connections
	names    map[string]int        // actor slots' names (PID ids) → connections, to skip other Terminateds
	flushes  []*flushWait          // Flushes waiting for queued deliveries
	stopping bool

	// What a restart needs to know.
	started   int                  // incarnations started
	busy      bool                 // handling a message (a failure then interrupted it)
	applying  []Effect             // effects being carried out (by apply)
	applied   int                  // how many of applying were
	deadlines map[string]time.Time // throttle key → when its period ends
	lost      *lostConnects        // connect requests a failure may have lost, being checked
	nextCheck uint64
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
		sig:       s,
		core:      NewCore(s.info.Throttle != nil),
		refs:      map[*Conn]*slotRef[T]{},
		execs:     map[*actor.PID]bool{},
		watched:   map[any]int{},
		names:     map[string]int{},
		deadlines: map[string]time.Time{},
	}
}

func (a *sigActor[T]) Receive(c actor.Context) {
	switch c.Message().(type) {
	case *actor.Started:
		if a.started++; a.started > 1 {
			a.restarted(c)
		}
		return
	case *actor.Restarting:
		a.restarting()
		return
	}
	a.busy = true
	a.handle(c)
	if len(a.flushes) > 0 {
		a.checkFlushes(c)
	}
	// Handled in full: nothing of it is left for a restart to repair.
	a.busy, a.applying = false, nil
	a.core.out = a.core.out[:0]
}

func (a *sigActor[T]) handle(c actor.Context) {
	switch m := c.Message().(type) {
	case *emission[T]:
		seq := a.core.Seq()
		effects := a.core.Emit(&m.item)
		if a.lost != nil && a.core.Seq() != seq {
			a.lost.count(&m.item)
		}
		a.apply(c, effects)
	case *wake:
		a.apply(c, a.core.Wake(m.h))
	case *throttleTick:
		delete(a.deadlines, m.key)
		it, seq := a.core.throttledItem(m.key), a.core.Seq()
		effects := a.core.Tick(m.key)
		if a.lost != nil && it != nil && a.core.Seq() != seq {
			a.lost.count(it)
		}
		a.apply(c, effects)
	case *connectReq:
		a.connect(c, m, 0)
	case *disconnectReq:
		a.disconnect(c, m)
	case *ownerGone:
		a.apply(c, a.core.RemoveOwner(m.owner))
	case *actor.Terminated:
		a.terminated(c, m.Who)
	case *Flush:
		a.flush(c, m.ID)
	case *lostCheck:
		a.checkLost(c, m.id)
	case *slotFailed:
		a.slotFailed(c, m)
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
		if !a.sig.closed.Swap(true) {
			// Not its bus: its supervisor gave up on it (it failed
			// too often). It is closed as if its bus had been, so
			// that nobody emits or connects in vain, and its
			// connections end (a Disconnect of one then fails with
			// ErrUnknownHandle).
			actors.FromContext(c).Logger().Error("signalbus: a signal's actor stopped after failing; the signal is closed", "signal", a.sig.info.Name)
			for _, k := range a.core.Conns() {
				a.sig.bus.forgetLink(k.Link)
			}
		}
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
}

// terminated ends the connections of an actor slot that stopped: those
// bound to the actor who named, if it is no longer the one registered
// under that name (not those of a newer actor that took the name since).
// Their connections end in the bus's tables too (nobody disconnects
// them).
func (a *sigActor[T]) terminated(c actor.Context, who *actor.PID) {
	if who == nil || a.names[who.GetId()] == 0 {
		return // (an executor of ours, say)
	}
	as := c.ActorSystem()
	effects := a.core.RemoveIf(func(k *Conn) bool {
		ref := k.Target.(*slotRef[T])
		return !ref.exec && ref.slot.named(who) && ref.slot.gone(as)
	})
	for i := range effects {
		if effects[i].Kind == Removed {
			a.sig.bus.forgetLink(effects[i].Conn.Link)
		}
	}
	a.apply(c, effects)
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
	as := c.ActorSystem()
	for _, k := range a.core.Conns() {
		if ref := k.Target.(*slotRef[T]); !ref.exec && k.HoldsUpTo(w.seq) && ref.slot.is(as, to) {
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

// connect makes the connection m asks for; missed counts the matching
// events it should have had already (its request was lost in a failure:
// see checkLost).
func (a *sigActor[T]) connect(c actor.Context, m *connectReq, missed uint64) {
	link := m.spec.Link
	if link.pending != m {
		return // made already (a check found it lost, and then it came)
	}
	link.pending = nil
	if link.closed.Load() {
		return // disconnected (or its session closed) before it got here
	}
	spec := m.spec
	ref := &slotRef[T]{slot: m.target.slot, fn: m.target.fn, exec: m.target.pid == nil}
	ref.pid = ref.slot.pid
	if ref.exec {
		if !a.spawnExecutor(c, ref, spec.Handle) {
			a.sig.bus.forgetLink(link) // the connection is not made: not open either
			return
		}
	} else if ref.slot.deadAtConnect() {
		// The actor was not running when Connect was called: the
		// connection ends at once, as when its slot stops.
		a.sig.bus.forgetLink(link)
		return
	}
	ref.ring = make([]Event[T], max(1, spec.Window))
	for i := range ref.ring {
		ref.ring[i].link = link
		if !m.dflt {
			ref.ring[i].Tag = spec.Handle
		}
		ref.ring[i].done = 1 // free
	}
	spec.Target = ref
	k := a.core.Connect(spec)
	if missed > 0 {
		a.core.missed(k, missed)
	}
	a.refs[k] = ref
	if !ref.exec {
		if key := ref.slot.key(); a.watched[key] == 0 {
			ref.slot.watch(c)
		}
		a.watched[ref.slot.key()]++
		a.names[ref.pid.GetId()]++
	}
}

// slotFailed handles a message an executor lost in a failure (see
// slotSupervisor): a lost Fence is answered; a lost delivery counts as
// dropped on its connection, whose window space comes back. One of an
// earlier incarnation was counted by the restart (restarted).
func (a *sigActor[T]) slotFailed(c actor.Context, m *slotFailed) {
	if m.gen != a.started {
		answerLostFence(c, m) // a Fence is answered whatever the incarnation
		return
	}
	link, dropped, ok := forfeitLost(c, m)
	if !ok {
		return
	}
	if k := a.core.Find(link.handle); k != nil && k.Link == link {
		a.core.forfeit(k, 1)
		k.dropped += dropped // counted already, but not told: the next event tells
		a.apply(c, a.core.Wake(k.Handle))
	}
}

// spawnExecutor starts the serial executor of a func slot's connection.
func (a *sigActor[T]) spawnExecutor(c actor.Context, ref *slotRef[T], h Handle) bool {
	fn, bus := ref.fn, a.sig.bus
	p, err := c.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
		return &executor{run: fn, bus: bus, ctx: InActor(context.Background())}
	}), "slot-"+string(h))
	if err != nil {
		actors.FromContext(c).Logger().Error("signalbus: cannot start a slot executor", "signal", a.sig.info.Name, "err", err)
		return false
	}
	ref.pid = p
	a.execs[p] = true
	return true
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
	ref := k.Target.(*slotRef[T])
	effects := a.core.Remove(m.h)
	if m.waiter == nil {
		a.apply(c, effects)
		return
	}
	// Fence the slot before answering: once it answers, no delivery of
	// this connection is running, and none will (the link is closed).
	pid := ref.pid
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
	k.Link.closed.Store(true)
	ref := a.refs[k]
	if ref == nil {
		return // released already
	}
	delete(a.refs, k)
	if ref.exec {
		if stop && a.execs[ref.pid] {
			delete(a.execs, ref.pid)
			c.Poison(ref.pid)
		}
		return
	}
	key := ref.slot.key()
	if a.watched[key]--; a.watched[key] <= 0 {
		delete(a.watched, key)
		ref.slot.unwatch(c)
	}
	name := ref.pid.GetId()
	if a.names[name]--; a.names[name] <= 0 {
		delete(a.names, name)
	}
}

func (a *sigActor[T]) apply(c actor.Context, effects []Effect) {
	info := a.sig.info
	a.applying = effects
	for i := range effects {
		a.applied = i
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
			if ref.exec {
				c.Send(ref.pid, ev)
			} else {
				ref.slot.send(c, ev)
			}
		case ArmTimer:
			a.deadlines[e.Key] = actors.FromContext(c).Now().Add(info.Throttle.Period)
			actors.After(c, info.Throttle.Period, &throttleTick{key: e.Key})
		case Removed:
			a.release(c, e.Conn, true)
		}
	}
	// Carried out: a failure later in the message must not take them
	// for unsent (restarting).
	a.applying = nil
	a.core.out = a.core.out[:0]
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
	pid  *actor.PID  // the actor slot, or our executor
	slot slotBinding // the actor slot (not an executor)
	exec bool        // pid is our executor of fn
	fn   func(ctx context.Context, d Delivery)
	ring []Event[T] // at least one
	next int        // where the search for an acknowledged Event starts
}

// tag returns the Tag of k's events (none on a default connection).
func (r *slotRef[T]) tag(k *Conn) Handle {
	if k.Link.dflt {
		return ""
	}
	return k.Handle
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
