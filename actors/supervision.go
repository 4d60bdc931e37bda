package actors

import (
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

const defaultRestartWindow = 10 * time.Second

// OneForOne returns a supervisor strategy that decides for each failing
// child on its own, like protoactor's NewOneForOneStrategy, but counts
// restarts on clock instead of the wall clock, so that it behaves the same
// in a simulation. A child that needs more than maxRestarts restarts within
// window is stopped instead; window 0 counts restarts forever. A nil
// decider always restarts.
func OneForOne(clock Clock, maxRestarts int, window time.Duration, decider actor.DeciderFunc) actor.SupervisorStrategy {
	if decider == nil {
		decider = actor.DefaultDecider
	}
	return &oneForOne{
		clock:       clock,
		maxRestarts: maxRestarts,
		window:      window,
		decider:     decider,
		history:     &restartHistory{byChild: map[string]*restarts{}},
	}
}

type oneForOne struct {
	clock       Clock
	maxRestarts int
	window      time.Duration
	decider     actor.DeciderFunc
	guardian    bool // supervises top-level actors: cannot escalate
	history     *restartHistory
}

// restartHistory is shared by the guardian and children copies of one
// strategy; HandleFailure can run on many goroutines at once in a real
// system, hence the mutex. Restarts are counted per actor, not per name:
// an actor spawned under the name of one that stopped starts afresh.
type restartHistory struct {
	mu      sync.Mutex
	byChild map[string]*restarts // by the child's PID id
	sweepAt int                  // sweep stopped actors out once byChild is this large
}

// restarts are the restart times of one actor, who: the failing actor's
// own PID (a Failure carries it, the same object in every incarnation).
type restarts struct {
	who   *actor.PID
	times []time.Time
}

// minSweep is the smallest history that is swept for stopped actors.
const minSweep = 64

func (o *oneForOne) asGuardian() *oneForOne { c := *o; c.guardian = true; return &c }
func (o *oneForOne) asChildren() *oneForOne { c := *o; c.guardian = false; return &c }

// HandleFailure implements actor.SupervisorStrategy.
func (o *oneForOne) HandleFailure(as *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, _ *actor.RestartStatistics, reason, message any) {
	directive := o.decider(reason)
	if directive == actor.EscalateDirective && o.guardian {
		directive = actor.StopDirective
	}
	if directive == actor.RestartDirective && o.exhausted(as, child) {
		directive = actor.StopDirective
	}
	as.EventStream.Publish(&actor.SupervisorEvent{Child: child, Reason: reason, Directive: directive})
	switch directive {
	case actor.ResumeDirective:
		sup.ResumeChildren(child)
	case actor.RestartDirective:
		sup.RestartChildren(child)
	case actor.StopDirective:
		o.history.forget(child)
		sup.StopChildren(child)
	case actor.EscalateDirective:
		sup.EscalateFailure(reason, message)
	}
}

// exhausted records a restart of child now and reports whether it exceeds
// the budget.
func (o *oneForOne) exhausted(as *actor.ActorSystem, child *actor.PID) bool {
	if o.maxRestarts <= 0 {
		return true
	}
	now := o.clock.Now()
	h := o.history
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.byChild[child.Id]
	if r == nil || r.who != child {
		// First restart of this actor (an earlier actor of its name,
		// if any, has stopped: its restarts are not this one's).
		r = &restarts{who: child}
		h.byChild[child.Id] = r
		h.sweepLocked(as)
	}
	kept := r.times[:0]
	for _, t := range r.times {
		if o.window == 0 || now.Sub(t) < o.window {
			kept = append(kept, t)
		}
	}
	kept = append(kept, now)
	if len(kept) > o.maxRestarts {
		delete(h.byChild, child.Id)
		return true
	}
	r.times = kept
	return false
}

// sweepLocked forgets the actors that have stopped since they last
// restarted (an actor that stops for any other reason than its
// supervisor's decision is never forgotten otherwise). It runs when the
// history has doubled since the last sweep, so its cost per restart is
// constant.
func (h *restartHistory) sweepLocked(as *actor.ActorSystem) {
	if len(h.byChild) < max(h.sweepAt, minSweep) {
		return
	}
	for id, r := range h.byChild { //detguard:unordered deletes only
		if _, alive := as.ProcessRegistry.Get(r.who); !alive {
			delete(h.byChild, id)
		}
	}
	h.sweepAt = 2 * len(h.byChild)
}

// forget drops child's restarts, but not those of a newer actor of its
// name.
func (h *restartHistory) forget(child *actor.PID) {
	h.mu.Lock()
	if r := h.byChild[child.Id]; r != nil && r.who == child {
		delete(h.byChild, child.Id)
	}
	h.mu.Unlock()
}
