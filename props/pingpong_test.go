package props

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestPingpongSimulated: every seed holds P1–P7 with exact virtual times.
func TestPingpongSimulated(t *testing.T) {
	sc := Pingpong(DefaultPingpong)
	for seed := uint64(1); seed <= 200; seed++ {
		if out := sim.RunScenario(sc, seed); out.Err != nil {
			t.Fatal(out.Err)
		}
	}
}

// TestPingpongReal: the same actors on goroutines and the wall clock hold
// the same invariants; times are only required to be no earlier than due.
func TestPingpongReal(t *testing.T) {
	for i := 0; i < 3; i++ {
		sys := actors.New()
		rep := &PingpongReport{}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := RunPingpong(ctx, sys, DefaultPingpong, rep)
		cancel()
		if cerr := sys.Close(context.Background()); cerr != nil {
			t.Fatal(cerr)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckPingpong(DefaultPingpong, rep, false); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCheckPingpongCanFail: the checker rejects broken reports (each
// invariant once), so a passing run means something.
func TestCheckPingpongCanFail(t *testing.T) {
	cfg := DefaultPingpong
	good := func() *PingpongReport {
		rep := &PingpongReport{}
		out := sim.RunScenario(sim.Scenario{Name: "capture", Run: func(w *sim.World) error {
			return RunPingpong(context.Background(), w.MustNode("n"), cfg, rep)
		}}, 1)
		if out.Err != nil {
			t.Fatal(out.Err)
		}
		return rep
	}
	if err := CheckPingpong(cfg, good(), true); err != nil {
		t.Fatalf("good report rejected: %v", err)
	}
	breaks := map[string]func(*PingpongReport){
		"P1": func(r *PingpongReport) { r.BallsDone[0] = 2 },
		"P2": func(r *PingpongReport) { r.OrderErrors = append(r.OrderErrors, "x") },
		"P3": func(r *PingpongReport) { r.EchoReply = &echoPong{n: 1} },
		"P4": func(r *PingpongReport) { r.SinkAt++ },
		"P5": func(r *PingpongReport) { r.CrasherCount = 2 },
		"P6": func(r *PingpongReport) { r.VictimGone = 2 },
		"P7": func(r *PingpongReport) { r.Ticks = append([]time.Duration{1}, r.Ticks...) },
	}
	for _, name := range actors.SortedKeys(breaks) {
		rep := good()
		breaks[name](rep)
		err := CheckPingpong(cfg, rep, true)
		if err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("%s not detected: %v", name, err)
		}
	}
}
