package actors

import (
	"fmt"

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

	timers    map[uint64]*Timer
	nextTimer uint64

	asks    map[uint64]*pendingAsk
	nextAsk uint64

	idle *idleTimeout
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
	switch m := c.Message().(type) {
	case *timerFired:
		if t := st.fire(m); t != nil {
			a.inner.Receive(rewritten{c, t.envelope()})
		}
		return
	case *askExpired:
		st.expireAsk(m)
		return
	case *idleCheck:
		if st.checkIdle(m) {
			a.inner.Receive(rewritten{c, idleEnvelope})
		}
		return
	case *actor.Started:
		if st.self == nil {
			st.self = c.Self()
			c.Set(st)
		}
	case *actor.Restarting:
		st.reset(true)
	case *actor.Stopped:
		st.reset(false)
	default:
		if st.idle != nil {
			st.touch(m)
		}
	}
	a.inner.Receive(c)
}

// rewritten is the context an actor sees for a message actorio delivers
// in place of its own (a timer's message, IdleTimeout).
type rewritten struct {
	actor.Context
	env *actor.MessageEnvelope
}

// Message returns the delivered message.
func (r rewritten) Message() any { return r.env.Message }

// Sender returns the delivered message's sender (none for timers).
func (r rewritten) Sender() *actor.PID { return r.env.Sender }

// MessageHeader returns the delivered message's header.
func (r rewritten) MessageHeader() actor.ReadonlyMessageHeader {
	if r.env.Header == nil {
		return actor.EmptyMessageHeader
	}
	return r.env.Header
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
