package actors

import (
	"fmt"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/ctxext"
)

// actorState is actorio's per-actor bookkeeping: the actor's timers, its
// pending asks and its idle timeout. It lives in the actor's stateActor and, for the helpers called from Receive, in a
// context extension. Only the actor's own goroutine touches it.
type actorState struct {
	sys  *System
	self *actor.PID
	gen  uint64 // incarnation, bumped on restart

	// Read for every message: kept together, ahead of the rest.
	idle      *idleTimeout
	replaying bool   // redeliver is re-entering the actor
	replay    replay // what for, while replaying

	timers    map[uint64]*Timer
	nextTimer uint64

	asks    map[uint64]*pendingAsk
	nextAsk uint64

	stop    *stopNotice // for a top-level actor: told when Stopped has run
	stopped atomic.Bool // Stopped has run: user messages go to the dead letters
}

var stateExtensionID = ctxext.NextContextExtensionID()

// ExtensionID implements ctxext.ContextExtension.
func (*actorState) ExtensionID() ctxext.ContextExtensionID { return stateExtensionID }

// stateOf returns the actorio state of the actor behind ctx. An actor that
// was not spawned through a System has none; using a helper there is a
// programming error, reported by a panic that protoactor turns into a
// supervised failure of that actor.
func stateOf(ctx actor.Context) *actorState {
	if st := lookupState(ctx); st != nil {
		return st
	}
	panic(fmt.Errorf("actors: %v was not spawned through an actors.System; After, Every, Ask and SetIdleTimeout need one", ctx.Self()))
}

func lookupState(ctx actor.ExtensionContext) (st *actorState) {
	defer func() {
		// protoactor's ContextExtensions.Get does not check bounds when
		// nothing was ever Set on this context.
		if recover() != nil {
			st = nil
		}
	}()
	st, _ = ctx.Get(stateExtensionID).(*actorState)
	return st
}

// stateActor stands between protoactor and an actor spawned through the
// system: it keeps the actor's timers, asks and idle timeout, and passes
// everything else on unchanged. It replaces the actor's producer (see
// prepare) rather than being a receive middleware: protoactor wraps every
// message in a new envelope for a middleware chain, which was a fifth of
// a message's cost. The state outlives incarnations: each restart makes a
// new stateActor around a new actor, with the same state.
type stateActor struct {
	st    *actorState
	inner actor.Actor
}

// Receive implements actor.Actor.
func (a *stateActor) Receive(c actor.Context) {
	st := a.st
	if st.replaying {
		a.replayed(c)
		return
	}
	switch m := c.Message().(type) {
	case *timerFired:
		if t := st.fire(m); t != nil {
			st.redeliver(c, t.env, nil, nil)
		}
		return
	case *askExpired:
		if p := st.expireAsk(m); p != nil {
			st.redeliver(c, p.original(), p, p.fail(m.err))
		}
		return
	case *idleCheck:
		if st.checkIdle(m) {
			st.redeliver(c, idleEnvelope, nil, nil)
		}
		return
	case *actor.Started:
		if st.self == nil {
			st.self = c.Self()
			c.Set(st)
		}
	case *actor.Restarting:
		a.restarting(c)
		return
	case *actor.Stopping:
		a.receiveWhileStopping(c)
		return
	case *actor.Stopped:
		st.reset(false)
		a.receiveWhileStopping(c)
		st.reset(false) // what the Stopped handler started ends with it
		st.stopped.Store(true)
		if st.stop != nil {
			st.stop.done()
		}
		return
	default:
		if st.idle != nil {
			st.touch(m)
		}
	}
	a.inner.Receive(c)
}

// replay says what the actor's next Receive is for while stateActor hands
// it a message through its own context (see redeliver).
type replay struct {
	ask *pendingAsk // an expired Ask whose continuation runs; nil: deliver to the actor
	err error       // the error for ask's continuation
}

// redeliver hands env to the actor in place of the internal message being
// handled (a timer's firing, an Ask's deadline, an idle check), through
// protoactor's own receive path: actor.Context.Receive makes env the
// context's current message, so that everything that reads it (Message,
// Sender, MessageHeader, Respond, Forward, Stash, ReenterAfter) sees env
// and not actorio's internal message. The context re-enters Receive,
// which then either passes env on to the actor or, for an expired Ask,
// runs the Ask's continuation (see replayed). It allocates nothing
// itself.
//
// protoactor's Receive handles a *actor.PoisonPill itself, as for any
// message sent to the actor, and answers an actor.AutoRespond message
// after the actor has handled it: an expired Ask made while handling one
// is therefore never redelivered (see expireAsk).
func (st *actorState) redeliver(c actor.Context, env *actor.MessageEnvelope, ask *pendingAsk, err error) {
	st.replaying, st.replay = true, replay{ask: ask, err: err}
	c.Receive(env)
	// Normally cleared on entry already; not when protoactor handled env
	// itself (a PoisonPill).
	st.replaying, st.replay = false, replay{}
}

// replayed is Receive re-entered by redeliver. The replay is cleared
// first, so that a panic in the actor leaves nothing behind.
func (a *stateActor) replayed(c actor.Context) {
	r := a.st.replay
	a.st.replaying, a.st.replay = false, replay{}
	if r.ask != nil {
		r.ask.cont(nil, r.err)
		return
	}
	a.inner.Receive(c)
}

// restarting passes Restarting on to the incarnation that is ending. Its
// timers, asks and idle timeout are dropped before, and again after,
// whatever its handler started: all of it belongs to that incarnation,
// and must not reach the next one.
func (a *stateActor) restarting(c actor.Context) {
	a.st.reset(true)
	defer a.st.reset(false) // also if the handler fails
	a.inner.Receive(c)
}

// receiveWhileStopping passes Stopping or Stopped on to the actor. A
// failure there cannot be supervised as others are: protoactor has marked
// the actor stopping already, so a Restart would revive it (the stop
// lost) and a Stop would be ignored (it stays half-stopped, and its
// watchers and parent never hear its Terminated). The failure is recovered
// instead and the stop goes on: the actor was told to stop, and it stops.
// The failure is reported like a supervision decision to stop it, so it
// is counted in Stats and seen by the Observer.
func (a *stateActor) receiveWhileStopping(c actor.Context) {
	defer func() {
		if r := recover(); r != nil {
			c.ActorSystem().EventStream.Publish(&actor.SupervisorEvent{Child: c.Self(), Reason: r, Directive: actor.StopDirective})
		}
	}()
	a.inner.Receive(c)
}

// reset drops every timer, pending ask and idle timeout: on Stopped for
// good, on Restarting because the new incarnation starts clean (a late
// reply or tick must not reach it).
func (st *actorState) reset(restart bool) {
	for _, id := range sortedKeys(st.timers) {
		st.timers[id].cancel()
	}
	st.timers = nil
	for _, id := range sortedKeys(st.asks) {
		st.asks[id].abandon(st.sys)
	}
	st.asks = nil
	if st.idle != nil {
		st.idle.stop()
		st.idle = nil
	}
	if restart {
		st.gen++
	}
}
