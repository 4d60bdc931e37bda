package sim_test

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/actorio/actorio/props"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if seed := os.Getenv("SIM_CHILD_SEED"); seed != "" {
		// Child mode for TestFingerprintAcrossProcesses.
		s, err := strconv.ParseUint(seed, 10, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		out := sim.RunScenario(props.Pingpong(props.DefaultPingpong), s)
		fmt.Printf("fingerprint=%016x err=%v\n", out.Fingerprint, out.Err)
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

var pingpong = props.Pingpong(props.DefaultPingpong)

// TestSameSeedSameFingerprint: a seed always gives the same fingerprint,
// steps and virtual time.
func TestSameSeedSameFingerprint(t *testing.T) {
	for _, seed := range []uint64{1, 2, 42, 1 << 40} {
		a := sim.RunScenario(pingpong, seed)
		b := sim.RunScenario(pingpong, seed)
		if a.Err != nil {
			t.Fatal(a.Err)
		}
		if a.Fingerprint != b.Fingerprint || a.Steps != b.Steps || a.VirtualTime != b.VirtualTime {
			t.Fatalf("seed %d: %016x/%d/%v then %016x/%d/%v", seed, a.Fingerprint, a.Steps, a.VirtualTime, b.Fingerprint, b.Steps, b.VirtualTime)
		}
	}
}

// TestFingerprintAcrossProcesses: another OS process (this test binary,
// re-executed, with its own address-space layout) computes the same
// fingerprint for the same seed.
func TestFingerprintAcrossProcesses(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range []uint64{3, 77} {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("SIM_CHILD_SEED=%d", seed), "GOMAXPROCS=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		here := sim.RunScenario(pingpong, seed)
		want := fmt.Sprintf("fingerprint=%016x err=<nil>", here.Fingerprint)
		if got := strings.TrimSpace(string(out)); got != want {
			t.Fatalf("seed %d: child printed %q, this process computed %q", seed, got, want)
		}
	}
}

// TestSeedsExploreInterleavings: 100 seeds of pingpong give at least 95
// distinct fingerprints, and every seed passes its invariants.
func TestSeedsExploreInterleavings(t *testing.T) {
	distinct := map[uint64]bool{}
	for seed := uint64(1); seed <= 100; seed++ {
		out := sim.RunScenario(pingpong, seed)
		if out.Err != nil {
			t.Fatal(out.Err)
		}
		distinct[out.Fingerprint] = true
	}
	if len(distinct) < 95 {
		t.Fatalf("100 seeds gave %d distinct fingerprints, want ≥ 95", len(distinct))
	}
}

// TestGoroutineCountUnchanged: a simulated run starts no goroutine.
func TestGoroutineCountUnchanged(t *testing.T) {
	sim.RunScenario(pingpong, 1) // warm up one-time initialisation
	// Let goroutines of earlier tests (child processes, planted escapes)
	// finish first, so that only this test's count is measured.
	if err := goleak.Find(); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	for seed := uint64(1); seed <= 20; seed++ {
		if out := sim.RunScenario(pingpong, seed); out.Err != nil {
			t.Fatal(out.Err)
		}
	}
	if after := runtime.NumGoroutine(); after != before {
		t.Fatalf("goroutines: %d before, %d after", before, after)
	}
}

// nondeterministic is a scenario with a planted determinism bug: its
// second run in a process sends one extra message.
var runs int

var nondeterministic = sim.Scenario{
	Name: "nondeterministic",
	Run: func(w *sim.World) error {
		s, err := w.Node("n")
		if err != nil {
			return err
		}
		runs++
		extra := runs%2 == 0
		pid, err := s.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
		if err != nil {
			return err
		}
		for i := 0; i < 5; i++ {
			s.Send(pid, i)
		}
		if extra {
			s.Send(pid, "extra")
		}
		_, err = w.Run()
		return err
	},
}

// TestCheckDeterminismFindsDivergence: the double-run check reports the
// first diverging event of a planted bug, with both versions.
func TestCheckDeterminismFindsDivergence(t *testing.T) {
	if _, div := sim.CheckDeterminism(pingpong, 5); div != nil {
		t.Fatalf("pingpong diverged: %v", div)
	}
	runs = 0
	_, div := sim.CheckDeterminism(nondeterministic, 5)
	if div == nil {
		t.Fatal("planted nondeterminism not found")
	}
	msg := div.Error()
	if div.Second == nil || !strings.Contains(msg, "seed 5 is not deterministic") || !strings.Contains(msg, "step") {
		t.Fatalf("divergence report lacks detail: %v", msg)
	}
	if div.First != nil && div.First.Hash == div.Second.Hash {
		t.Fatalf("reported events do not differ: %v", msg)
	}
}
