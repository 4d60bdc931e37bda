package props

import (
	"context"
	"strings"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
)

// TestSignalScenarioSimulated: every seed holds the invariants.
func TestSignalScenarioSimulated(t *testing.T) {
	sc := Signal(DefaultSignal)
	for seed := uint64(1); seed <= 40; seed++ {
		if out := sim.RunScenario(sc, seed); out.Err != nil {
			t.Fatalf("seed %d: %v", seed, out.Err)
		}
	}
}

// TestSignalScenarioDeterministic: invariant 30, same seed, same run.
func TestSignalScenarioDeterministic(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		if out, d := sim.CheckDeterminism(Signal(DefaultSignal), seed); d != nil || out.Err != nil {
			t.Fatalf("seed %d: %v %v", seed, d, out.Err)
		}
	}
}

// TestCheckSignalCanFail: the checker rejects broken reports.
func TestCheckSignalCanFail(t *testing.T) {
	good := func() *SignalReport {
		var rep *SignalReport
		out := sim.RunScenario(sim.Scenario{Name: "capture", Run: func(w *sim.World) error {
			var err error
			rep, err = RunSignal(context.Background(), w.MustNode("n"), DefaultSignal)
			return err
		}}, 5)
		if out.Err != nil {
			t.Fatal(out.Err)
		}
		if err := CheckSignal(DefaultSignal, rep); err != nil {
			t.Fatalf("good report rejected: %v", err)
		}
		return rep
	}
	// first finds a connection with at least two deliveries.
	first := func(rep *SignalReport, explicit bool) (string, *Recorder) {
		for _, k := range actors.SortedKeys(rep.Conns) {
			c := rep.Conns[k]
			rec := rep.Recorders[c.Session]
			if len(rec.Got[k]) >= 2 && explicit == !strings.HasPrefix(k, "s") {
				return k, rec
			}
		}
		t.Fatal("no connection with two deliveries")
		return "", nil
	}
	breaks := map[string]func(*SignalReport){
		"I3": func(r *SignalReport) { k, rec := first(r, true); rec.Got[k][0].Tag = "c0" },
		"I4": func(r *SignalReport) { k, rec := first(r, false); rec.Got[k][1] = rec.Got[k][0] },
		"I10": func(r *SignalReport) {
			k, rec := first(r, false)
			rec.Got[k][0], rec.Got[k][1] = rec.Got[k][1], rec.Got[k][0]
		},
		"I17": func(r *SignalReport) {
			for _, k := range actors.SortedKeys(r.Conns) {
				if c := r.Conns[k]; c.Open && !c.Held && strings.HasPrefix(k, "s") {
					rec := r.Recorders[c.Session]
					rec.Got[k] = rec.Got[k][:len(rec.Got[k])-1]
					return
				}
			}
		},
	}
	for _, name := range []string{"I3", "I4", "I10", "I17"} {
		rep := good()
		breaks[name](rep)
		err := CheckSignal(DefaultSignal, rep)
		if err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("%s not detected: %v", name, err)
		}
	}
}
