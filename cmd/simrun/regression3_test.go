package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actorio/actorio/sim"
)

// TestHelpExitsZero: -h asks for the usage; it is not a usage error, so
// simrun and simrun replay print it and exit 0 (as flag.ExitOnError
// programs do), not 2. replay's usage says what replay's -scenario and
// -seed mean (it showed the campaign's "first seed; given alone, run only
// this seed" and a default scenario "all" that replay refuses).
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"-help"}, {"replay", "-h"}} {
		code, out, errOut := simrun(t, args...)
		if code != 0 || out != "" || !strings.Contains(errOut, "usage: simrun") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	_, _, errOut := simrun(t, "replay", "-h")
	if strings.Contains(errOut, "given alone") || strings.Contains(errOut, `"all"`) || !strings.Contains(errOut, "the seed to replay") {
		t.Errorf("replay usage speaks of campaigns:\n%s", errOut)
	}
}

// TestPrintedCommandsWorkAnywhere: the whole workflow as a user meets
// it, with the real binary's scenarios: a campaign on a canary (planted
// bug) fails, and the replay and replay-minimal commands it prints work
// pasted verbatim into a shell in another directory, writing a trace in
// every format. The commands began "go run ./cmd/simrun" (only the
// repository root has ./cmd/simrun) with the plan and profile paths as
// given (relative to where simrun ran), and no canary could be run as a
// scenario, so a user never saw a failure to replay.
func TestPrintedCommandsWorkAnywhere(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("crashes.json", []byte(`{"name":"crashes","fault_time":"1s","crashes":{"every":"40ms","down_min":"5ms","down_max":"20ms"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := simrun(t, "-scenario", "canary-lost-ack", "-seed", "1", "-profile", "crashes.json", "-shrink", "-out", ".")
	if code != 1 || !strings.Contains(out, "FAIL canary-lost-ack seed 1: ") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	elsewhere := t.TempDir()
	for _, prefix := range []string{"  replay: ", "  replay minimal: "} {
		i := strings.Index(out, prefix)
		if i < 0 {
			t.Fatalf("no %q:\n%s", prefix, out)
		}
		line := out[i+len(prefix):]
		line = line[:strings.Index(line, "\n")]
		for _, format := range []string{"text", "jsonl", "perfetto"} {
			trace := filepath.Join(elsewhere, "trace."+format)
			cmd := exec.Command("sh", "-c", line+" -trace "+trace+" -trace-format "+format)
			cmd.Dir = elsewhere
			got, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(got), "FAIL: scenario canary-lost-ack seed 1: K1:") {
				t.Fatalf("%s, pasted in %s: %v\n%s", line, elsewhere, err, got)
			}
			checkTrace(t, trace, format)
		}
	}
}

// checkTrace checks that the trace at path parses as format: text lines,
// JSON objects per line, or Chrome trace-event JSON whose every event has
// ph, ts, pid, tid and name, and whose flows each start and finish.
func checkTrace(t *testing.T, path, format string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil || len(raw) == 0 {
		t.Fatalf("trace %s: %v, %d bytes", path, err, len(raw))
	}
	switch format {
	case "jsonl":
		for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			var e map[string]any
			if err := json.Unmarshal([]byte(l), &e); err != nil || e["kind"] == nil {
				t.Fatalf("jsonl line %q: %v", l, err)
			}
		}
	case "perfetto":
		var doc struct {
			TraceEvents []map[string]any `json:"traceEvents"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil || len(doc.TraceEvents) == 0 {
			t.Fatalf("perfetto: %v, %d events", err, len(doc.TraceEvents))
		}
		flows := map[any]int{}
		for _, e := range doc.TraceEvents {
			for _, k := range []string{"ph", "ts", "pid", "tid", "name"} {
				if _, ok := e[k]; !ok {
					t.Fatalf("event without %s: %v", k, e)
				}
			}
			switch e["ph"] {
			case "s":
				flows[e["id"]]++
			case "f":
				flows[e["id"]]--
			}
		}
		for id, n := range flows {
			if n != 0 {
				t.Fatalf("flow %v starts and finishes unevenly (%d)", id, n)
			}
		}
	}
}

// TestShrinkOutDir: -shrink -out DIR with DIR not there yet creates it
// (it shrank each failure, then could not save the plan: "no such file or
// directory", once per failure), and -out without -shrink, which nothing
// reads, is refused as a usage error.
func TestShrinkOutDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "plans")
	code, out, errOut := simrun(t, "-scenario", "canary-lost-ack", "-seed", "1", "-shrink", "-out", dir)
	if code != 1 || !strings.Contains(out, "replay minimal: ") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "simrun-canary-lost-ack-1.plan.json")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = simrun(t, "-scenario", "pingpong", "-seed", "1", "-out", dir)
	if code != 2 || out != "" || !strings.Contains(errOut, "-shrink") {
		t.Fatalf("-out without -shrink: exit %d\n%s%s", code, out, errOut)
	}
}

// TestSummaryTotals: a campaign over several scenarios ends its table with
// a total row (seeds and failures summed over the scenarios), so that
// "how many seeds ran, how many failed" is read off one line; there was
// none.
func TestSummaryTotals(t *testing.T) {
	plant(t, sim.Scenario{Name: "planted-odd", Run: func(w *sim.World) error {
		if w.Seed()%2 == 1 {
			return errors.New("planted failure")
		}
		return nil
	}})
	code, out, errOut := simrun(t, "-seeds", "4", "-profile", "none")
	if code != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	scenarios := len(catalogue())
	var seeds, failures int
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 3 && f[0] == "total" {
			if _, err := fmt.Sscan(f[1]+" "+f[2], &seeds, &failures); err != nil {
				t.Fatal(err)
			}
		}
	}
	if seeds != 4*scenarios || failures != 2 {
		t.Fatalf("total row: %d seeds, %d failures; want %d, 2\n%s", seeds, failures, 4*scenarios, out)
	}
}
