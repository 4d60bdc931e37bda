package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
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

// TestCampaign: every scenario under swarm faults, with the summary table,
// the profile line and each scenario's first fingerprint.
func TestCampaign(t *testing.T) {
	code, out, errOut := simrun(t, "-seeds", "40", "-bench")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"scenario", "seeds", "failures", "steps", "virtual time", "wall time", "steps/s",
		"profile swarm, scheduler random", "pingpong: first seed 1 fingerprint ", "bench: ", "events/s", "seeds/s", "virtual/wall time"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, sc := range props.Scenarios() {
		if !strings.Contains(out, sc.Name+": first seed 1") {
			t.Errorf("scenario %s not run:\n%s", sc.Name, out)
		}
	}
	if code, out, _ := simrun(t, "-seeds", "20", "-scheduler", "pct", "-profile", "none"); code != 0 || !strings.Contains(out, "profile none, scheduler pct") {
		t.Fatalf("pct, no faults: exit %d\n%s", code, out)
	}
}

// TestSingleSeedTrace: -seed S -v runs one seed, prints its profile and
// trace, and its fingerprint is the one a campaign prints for it.
func TestSingleSeedTrace(t *testing.T) {
	code, out, _ := simrun(t, "-scenario", "pingpong", "-seed", "42", "-v")
	if code != 0 || !strings.Contains(out, "pingpong seed 42: ok fingerprint") || !strings.Contains(out, "  profile: swarm") ||
		!strings.Contains(out, "deliver    n1 referee *actor.Started") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	_, camp, _ := simrun(t, "-scenario", "pingpong", "-seed", "42", "-seeds", "3")
	fp := strings.Fields(out[strings.Index(out, "fingerprint"):])[1]
	if !strings.Contains(camp, "first seed 42 fingerprint "+fp) {
		t.Fatalf("fingerprint %s of seed 42 not reproduced:\n%s", fp, camp)
	}
}

// TestCheckDeterminism: -check-determinism passes on every scenario.
func TestCheckDeterminism(t *testing.T) {
	if code, out, _ := simrun(t, "-check-determinism", "-seeds", "10"); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestBadFlags: bad input exits 2 with a message.
func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-seeds", "0"}, {"-scenario", "nope"}, {"-bogus"}, {"extra"}, {"-parallel", "0"},
		{"-scheduler", "fifo"}, {"-profile", "/no/such/profile.json"}, {"-pct-depth", "0"},
		{"replay"}, {"replay", "-scenario", "pingpong"}, {"replay", "-scenario", "nope", "-seed", "1"}, {"replay", "-seed", "1", "-scenario", "pingpong", "-trace-format", "xml"},
		{"replay", "-seed", "1", "-scenario", "pingpong", "-plan", "/no/such/plan.json"},
	} {
		code, _, errOut := simrun(t, args...)
		if code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// plant adds failing scenarios to the catalogue for one test.
func plant(t *testing.T, extra ...sim.Scenario) {
	old := catalogue
	t.Cleanup(func() { catalogue = old })
	catalogue = func() []sim.Scenario { return append(old(), extra...) }
}

// TestFailuresReported: a failing seed makes simrun exit 1 and print the
// error, the profile and a replay command; a nondeterministic scenario is
// caught by -check-determinism with the diverging event.
func TestFailuresReported(t *testing.T) {
	calls := 0
	plant(t,
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
	code, out, _ := simrun(t, "-scenario", "flaky", "-seeds", "6", "-parallel", "1")
	if code != 1 || strings.Count(out, "FAIL flaky seed") != 2 || !strings.Contains(out, "planted failure") ||
		!strings.Contains(out, "  profile: swarm") ||
		!strings.Contains(out, "replay: "+goRun()+" replay -scenario flaky -seed 3 -trace ") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	code, out, _ = simrun(t, "-scenario", "drift", "-seeds", "1", "-check-determinism", "-parallel", "1")
	if code != 1 || !strings.Contains(out, "is not deterministic") || !strings.Contains(out, "only every other run") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestShrinkAndReplay: -shrink minimises a failing seed of a canary to one
// fault, writes the plan, and replay with that plan fails the same way and
// writes a Perfetto trace with a named track per actor.
func TestShrinkAndReplay(t *testing.T) {
	var lostAck props.Canary
	for _, c := range props.Canaries() {
		if c.Name == "lost-ack" {
			lostAck = c
		}
	}
	profile := filepath.Join(t.TempDir(), "crashes.json")
	if err := lostAck.Profile(1).Save(profile); err != nil {
		t.Fatal(err)
	}
	plant(t, lostAck.Scenario)
	dir := t.TempDir()
	code, out, _ := simrun(t, "-scenario", lostAck.Scenario.Name, "-seeds", "3", "-profile", profile, "-shrink", "-out", dir, "-parallel", "1")
	if code != 1 || !strings.Contains(out, "shrunk: ") || !strings.Contains(out, "→ 1 in") || !strings.Contains(out, "crash server for") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	line := out[strings.Index(out, "replay minimal: "):]
	line = line[:strings.Index(line, "\n")]
	args := strings.Fields(line[strings.Index(line, "./cmd/simrun ")+len("./cmd/simrun "):])
	trace := filepath.Join(t.TempDir(), "trace.json")
	for i, a := range args {
		if strings.HasSuffix(a, "trace.txt") {
			args[i] = trace
		}
	}
	code, rout, rerr := simrun(t, append(args, "-trace-format", "perfetto")...)
	if code != 1 || !strings.Contains(rout, "K1:") || !strings.Contains(rout, "1 faults") {
		t.Fatalf("replay %v: exit %d\n%s%s", args, code, rout, rerr)
	}
	raw, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		TraceEvents []map[string]any `json:"traceEvents"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || len(doc.TraceEvents) == 0 {
		t.Fatalf("trace: %v, %d events", err, len(doc.TraceEvents))
	}
	tracks := map[string]bool{}
	for _, e := range doc.TraceEvents {
		if e["ph"] == "M" && e["name"] == "thread_name" {
			tracks[e["args"].(map[string]any)["name"].(string)] = true
		}
	}
	if !tracks["kv"] || !tracks["client"] {
		t.Fatalf("actor tracks %v", tracks)
	}
}

// TestCanaryMode: -canary catches every planted bug and prints seeds to
// failure for both schedulers.
func TestCanaryMode(t *testing.T) {
	code, out, errOut := simrun(t, "-canary", "-canary-campaigns", "3", "-canary-limit", "200")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, c := range props.Canaries() {
		if !strings.Contains(out, c.Name) {
			t.Errorf("canary %s missing:\n%s", c.Name, out)
		}
	}
	if !strings.Contains(out, "pct median") || !strings.Contains(out, "seeds to failure over 3 campaigns") {
		t.Fatalf("output:\n%s", out)
	}
}
