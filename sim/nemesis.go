package sim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// WithProfile makes the World inject the faults of p (see Profile) from
// the start, and heal at p.FaultTime.
func WithProfile(p Profile) Option { return func(w *World) { w.profile = p } }

// Profile returns the run's fault profile.
func (w *World) Profile() Profile { return w.profile }

// Healed reports whether the fault phase is over.
func (w *World) Healed() bool { return w.healed }

// HealTime returns the virtual time of the heal, once healed.
func (w *World) HealTime() time.Duration { return w.healedAt }

// OnHeal registers a function the heal calls (a device stops its faults
// and mends itself there). Registered after the heal, f runs at once: a
// device made then is healed from the start.
func (w *World) OnHeal(f func()) {
	if w.healed {
		f()
		return
	}
	w.healHooks = append(w.healHooks, f)
}

// AllowPanics declares which actors the scenario lets fail: with a
// profile's Panics on, a delivery to an actor for which match(node, id)
// holds may panic instead. Only actors whose state survives a restart (or
// does not matter) should match.
func (w *World) AllowPanics(match func(node, actorID string) bool) { w.panicTarget = match }

// startNemesis arms the profile's fault processes (or, replaying a plan,
// the plan's timed faults); called once, when the first Run starts.
func (w *World) startNemesis() {
	if w.nemesisOn {
		return
	}
	w.nemesisOn = true
	p := w.profile
	w.net.faults = p.Net
	if w.replay != nil {
		w.startReplay()
		return
	}
	if f := p.Partitions; f != nil {
		w.every("partition", f.Every.D(), func(rng *rand.Rand) {
			if a, b, ok := w.randomPair(rng); ok {
				w.applyTimed(Fault{Kind: FaultPartition, Target: a, Peer: b,
					OneWay: rng.Float64() < f.OneWay, For: Duration(between(rng, f.Min.D(), f.Max.D()))})
			}
		})
	}
	if f := p.Clogs; f != nil {
		w.every("clog", f.Every.D(), func(rng *rand.Rand) {
			d := Duration(between(rng, f.Min.D(), f.Max.D()))
			if rng.Float64() < f.Node && len(w.nodes) > 1 {
				w.applyTimed(Fault{Kind: FaultClogNode, Target: w.nodes[rng.IntN(len(w.nodes))].name, For: d})
				return
			}
			if a, b, ok := w.randomPair(rng); ok {
				w.applyTimed(Fault{Kind: FaultClog, Target: a, Peer: b, For: d})
			}
		})
	}
	if f := p.Crashes; f != nil {
		w.every("crash", f.Every.D(), func(rng *rand.Rand) {
			var up []string
			for _, name := range w.Bootable() {
				if !w.Down(name) {
					up = append(up, name)
				}
			}
			if len(up) == 0 {
				return
			}
			w.applyTimed(Fault{Kind: FaultCrash, Target: up[rng.IntN(len(up))],
				For: Duration(between(rng, f.DownMin.D(), f.DownMax.D()))})
		})
	}
	if p.FaultTime > 0 {
		w.clock.afterFunc(p.FaultTime.D(), nil, w.Heal)
	}
}

// every runs fault at exponentially distributed intervals of mean mean
// until the heal. Each kind draws from its own stream.
func (w *World) every(kind string, mean time.Duration, fault func(rng *rand.Rand)) {
	rng := w.Rand("nemesis/" + kind)
	var arm func()
	arm = func() {
		d := time.Duration(rng.ExpFloat64() * float64(mean))
		w.clock.afterFunc(d, nil, func() {
			if w.healed {
				return
			}
			fault(rng)
			arm()
		})
	}
	arm()
}

func (w *World) randomPair(rng *rand.Rand) (string, string, bool) {
	if len(w.nodes) < 2 {
		return "", "", false
	}
	i := rng.IntN(len(w.nodes))
	j := rng.IntN(len(w.nodes) - 1)
	if j >= i {
		j++
	}
	return w.nodes[i].name, w.nodes[j].name, true
}

func between(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
}

// Heal ends the fault phase: no new faults, the network mends (what a
// partition or clog holds is released at once: it arrives within its
// latency of the heal, in order), crashed nodes restart, and the devices'
// heal hooks run. It is called at the profile's FaultTime, or earlier by
// a scenario, to the same effect.
func (w *World) Heal() {
	if w.healed {
		return
	}
	w.healed = true
	w.healedAt = w.clock.now
	w.Note("heal")
	w.net.faults = NetFaults{}
	w.MendAll()
	for _, name := range w.Bootable() {
		if w.Down(name) {
			if err := w.Restart(name); err != nil {
				w.fail(err)
			}
		}
	}
	for _, h := range w.healHooks {
		h()
	}
}

// releaseBy returns until, the time traffic held by a partition or clog
// may first pass, capped at the heal the profile schedules (FaultTime):
// the heal mends every partition and clog, so what they hold must pass
// then, however long they were to last. After the heal (a cut made by
// the scenario then) or without a scheduled heal, until stands; a heal
// (or mend) that comes earlier releases the traffic then (held.go).
func (w *World) releaseBy(until time.Duration) time.Duration {
	if h := w.profile.FaultTime.D(); h > 0 && !w.healed && until > h {
		return h
	}
	return until
}

// InjectedPanic is the panic value of a fault-injected actor failure.
type InjectedPanic struct {
	Node, Actor string
	Message     string // type of the message being handled
}

// Error implements error: it says what failed.
func (p *InjectedPanic) Error() string {
	return fmt.Sprintf("sim: injected panic in %s/%s handling %s", p.Node, p.Actor, p.Message)
}

// injectPanic reports whether this delivery to m fails by profile (or
// plan). Only actors the scenario allows to fail have the opportunity.
func (w *World) injectPanic(m *stepMailbox) bool {
	if w.panicTarget == nil || !w.panicTarget(m.n.name, m.id) {
		return false
	}
	rate := 0.0
	if f := w.profile.Panics; f != nil {
		rate = f.Rate
	}
	if rate == 0 && w.replay == nil {
		return false
	}
	return w.Decide("panic", m.n.name+"/"+m.id, rate)
}

// Buggify implements actors.FaultPoints: a named fault point is activated
// for the run with the profile's probability the first time it is
// reached, and then fires with the profile's probability each time.
// Activations and firings are traced. Without Buggify in the profile, or
// once healed, nothing fires.
func (w *World) Buggify(site string) bool {
	f := w.profile.Buggify
	if w.replay != nil {
		return w.Decide("buggify", site, 0)
	}
	if f == nil || w.healed {
		return false
	}
	if w.buggify == nil {
		w.buggify = map[string]bool{}
	}
	active, seen := w.buggify[site]
	if !seen {
		active = w.Rand("buggify/activate/"+site).Float64() < f.Activate
		w.buggify[site] = active
		w.Note(fmt.Sprintf("buggify %s activated=%v", site, active))
	}
	if !active {
		return false
	}
	return w.Decide("buggify", site, f.Fire)
}

// WithCanary turns on the planted bugs called names (see actors'
// System.Canary) for the World's nodes.
func WithCanary(names ...string) Option {
	return func(w *World) {
		if w.canaries == nil {
			w.canaries = map[string]bool{}
		}
		for _, n := range names {
			w.canaries[n] = true
		}
	}
}

// Canary implements actors.FaultPoints: whether planted bug name is on.
// The first use of an enabled canary is traced.
func (w *World) Canary(name string) bool {
	if !w.canaries[name] {
		return false
	}
	if !w.canaryUsed[name] {
		if w.canaryUsed == nil {
			w.canaryUsed = map[string]bool{}
		}
		w.canaryUsed[name] = true
		w.Note("canary " + name + " active")
	}
	return true
}
