package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/props"
	"github.com/actorio/actorio/sim"
)

// TestCheckDeterminismSecondRunFails: with -check-determinism, a seed
// whose second run fails while the first passes (an outcome that does not
// reproduce) gets a FAIL line and makes simrun exit 1 ("The exit status
// is 0 when every seed passed, 1 when one failed", main.go). Found in
// review: only the first outcome was kept, the hashed events agreed, and
// simrun exited 0 without a word about the failing run.
func TestCheckDeterminismSecondRunFails(t *testing.T) {
	runs := 0
	plant(t, sim.Scenario{Name: "second-fails", Run: func(w *sim.World) error {
		runs++
		if runs%2 == 0 {
			return errors.New("K1: broken in the second run only")
		}
		return nil
	}})
	code, out, errOut := simrun(t, "-scenario", "second-fails", "-seed", "1", "-check-determinism", "-parallel", "1", "-profile", "none")
	if runs != 2 {
		t.Fatalf("%d runs", runs)
	}
	if code != 1 || !strings.Contains(out, "FAIL") {
		t.Fatalf("one of the two runs failed, yet exit %d:\n%s%s", code, out, errOut)
	}
}

// TestBadInputExits2: input that simrun used to take, each ignored or
// misread in silence, is a usage error (exit 2, with a message) before
// anything runs: a profile or plan file with data after its JSON value or
// a negative time, seeds past the largest one (they wrapped to 0),
// campaign flags with -canary (ignored), -bench with -check-determinism
// (events/s from one run over the time of two), PCT settings without
// -scheduler pct (ignored), replay's -trace-format without -trace (no
// trace written), and a trace path that cannot be written (found only
// after the run, which printed its outcome first).
func TestBadInputExits2(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	twoProfiles := file("two.json", `{"name":"a","fault_time":"1s"} {"name":"b","fault_time":"2s"}`)
	negative := file("negative.json", `{"name":"a","fault_time":"-1s","net":{"drop":0.5}}`)
	planTrailing := file("plan.json", `{"profile":{"name":"a","fault_time":"1s"},"faults":[]}]`)
	planNegative := file("plan-negative.json", `{"profile":{"name":"a","fault_time":"1s"},"faults":[{"at":"-5ms","kind":"crash","target":"server","for":"10ms"}]}`)
	for _, args := range [][]string{
		{"-scenario", "pingpong", "-seeds", "1", "-profile", twoProfiles},
		{"-scenario", "pingpong", "-seeds", "1", "-profile", negative},
		{"-scenario", "pingpong", "-seed", "18446744073709551615", "-seeds", "2"},
		{"-canary", "-canary-campaigns", "1", "-canary-limit", "1", "-scheduler", "pct"},
		{"-canary", "-canary-campaigns", "1", "-canary-limit", "1", "-scenario", "pingpong"},
		{"-scenario", "pingpong", "-seeds", "2", "-bench", "-check-determinism"},
		{"-scenario", "pingpong", "-seeds", "2", "-pct-depth", "3"},
		{"replay", "-seed", "1", "-scenario", "pingpong", "-profile", negative},
		{"replay", "-seed", "1", "-scenario", "pingpong", "-plan", planTrailing},
		{"replay", "-seed", "1", "-scenario", "pingpong", "-plan", planNegative},
		{"replay", "-seed", "1", "-scenario", "pingpong", "-trace-format", "perfetto"},
		{"replay", "-seed", "1", "-scenario", "pingpong", "-trace", filepath.Join(dir, "no", "such", "dir", "t.txt")},
	} {
		code, out, errOut := simrun(t, args...)
		if code != 2 || errOut == "" || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// TestDeterminismCampaignKeepsNoTraces: a -check-determinism campaign
// keeps each seed's result until it reports, and CheckDeterminism records
// both runs: every seed's whole trace was kept (200 socket seeds took
// 0.5 GB, the default 2000 seeds several GB). Only a single seed with -v
// prints, and keeps, its trace.
func TestDeterminismCampaignKeepsNoTraces(t *testing.T) {
	sc, err := lookup("pingpong")
	if err != nil {
		t.Fatal(err)
	}
	o := &options{profile: "none", scheduler: "random", determinism: true}
	if r := runSeed(sc, 1, o, false); r.div != nil || r.out.Err != nil || len(r.out.Trace) != 0 {
		t.Fatalf("a campaign's seed kept %d trace events (divergence %v, error %v)", len(r.out.Trace), r.div, r.out.Err)
	}
	o.verbose = true
	if r := runSeed(sc, 1, o, true); len(r.out.Trace) == 0 {
		t.Fatal("-v with one seed lost the trace it prints")
	}
}

// TestInterruptReportsWhatRan: an interrupt (SIGINT) stops a campaign
// after the seeds running finish and reports the failures found and the
// seeds that ran, and simrun exits 1 (a seed failed) or 130 (none did).
// It used to die at once without a word about what had run.
func TestInterruptReportsWhatRan(t *testing.T) {
	// The test binary keeps its own hold on SIGINT, so that a simrun that
	// does not catch it fails this test instead of killing it.
	held := make(chan os.Signal, 8)
	signal.Notify(held, os.Interrupt)
	defer signal.Stop(held)
	for _, fail := range []bool{true, false} {
		t.Run(fmt.Sprintf("failing=%v", fail), func(t *testing.T) {
			sent := false
			plant(t, sim.Scenario{Name: "interrupted", Run: func(w *sim.World) error {
				if fail && w.Seed() == 2 {
					return errors.New("planted failure")
				}
				if w.Seed() == 3 && !sent {
					sent = true
					if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
						return err
					}
				}
				if w.Seed() >= 3 {
					time.Sleep(time.Millisecond) // the signal arrives long before the last seed
				}
				return nil
			}})
			code, out, errOut := simrun(t, "-scenario", "interrupted", "-seeds", "3000", "-parallel", "1", "-profile", "none")
			want := 130
			if fail {
				want = 1
			}
			if code != want || !strings.Contains(out, "INTERRUPTED: ") || !strings.Contains(errOut, "interrupted") ||
				fail != strings.Contains(out, "FAIL interrupted seed 2: ") || !strings.Contains(out, "of 3000 seeds ran") {
				t.Fatalf("failing seed %v: exit %d, want %d\n%s%s", fail, code, want, out, errOut)
			}
			var ran int
			if _, err := fmt.Sscanf(out[strings.Index(out, "INTERRUPTED: "):], "INTERRUPTED: %d of", &ran); err != nil || ran < 3 || ran >= 3000 {
				t.Fatalf("%d seeds ran (%v):\n%s", ran, err, out)
			}
		})
	}
}

// TestShrinkClaimsOnlyAReproducedFailure: sim.Shrink returns the recorded
// plan as the "minimal" one when replaying it does not fail, and simrun
// printed "still failing" and a replay command that passes. Now the saved
// plan is replayed before anything is claimed.
func TestShrinkClaimsOnlyAReproducedFailure(t *testing.T) {
	runs := 0
	plant(t, sim.Scenario{Name: "fails-twice", Run: func(w *sim.World) error {
		runs++
		if runs <= 2 { // the campaign's run and Shrink's first
			return errors.New("X1: planted, then gone")
		}
		return nil
	}})
	code, out, _ := simrun(t, "-scenario", "fails-twice", "-seed", "1", "-shrink", "-out", t.TempDir(), "-parallel", "1", "-profile", "none")
	if code != 1 || strings.Contains(out, "still failing") || strings.Contains(out, "replay minimal") ||
		!strings.Contains(out, "shrink: no minimal plan: replaying the recorded faults") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestPrintedCommandsQuotePaths: the replay commands a failure prints
// work when pasted into a shell even when the profile or the -out
// directory has a space in its path (they were printed unquoted).
func TestPrintedCommandsQuotePaths(t *testing.T) {
	var lostAck props.Canary
	for _, c := range props.Canaries() {
		if c.Name == "lost-ack" {
			lostAck = c
		}
	}
	dir := filepath.Join(t.TempDir(), "my plans")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	profile := filepath.Join(dir, "it's crashes.json")
	if err := lostAck.Profile(1).Save(profile); err != nil {
		t.Fatal(err)
	}
	plant(t, lostAck.Scenario)
	code, out, _ := simrun(t, "-scenario", lostAck.Scenario.Name, "-seed", "1", "-profile", profile, "-shrink", "-out", dir, "-parallel", "1")
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, prefix := range []string{"  replay: " + goRun() + " ", "  replay minimal: " + goRun() + " "} {
		i := strings.Index(out, prefix)
		if i < 0 {
			t.Fatalf("no %q:\n%s", prefix, out)
		}
		line := out[i+len(prefix):]
		line = line[:strings.Index(line, "\n")]
		// The shell splits the printed arguments.
		words, err := exec.Command("sh", "-c", "printf '%s\\n' "+line).Output()
		if err != nil {
			t.Fatal(err)
		}
		args := strings.Split(strings.TrimSuffix(string(words), "\n"), "\n")
		args[len(args)-1] = filepath.Join(t.TempDir(), "trace.txt")
		if code, rout, rerr := simrun(t, args...); code != 1 {
			t.Errorf("%s%s: as the shell reads it, %q: exit %d\n%s%s", prefix, line, args, code, rout, rerr)
		}
	}
}
