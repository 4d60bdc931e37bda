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
		history:     &restartHistory{byChild: map[string][]time.Time{}},
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
// system, hence the mutex.
type restartHistory struct {
	mu      sync.Mutex
	byChild map[string][]time.Time
}

func (o *oneForOne) asGuardian() *oneForOne { c := *o; c.guardian = true; return &c }
func (o *oneForOne) asChildren() *oneForOne { c := *o; c.guardian = false; return &c }

// HandleFailure implements actor.SupervisorStrategy.
func (o *oneForOne) HandleFailure(as *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, _ *actor.RestartStatistics, reason, message any) {
	directive := o.decider(reason)
	if directive == actor.EscalateDirective && o.guardian {
		directive = actor.StopDirective
	}
	if directive == actor.RestartDirective && o.exhausted(child) {
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
func (o *oneForOne) exhausted(child *actor.PID) bool {
	if o.maxRestarts <= 0 {
		return true
	}
	now := o.clock.Now()
	h := o.history
	h.mu.Lock()
	defer h.mu.Unlock()
	kept := h.byChild[child.Id][:0]
	for _, t := range h.byChild[child.Id] {
		if o.window == 0 || now.Sub(t) < o.window {
			kept = append(kept, t)
		}
	}
	kept = append(kept, now)
	if len(kept) > o.maxRestarts {
		delete(h.byChild, child.Id)
		return true
	}
	h.byChild[child.Id] = kept
	return false
}

func (h *restartHistory) forget(child *actor.PID) {
	h.mu.Lock()
	delete(h.byChild, child.Id)
	h.mu.Unlock()
}
