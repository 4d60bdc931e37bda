package sim

import (
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// Scenario is a named workload together with its checkers: Run builds
// nodes and actors in the World, runs it, and returns an error if an
// invariant broke. A Scenario must be deterministic given the World: all
// its randomness comes from World.Rand or the actors' System.Rand.
type Scenario struct {
	Name        string
	Description string
	Run         func(w *World) error
	// Options are World options the scenario needs (for example a loose
	// inter-node transport for a simulation-only workload); they apply
	// before the runner's own.
	Options []Option
}

// Outcome is the result of one seed of a scenario.
type Outcome struct {
	Scenario    string
	Seed        uint64
	Fingerprint uint64
	Steps       int64
	Events      int64 // events hashed into the fingerprint
	Deliveries  int64
	VirtualTime time.Duration
	Profile     Profile
	Plan        Plan // the faults the run injected
	Err         error
	Trace       []Event // when run WithRecording
}

// Failed reports whether the seed failed.
func (o Outcome) Failed() bool { return o.Err != nil }

// RunScenario runs one seed of sc in a fresh World and closes it. A panic
// in the scenario, an escape from the simulation or a failure to close
// the nodes fails the seed like a broken invariant.
func RunScenario(sc Scenario, seed uint64, opts ...Option) (out Outcome) {
	w := New(seed, append(append([]Option(nil), sc.Options...), opts...)...)
	out = Outcome{Scenario: sc.Name, Seed: seed, Profile: w.Profile()}
	defer func() {
		if r := recover(); r != nil {
			out.Err = errors.Errorf("scenario %s panicked: %v\n%s", sc.Name, r, debug.Stack())
		}
		out.Fingerprint = w.Fingerprint()
		out.Steps = w.Steps()
		out.Events = w.EventCount()
		out.Deliveries = w.Deliveries()
		out.VirtualTime = w.Now()
		out.Trace = w.Events()
		out.Plan = w.Plan()
	}()
	err := sc.Run(w)
	if cerr := w.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if werr := w.Err(); err == nil && werr != nil {
		err = werr
	}
	if err != nil {
		out.Err = errors.Wrapf(err, "scenario %s seed %d", sc.Name, seed)
	}
	return out
}

// Divergence describes the first difference between two runs of a seed:
// in their events, or, with the same events, in their outcomes (one
// passed and the other failed, or they failed differently).
type Divergence struct {
	Seed   uint64
	Index  int    // index of the first differing event; -1 if only the outcomes differ
	First  *Event // that event in the first run (nil if it ended before)
	Second *Event // that event in the second run (nil if it ended before)
	// FirstErr and SecondErr are the two runs' outcomes (nil: passed).
	FirstErr, SecondErr error
}

// Error implements error: it says what failed.
func (d *Divergence) Error() string {
	show := func(e *Event) string {
		if e == nil {
			return "(run ended)"
		}
		return e.String()
	}
	outcome := func(err error) string {
		if err == nil {
			return "passed"
		}
		return "failed: " + err.Error()
	}
	if d.Index < 0 {
		return fmt.Sprintf("seed %d is not deterministic: the same events, but a different outcome\n  first:  %s\n  second: %s",
			d.Seed, outcome(d.FirstErr), outcome(d.SecondErr))
	}
	step, at := int64(0), time.Duration(0)
	if e := firstNonNil(d.First, d.Second); e != nil {
		step, at = e.Step, e.Time
	}
	s := fmt.Sprintf("seed %d is not deterministic: event %d (step %d, virtual time %v) differs\n  first:  %s\n  second: %s",
		d.Seed, d.Index, step, at, show(d.First), show(d.Second))
	if !sameOutcome(d.FirstErr, d.SecondErr) {
		s += fmt.Sprintf("\n  first run %s\n  second run %s", outcome(d.FirstErr), outcome(d.SecondErr))
	}
	return s
}

func firstNonNil(a, b *Event) *Event {
	if a != nil {
		return a
	}
	return b
}

// sameOutcome reports whether two runs' errors tell the same outcome:
// both passed, or both failed with the same first line (a panic's stack
// trace, which follows it, varies between runs: goroutine ids,
// addresses).
func sameOutcome(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return firstLine(a.Error()) == firstLine(b.Error())
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// CheckDeterminism runs seed of sc twice with recording and returns the
// first outcome, and a *Divergence if the two runs differ: in an event,
// in the fingerprint, or in their outcome (one passed and the other
// failed, or they failed differently), any of which means the seed does
// not reproduce.
func CheckDeterminism(sc Scenario, seed uint64, opts ...Option) (Outcome, *Divergence) {
	opts = append(opts, WithRecording())
	a := RunScenario(sc, seed, opts...)
	b := RunScenario(sc, seed, opts...)
	i := FirstDivergence(a.Trace, b.Trace)
	same := sameOutcome(a.Err, b.Err)
	if i < 0 && a.Fingerprint == b.Fingerprint && same {
		return a, nil
	}
	d := &Divergence{Seed: seed, Index: i, FirstErr: a.Err, SecondErr: b.Err}
	if i < 0 {
		if a.Fingerprint == b.Fingerprint {
			return a, d // only the outcomes differ
		}
		// Same events but different fingerprints: something hashed after
		// the last event differs.
		d.Index = len(a.Trace)
	}
	if d.Index < len(a.Trace) {
		d.First = &a.Trace[d.Index]
	}
	if d.Index < len(b.Trace) {
		d.Second = &b.Trace[d.Index]
	}
	return a, d
}
