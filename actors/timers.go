package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Timer is a message scheduled for an actor by After or Every. It belongs
// to that actor: stop it only from the actor's own Receive.
type Timer struct {
	st     *actorState
	id     uint64
	msg    any
	period time.Duration // 0 for a one-shot timer
	due    time.Time
	handle Stopper
	fired  *timerFired            // the message the clock sends, reused
	env    *actor.MessageEnvelope // msg as the actor receives it (see redeliver), reused
	active bool
}

// timerFired is what the clock sends to the actor; its stateActor turns it
// into the timer's message, unless the timer was stopped meanwhile.
type timerFired struct {
	id, gen uint64
}

func (*timerFired) actorioInternal() {}

// After delivers msg to the calling actor once, d from now on the system
// clock, as if sent to it with no sender: the actor sees msg as its
// current message in every respect (Message, Sender, Forward, Stash,
// ReenterAfter). Stopping the returned Timer before then guarantees msg
// is not delivered, even if the clock already fired. Timers end with the
// actor and are dropped when it restarts.
func After(ctx actor.Context, d time.Duration, msg any) *Timer {
	return stateOf(ctx).startTimer(d, 0, msg)
}

// Every delivers msg to the calling actor every period, the first time
// one period from now. If the actor falls behind, ticks are not
// accumulated: the next one comes as soon as possible, then the rhythm
// resumes. A period ≤ 0 is treated as one nanosecond.
func Every(ctx actor.Context, period time.Duration, msg any) *Timer {
	if period <= 0 {
		period = time.Nanosecond
	}
	return stateOf(ctx).startTimer(period, period, msg)
}

func (st *actorState) startTimer(d, period time.Duration, msg any) *Timer {
	if d < 0 {
		d = 0
	}
	if st.timers == nil {
		st.timers = map[uint64]*Timer{}
	}
	st.nextTimer++
	t := &Timer{
		st:     st,
		id:     st.nextTimer,
		msg:    msg,
		period: period,
		due:    st.sys.clock.Now().Add(d),
		fired:  &timerFired{id: st.nextTimer, gen: st.gen},
		env:    &actor.MessageEnvelope{Message: msg},
		active: true,
	}
	st.timers[t.id] = t
	t.arm(d)
	return t
}

func (t *Timer) arm(d time.Duration) {
	sys, self, fired := t.st.sys, t.st.self, t.fired
	t.handle = sys.clock.AfterFunc(d, func() { sys.rawRoot.Send(self, fired) })
}

// fire handles a timerFired message and returns the timer whose message
// is due, or nil if the timer was stopped or belongs to a past incarnation.
func (st *actorState) fire(m *timerFired) *Timer {
	t := st.timers[m.id]
	if t == nil || m.gen != st.gen || !t.active {
		return nil
	}
	if t.period == 0 {
		t.active = false
		delete(st.timers, t.id)
		return t
	}
	now := st.sys.clock.Now()
	t.due = t.due.Add(t.period)
	if t.due.Before(now) {
		t.due = now
	}
	t.arm(t.due.Sub(now))
	return t
}

// Stop cancels the timer and reports whether it was still active. After
// Stop returns, the timer's message is never delivered.
func (t *Timer) Stop() bool {
	if t == nil || !t.active {
		return false
	}
	t.cancel()
	delete(t.st.timers, t.id)
	return true
}

// Active reports whether the timer may still deliver its message.
func (t *Timer) Active() bool { return t != nil && t.active }

func (t *Timer) cancel() {
	t.active = false
	if t.handle != nil {
		t.handle.Stop()
	}
}
