package sim

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/pkg/errors"
)

// StopReason says why Run returned.
type StopReason uint8

// Why a run stopped.
const (
	// Quiescent: nothing runnable and no timer pending. With a time
	// limit, the clock has moved to the limit.
	Quiescent StopReason = iota + 1
	// TimeLimit: the next timer lies beyond the time limit; the clock
	// was moved to the limit.
	TimeLimit
	// StepLimit: the step limit was reached.
	StepLimit
	// Condition: the run's condition became true.
	Condition
)

// String returns the StopReason in readable form.
func (r StopReason) String() string {
	switch r {
	case Quiescent:
		return "quiescent"
	case TimeLimit:
		return "time limit"
	case StepLimit:
		return "step limit"
	case Condition:
		return "condition"
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Result describes how a Run ended.
type Result struct {
	Reason StopReason
	Steps  int64         // steps run so far in the World, all runs included
	Now    time.Duration // virtual time at the end
}

// RunOption limits a Run.
type RunOption func(*runLimits)

type runLimits struct {
	until    time.Duration
	hasUntil bool
	maxSteps int64
	cond     func() bool
}

// Until stops the run at virtual time t (since the start of the World).
func Until(t time.Duration) RunOption {
	return func(l *runLimits) { l.until, l.hasUntil = t, true }
}

// For stops the run d of virtual time from now.
func (w *World) For(d time.Duration) RunOption { return Until(w.clock.now + d) }

// MaxSteps stops the run once the World has taken n steps in all.
func MaxSteps(n int64) RunOption { return func(l *runLimits) { l.maxSteps = n } }

// UntilTrue stops the run as soon as cond returns true; cond is checked
// before every step.
func UntilTrue(cond func() bool) RunOption { return func(l *runLimits) { l.cond = cond } }

// Run runs the World until it is quiescent or a limit is reached. It
// returns an error if an actor escaped the simulation (EscapeError), if a
// panic happened outside any actor, or if Run is re-entered.
func (w *World) Run(opts ...RunOption) (Result, error) {
	var l runLimits
	for _, o := range opts {
		o(&l)
	}
	return w.run(l)
}

func (w *World) run(l runLimits) (res Result, err error) {
	if w.running {
		return w.result(0), errors.New("sim: Run or Wait called from inside the simulation (does an actor block?)")
	}
	if w.failure != nil {
		return w.result(0), w.failure
	}
	w.owner = getg()
	w.running = true
	w.startNemesis()
	defer func() {
		w.running = false
		if r := recover(); r != nil {
			w.failure = errors.Errorf("sim: panic outside any actor at step %d, virtual time %v: %v\n%s", w.steps, w.clock.now, r, debug.Stack())
			res, err = w.result(0), w.failure
		}
	}()
	for {
		if err := w.escapeErr(); err != nil {
			return w.result(0), err
		}
		if w.failure != nil {
			return w.result(0), w.failure
		}
		if l.maxSteps > 0 && w.steps >= l.maxSteps {
			return w.result(StepLimit), nil
		}
		if l.cond != nil && l.cond() {
			return w.result(Condition), nil
		}
		if when, ok := w.clock.next(); ok && when <= w.clock.now {
			w.fireTimer()
			continue
		}
		if len(w.sched.runnable) > 0 {
			w.stepOnce()
			continue
		}
		when, ok := w.clock.next()
		if !ok {
			// Idle: nothing can happen before the time limit, if any.
			if l.hasUntil && l.until > w.clock.now {
				w.clock.set(l.until)
			}
			return w.result(Quiescent), nil
		}
		if l.hasUntil && when > l.until {
			if l.until > w.clock.now {
				w.clock.set(l.until)
			}
			return w.result(TimeLimit), nil
		}
		w.clock.set(when)
	}
}

func (w *World) result(r StopReason) Result {
	return Result{Reason: r, Steps: w.steps, Now: w.clock.now}
}

func (w *World) stepOnce() {
	t, i, n := w.sched.take()
	w.steps++
	w.event(EventPick)
	w.fp.mix(uint64(n)<<32 | uint64(i))
	w.fp.mix(t.Key)
	if w.record {
		w.add(Event{Kind: EventPick, What: fmt.Sprintf("%d of %d", i, n)})
	}
	t.run()
}

func (w *World) fireTimer() {
	t := w.clock.pop()
	w.steps++
	w.event(EventTimer)
	w.fp.mix(t.seq)
	w.fp.mix(uint64(t.when))
	dead := t.owner != nil && t.owner.epoch != t.epoch
	if w.record {
		e := Event{Kind: EventTimer, What: fmt.Sprintf("timer %d", t.seq)}
		if t.owner != nil {
			e.Node = t.owner.name
		}
		if dead {
			e.What += " (its node crashed)"
		}
		w.add(e)
	}
	if !dead {
		t.f()
	}
}

// Wait implements actors.Waiter: it runs the simulation until ready yields
// a value or is closed. It fails if the World runs out of work first (the
// awaited thing can never happen: a deadlock), if an actor escaped, or if
// it is called from inside the simulation. ctx is not consulted: in a
// simulation only virtual time and the run's own limits bound a wait.
func (w *World) Wait(_ context.Context, ready <-chan struct{}) error {
	received := false
	check := func() bool {
		if received {
			return true
		}
		select {
		case <-ready:
			received = true
		default:
		}
		return received
	}
	if check() {
		return nil
	}
	res, err := w.run(runLimits{cond: check})
	if err != nil {
		return err
	}
	if res.Reason != Condition {
		return errors.Errorf("sim: deadlock: nothing left to run at step %d, virtual time %v, and the awaited reply never came", res.Steps, res.Now)
	}
	return nil
}

// Close closes every node (actors.System.Close) in the order they were
// added, running the simulation as needed, and returns the first error.
func (w *World) Close() error {
	var first error
	for _, n := range w.nodes {
		if n.down {
			continue // a crashed node's actors are gone already
		}
		if err := n.sys.Close(context.Background()); err != nil && first == nil {
			first = errors.Wrapf(err, "sim: close node %s", n.name)
		}
	}
	if first == nil {
		first = w.escapeErr()
	}
	return first
}

// Err returns the error that ended or will end the World's runs: an escape
// from a foreign goroutine or a panic outside any actor.
func (w *World) Err() error {
	if w.failure != nil {
		return w.failure
	}
	return w.escapeErr()
}
