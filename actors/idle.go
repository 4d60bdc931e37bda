package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// IdleTimeout is delivered to an actor that received no message for the
// duration set with SetIdleTimeout. It comes again after each further idle
// period until the timeout is cleared.
type IdleTimeout struct{}

var idleEnvelope = &actor.MessageEnvelope{Message: &IdleTimeout{}}

type idleTimeout struct {
	d      time.Duration
	last   time.Time // when the last counting message arrived
	handle Stopper
	check  *idleCheck
}

type idleCheck struct {
	gen   uint64 // incarnation
	epoch uint64 // which SetIdleTimeout call
}

func (*idleCheck) actorioInternal() {}

// SetIdleTimeout makes the calling actor receive *IdleTimeout after d with
// no incoming message; d ≤ 0 clears it. It replaces protoactor's
// SetReceiveTimeout, which runs on a wall-clock timer goroutine. Messages
// that implement actor.NotInfluenceReceiveTimeout, and actorio's own timer
// messages, do not count as activity.
//
// The timer is not re-armed on every message: the actor's clock is read
// when a message arrives, and the check re-arms itself for the rest of the
// period, so a busy actor pays one clock read per message.
func SetIdleTimeout(ctx actor.Context, d time.Duration) {
	st := stateOf(ctx)
	var epoch uint64
	if st.idle != nil {
		epoch = st.idle.check.epoch + 1
		st.idle.stop()
		st.idle = nil
	}
	if d <= 0 {
		return
	}
	st.idle = &idleTimeout{d: d, last: st.sys.clock.Now(), check: &idleCheck{gen: st.gen, epoch: epoch}}
	st.armIdle(d)
}

func (st *actorState) armIdle(d time.Duration) {
	sys, self, check := st.sys, st.self, st.idle.check
	st.idle.handle = sys.clock.AfterFunc(d, func() { sys.rawRoot.Send(self, check) })
}

// touch records activity for the idle timeout.
func (st *actorState) touch(msg any) {
	switch msg.(type) {
	case actor.NotInfluenceReceiveTimeout, *actor.Stopping:
		return
	}
	st.idle.last = st.sys.clock.Now()
}

// checkIdle handles the idle timer firing and reports whether the actor
// has been idle for the whole period.
func (st *actorState) checkIdle(m *idleCheck) bool {
	it := st.idle
	if it == nil || it.check != m {
		return false // cleared or replaced since
	}
	idleFor := st.sys.clock.Now().Sub(it.last)
	if idleFor >= it.d {
		it.last = st.sys.clock.Now()
		st.armIdle(it.d)
		return true
	}
	st.armIdle(it.d - idleFor)
	return false
}

func (it *idleTimeout) stop() {
	if it.handle != nil {
		it.handle.Stop()
	}
}
