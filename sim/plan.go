package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/pkg/errors"
)

// A Plan is the list of faults a run injected, enough to replay them
// without the profile's randomness: timed faults (crash, partition, clog)
// at their virtual time, and per-opportunity faults (a dropped,
// duplicated or reordered message, an injected panic, a Buggify firing, a
// device fault) as "the N-th opportunity of Kind at Target". A World
// records its plan as it runs (World.Plan); WithPlan replays one. Shrink
// removes faults from a failing plan while the run still fails.
type Plan struct {
	// Profile is the run's profile: its fault time (the heal) and its
	// environment (latencies, device settings) still apply on replay;
	// only the fault decisions come from Faults.
	Profile Profile `json:"profile"`
	Faults  []Fault `json:"faults"`
}

// Fault is one injected fault.
type Fault struct {
	At     Duration `json:"at"`
	Kind   string   `json:"kind"`
	Target string   `json:"target,omitempty"` // node, link "a>b", actor "node/id", site, device key
	Peer   string   `json:"peer,omitempty"`   // the other node of a partition or clog
	N      int      `json:"n,omitempty"`      // per-opportunity faults: which opportunity
	For    Duration `json:"for,omitempty"`    // partition, clog, downtime
	OneWay bool     `json:"one_way,omitempty"`
}

// Timed fault kinds; every other kind is per opportunity.
const (
	FaultCrash     = "crash"
	FaultPartition = "partition"
	FaultClog      = "clog"
	FaultClogNode  = "clog-node"
)

func (f Fault) timed() bool {
	switch f.Kind {
	case FaultCrash, FaultPartition, FaultClog, FaultClogNode:
		return true
	}
	return false
}

// String returns the Fault in readable form.
func (f Fault) String() string {
	switch f.Kind {
	case FaultCrash:
		return fmt.Sprintf("@%v crash %s for %v", f.At, f.Target, f.For)
	case FaultPartition:
		kind := "symmetric"
		if f.OneWay {
			kind = "one-way"
		}
		return fmt.Sprintf("@%v partition %s %s|%s for %v", f.At, kind, f.Target, f.Peer, f.For)
	case FaultClog:
		return fmt.Sprintf("@%v clog %s>%s for %v", f.At, f.Target, f.Peer, f.For)
	case FaultClogNode:
		return fmt.Sprintf("@%v clog node %s for %v", f.At, f.Target, f.For)
	}
	return fmt.Sprintf("@%v %s %s #%d", f.At, f.Kind, f.Target, f.N)
}

// Validate checks the plan's profile (Profile.Validate) and each fault:
// a kind; a timed fault at and for non-negative times, with a target, and
// for a partition or clog a peer other than the target (only those take
// one); a per-opportunity fault with its opportunity (N ≥ 1). Its errors
// match ErrInvalid.
func (p Plan) Validate() error {
	if err := p.Profile.Validate(); err != nil {
		return err
	}
	for i, f := range p.Faults {
		var why string
		switch {
		case f.Kind == "":
			why = "has no kind"
		case f.At < 0 || f.For < 0:
			why = "has a negative time"
		case !f.timed() && f.N < 1:
			why = "has no opportunity number (n ≥ 1)"
		case f.timed() && f.Target == "":
			why = "has no target"
		case (f.Kind == FaultPartition || f.Kind == FaultClog) && (f.Peer == "" || f.Peer == f.Target):
			why = "needs a peer other than its target"
		case (f.Kind == FaultCrash || f.Kind == FaultClogNode) && f.Peer != "":
			why = "takes no peer"
		}
		if why != "" {
			return errors.Wrapf(ErrInvalid, "fault %d (%v) %s", i, f, why)
		}
	}
	return nil
}

// String returns the Plan in readable form.
func (p Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d faults, heal at %v", len(p.Faults), p.Profile.FaultTime)
	for _, f := range p.Faults {
		b.WriteString("\n  " + f.String())
	}
	return b.String()
}

// WithPlan makes the World inject exactly the faults of p, and heal at its
// profile's fault time, instead of drawing faults from the profile.
func WithPlan(p Plan) Option {
	return func(w *World) {
		w.replay = &replay{plan: p, hits: map[string]bool{}}
		for _, f := range p.Faults {
			if !f.timed() {
				w.replay.hits[opportunityKey(f.Kind, f.Target, f.N)] = true
			}
		}
		w.profile = p.Profile
	}
}

type replay struct {
	plan Plan
	hits map[string]bool // per-opportunity faults to take
}

func opportunityKey(kind, target string, n int) string {
	return fmt.Sprintf("%s|%s|%d", kind, target, n)
}

// Plan returns the faults injected so far, in order, with the heal time.
func (w *World) Plan() Plan {
	return Plan{Profile: w.profile, Faults: append([]Fault(nil), w.injected...)}
}

// faultStream returns the random stream of the latest opportunity for a
// fault of kind at target (the one Decide just took), for what that
// fault draws (its duration, its delay): a replayed or shrunk plan gets
// the same draws for the faults it keeps, and no other stream moves.
func (w *World) faultStream(kind, target string) *rand.Rand {
	return stream(w.seed, fmt.Sprintf("%s/%s/%d", kind, target, w.opportunities[kind+"|"+target]))
}

// Decide reports whether the next opportunity for a fault of kind at
// target is taken. In a profile-driven run it draws with probability p
// from a stream of (kind, target)'s own, so the faults of one target do
// not depend on the opportunities other targets had; in a replayed run it
// takes exactly the opportunities the plan lists. Once healed it takes
// none, replaying or not: a shrunk plan's run differs from the recorded
// one, and a fault it keeps may fall on an opportunity that now comes
// after the heal. Taken faults are recorded in the run's plan and traced.
// Devices call it for each operation that could fail ("file/eio",
// "/data/disk.img", 0.01).
func (w *World) Decide(kind, target string, p float64) bool {
	return w.decide(kind, target, p, false)
}

// decide is Decide for a device that may heal before the World does:
// healed stops its faults too.
func (w *World) decide(kind, target string, p float64, healed bool) bool {
	healed = healed || w.healed
	if w.opportunities == nil {
		w.opportunities = map[string]int{}
	}
	key := kind + "|" + target
	w.opportunities[key]++
	n := w.opportunities[key]
	var take bool
	if w.replay != nil {
		take = !healed && w.replay.hits[opportunityKey(kind, target, n)]
	} else {
		take = p > 0 && !healed && w.Rand("fault/"+kind+"/"+target).Float64() < p
	}
	if take {
		w.injected = append(w.injected, Fault{At: Duration(w.clock.now), Kind: kind, Target: target, N: n})
		w.Note(fmt.Sprintf("fault: %s %s #%d", kind, target, n))
	}
	return take
}

// recordTimed records a timed fault.
func (w *World) recordTimed(f Fault) {
	f.At = Duration(w.clock.now)
	w.injected = append(w.injected, f)
}

// startReplay schedules the plan's timed faults.
func (w *World) startReplay() {
	for _, f := range w.replay.plan.Faults {
		if !f.timed() {
			continue
		}
		f := f
		w.clock.afterFunc(f.At.D()-w.clock.now, nil, func() {
			if !w.healed {
				w.applyTimed(f)
			}
		})
	}
	if h := w.profile.FaultTime; h > 0 {
		w.clock.afterFunc(h.D()-w.clock.now, nil, w.Heal)
	}
}

// applyTimed injects a timed fault now, for its duration.
func (w *World) applyTimed(f Fault) {
	d := f.For.D()
	switch f.Kind {
	case FaultCrash:
		if w.Crash(f.Target) != nil {
			return // not a bootable node, or already down: nothing happens
		}
		w.recordTimed(f)
		w.clock.afterFunc(d, nil, func() {
			if !w.healed && w.Down(f.Target) {
				if err := w.Restart(f.Target); err != nil {
					w.fail(err)
				}
			}
		})
	case FaultPartition:
		if w.Partition(f.Target, f.Peer, f.OneWay) != nil {
			return
		}
		w.recordTimed(f)
		w.clock.afterFunc(d, nil, func() {
			if !w.healed {
				_ = w.Mend(f.Target, f.Peer)
			}
		})
	case FaultClog:
		if w.Clog(f.Target, f.Peer, w.clock.now+d) == nil {
			w.recordTimed(f)
		}
	case FaultClogNode:
		if w.ClogNode(f.Target, w.clock.now+d) == nil {
			w.recordTimed(f)
		}
	}
}
