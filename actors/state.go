package actors

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/ctxext"
)

// actorState is actorio's per-actor bookkeeping: the actor's timers, its
// pending asks and its idle timeout. It lives in the actor's receive
// middleware closure and, for the helpers called from Receive, in a
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

// receiveMiddleware is installed on every actor spawned through the system.
// It is called once per spawn (each spawn clones its Props), so each actor
// gets its own state.
func (s *System) receiveMiddleware(next actor.ReceiverFunc) actor.ReceiverFunc {
	st := &actorState{sys: s}
	return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
		switch m := env.Message.(type) {
		case *timerFired:
			if t := st.fire(m); t != nil {
				next(c, t.envelope())
			}
			return
		case *askExpired:
			st.expireAsk(m)
			return
		case *idleCheck:
			if st.checkIdle(m) {
				next(c, idleEnvelope)
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
				st.touch(env.Message)
			}
		}
		next(c, env)
	}
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
