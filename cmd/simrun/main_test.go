package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/actorio/actorio/props"
	"github.com/actorio/actorio/sim"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func simrun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestDefaultRun: no flags runs pingpong over 100 seeds and prints the
// summary table and the first seed's fingerprint.
func TestDefaultRun(t *testing.T) {
	code, out, errOut := simrun(t)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"scenario", "seeds", "failures", "steps", "virtual time", "wall time", "steps/s",
		"pingpong    100         0", "pingpong: first seed 1 fingerprint "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestSingleSeedTrace: -seed S -v runs one seed and prints its trace.
func TestSingleSeedTrace(t *testing.T) {
	code, out, _ := simrun(t, "-seed", "42", "-v")
	if code != 0 || !strings.Contains(out, "pingpong seed 42: ok fingerprint") ||
		!strings.Contains(out, "deliver    n1 referee *actor.Started") || !strings.Contains(out, "pingpong      1") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// The same seed prints the same fingerprint in a campaign.
	_, camp, _ := simrun(t, "-seed", "42", "-seeds", "3")
	fp := strings.Fields(out[strings.Index(out, "fingerprint"):])[1]
	if !strings.Contains(camp, "first seed 42 fingerprint "+fp) {
		t.Fatalf("fingerprint %s of seed 42 not reproduced:\n%s", fp, camp)
	}
}

// TestCheckDeterminism: -check-determinism passes on pingpong.
func TestCheckDeterminism(t *testing.T) {
	if code, out, _ := simrun(t, "-check-determinism", "-seeds", "10"); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestBadFlags: bad input exits 2 with a message.
func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-seeds", "0"}, {"-scenario", "nope"}, {"-bogus"}, {"extra"}, {"-parallel", "0"},
	} {
		code, _, errOut := simrun(t, args...)
		if code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// TestFailuresReported: a failing seed makes simrun exit 1 and print the
// error and a replay command; a nondeterministic scenario is caught by
// -check-determinism with the diverging event.
func TestFailuresReported(t *testing.T) {
	calls := 0
	defer func(old func() []sim.Scenario) { catalogue = old }(catalogue)
	catalogue = func() []sim.Scenario {
		return append(props.Scenarios(),
			sim.Scenario{Name: "flaky", Run: func(w *sim.World) error {
				if w.Seed()%3 == 0 {
					return errors.New("planted failure")
				}
				return nil
			}},
			sim.Scenario{Name: "drift", Run: func(w *sim.World) error {
				calls++
				if calls%2 == 0 {
					w.Note("only every other run")
				}
				return nil
			}},
		)
	}
	code, out, _ := simrun(t, "-scenario", "flaky", "-seeds", "6", "-parallel", "1")
	if code != 1 || strings.Count(out, "FAIL flaky seed") != 2 ||
		!strings.Contains(out, "planted failure") || !strings.Contains(out, "replay: go run ./cmd/simrun -scenario flaky -seed 3 -v") ||
		!strings.Contains(out, "flaky      6         2") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	code, out, _ = simrun(t, "-scenario", "drift", "-seeds", "1", "-check-determinism", "-parallel", "1")
	if code != 1 || !strings.Contains(out, "is not deterministic") || !strings.Contains(out, "only every other run") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}
