package props

import (
	"regexp"
	"testing"

	"github.com/actorio/actorio/sim"
)

// TestScenariosUnderSwarm: every scenario holds its invariants and its
// liveness under 100 swarm profiles.
func TestScenariosUnderSwarm(t *testing.T) {
	for _, sc := range Scenarios() {
		for seed := uint64(1); seed <= 100; seed++ {
			if out := sim.RunScenario(sc, seed, sim.WithProfile(sim.Swarm(seed))); out.Err != nil {
				t.Fatalf("%v\nprofile: %v", out.Err, out.Profile)
			}
		}
	}
}

// canaryInvariant is the invariant each canary's bug must break.
var canaryInvariant = map[string]*regexp.Regexp{
	"reorder":                        regexp.MustCompile(`H1:`),
	"lost-ack":                       regexp.MustCompile(`K1:`),
	"retry-dup":                      regexp.MustCompile(`C1:`),
	"signal-after-disconnect":        regexp.MustCompile(`I7:`),
	"stream-window":                  regexp.MustCompile(`S30:`),
	"remote-stream-skip-gaps":        regexp.MustCompile(`RS[12]: `),
	"remote-signal-after-disconnect": regexp.MustCompile(`b\d+#\d+: signal: I7: `),
	"remote-signal-duplicate":        regexp.MustCompile(`b\d+#\d+: signal: .*I4: c\d+ got emission \d+ twice`),
	"remote-signal-stall":            regexp.MustCompile(`RS4: \[b\d+#\d+/c\d+ lacks \d+`),
	"remote-signal-uncounted":        regexp.MustCompile(`RS6: b\d+#\d+/c\d+: the server sent \d+, the slot saw \d+, but only 0 counted in flight`),
}

// TestCanariesCaught: every planted bug is caught, by the invariant it
// breaks, within a few hundred seeds under PCT.
func TestCanariesCaught(t *testing.T) {
	for _, c := range Canaries() {
		caught := false
		for seed := uint64(1); seed <= 300 && !caught; seed++ {
			out := sim.RunScenario(c.Scenario, seed, c.Options(PCTScheduler, seed)...)
			if out.Err == nil {
				continue
			}
			caught = true
			if want := canaryInvariant[c.Name]; want == nil || !want.MatchString(out.Err.Error()) {
				t.Errorf("canary %s failed, but not by %q: %v", c.Name, want, out.Err)
			}
		}
		if !caught {
			t.Errorf("canary %s not caught in 300 seeds", c.Name)
		}
	}
}

// TestPCTFindsDepth2Faster: on the depth-2 scheduling canary, PCT's median
// seeds to failure is at most 50 and below uniform random's.
func TestPCTFindsDepth2Faster(t *testing.T) {
	var reorder Canary
	for _, c := range Canaries() {
		if c.Name == "reorder" {
			reorder = c
		}
	}
	campaigns, limit := 15, 200
	if raceEnabled {
		campaigns, limit = 9, 100
	}
	pct := reorder.Measure(PCTScheduler, campaigns, limit)
	random := reorder.Measure(RandomScheduler, campaigns, limit)
	t.Logf("reorder: pct %+v, random %+v", pct, random)
	if pct.Median > 50 || pct.Found != campaigns {
		t.Fatalf("PCT: %+v", pct)
	}
	if pct.Median >= random.Median {
		t.Fatalf("PCT median %d not below random's %d", pct.Median, random.Median)
	}
}

// TestSummarize: found counts, the median (upper middle) and the mean of
// seeds to failure.
func TestSummarize(t *testing.T) {
	st := Summarize([]int{300, 1, 4, 2}, []bool{false, true, true, true})
	if st != (CanaryStats{Campaigns: 4, Found: 3, Median: 4, Mean: 76.75}) {
		t.Fatalf("%+v", st)
	}
	if st := Summarize(nil, nil); st != (CanaryStats{}) {
		t.Fatalf("no campaigns: %+v", st)
	}
}
