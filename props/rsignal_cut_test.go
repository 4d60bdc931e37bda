package props

import (
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/sim"
)

// TestRemoteSignalCut: the scenario cuts a subscriber off "a" itself only
// when the profile has partitions, early enough for the keepalive to end
// the connections before the heal, and the World's trace shows the cut.
func TestRemoteSignalCut(t *testing.T) {
	withParts, cuts := 0, 0
	for seed := uint64(0); seed <= 40; seed++ {
		prof := sim.Swarm(seed)
		if seed == 0 {
			prof = sim.NoFaults()
		}
		var cut *RemoteSignalCut
		sc := RemoteSignal(DefaultRemoteSignal)
		sc.Run = func(w *sim.World) error {
			rep, err := RunRemoteSignal(w, DefaultRemoteSignal)
			if err != nil {
				return err
			}
			cut = rep.Cut
			return CheckRemoteSignal(DefaultRemoteSignal, rep)
		}
		out := sim.RunScenario(sc, seed, sim.WithProfile(prof), sim.WithRecording())
		if out.Err != nil {
			t.Fatalf("seed %d (%v): %v", seed, prof, out.Err)
		}
		fits := prof.FaultTime.D() > rsKeepalive+10*time.Millisecond
		switch {
		case prof.Partitions == nil || !fits:
			if cut != nil {
				t.Errorf("seed %d (%v): cut %v", seed, prof, cut)
			}
			continue
		case cut == nil:
			t.Errorf("seed %d (%v): no cut", seed, prof)
			continue
		}
		withParts++
		if !cut.Made {
			t.Errorf("seed %d (%v): %v planned, not made", seed, prof, cut)
		}
		if cut.At+rsKeepalive >= prof.FaultTime.D() || cut.For <= rsKeepalive {
			t.Errorf("seed %d (%v): %v: the keepalive cannot end the connections before the heal", seed, prof, cut)
		}
		kind := "symmetric"
		if cut.OneWay {
			kind = "one-way"
		}
		want := "fault: partition " + kind + " a " + cut.Node
		for _, e := range out.Trace {
			if e.Time == cut.At && strings.Contains(e.String(), want) {
				cuts++
				break
			}
		}
	}
	if withParts == 0 || cuts != withParts {
		t.Errorf("%d seeds planned a cut, %d traced it", withParts, cuts)
	}
}

// TestRemoteSignalCutInPlan: the cut is a fault of the run's plan: a
// replay of the plan makes it again, a plan without it (as a shrink
// tries) makes none.
func TestRemoteSignalCutInPlan(t *testing.T) {
	seed := uint64(0)
	for s := uint64(1); seed == 0; s++ {
		if p := sim.Swarm(s); p.Partitions != nil && p.FaultTime.D() > time.Second {
			seed = s
		}
	}
	run := func(opts ...sim.Option) (*RemoteSignalCut, sim.Outcome) {
		var cut *RemoteSignalCut
		sc := RemoteSignal(DefaultRemoteSignal)
		sc.Run = func(w *sim.World) error {
			rep, err := RunRemoteSignal(w, DefaultRemoteSignal)
			if err != nil {
				return err
			}
			cut = rep.Cut
			return CheckRemoteSignal(DefaultRemoteSignal, rep)
		}
		out := sim.RunScenario(sc, seed, opts...)
		if out.Err != nil || cut == nil {
			t.Fatalf("seed %d: cut %v: %v", seed, cut, out.Err)
		}
		return cut, out
	}
	cut, out := run(sim.WithProfile(sim.Swarm(seed)))
	var without []sim.Fault
	for _, f := range out.Plan.Faults {
		if f.Kind != CutFault {
			without = append(without, f)
		}
	}
	if !cut.Made || len(without) != len(out.Plan.Faults)-1 {
		t.Fatalf("seed %d: %v made %v; plan:\n%v", seed, cut, cut.Made, out.Plan)
	}
	if again, _ := run(sim.WithPlan(out.Plan)); !again.Made || again.String() != cut.String() {
		t.Errorf("seed %d: the replayed plan made %v (made %v), the run %v", seed, again, again.Made, cut)
	}
	if none, _ := run(sim.WithPlan(sim.Plan{Profile: out.Plan.Profile, Faults: without})); none.Made {
		t.Errorf("seed %d: the plan without the cut made %v", seed, none)
	}
}
