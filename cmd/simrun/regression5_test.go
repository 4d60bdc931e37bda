package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/props"
	"github.com/actorio/actorio/sim"
)

// TestFlagErrorPrintedOnce: a flag simrun cannot parse is reported once,
// with the usage (its flags listed), and exit 2. The flag package printed
// the error and the usage, then simrun printed the error again.
func TestFlagErrorPrintedOnce(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"-seeds", "x"}, `invalid value "x" for flag -seeds`},
		{[]string{"replay", "-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"replay", "-seed", "x"}, `invalid value "x" for flag -seed`},
	} {
		code, out, errOut := simrun(t, c.args...)
		if code != 2 || out != "" || strings.Count(errOut, c.msg) != 1 ||
			strings.Count(errOut, "usage: simrun") != 1 || !strings.Contains(errOut, "-scenario") {
			t.Errorf("%v: exit %d (want 2), stdout %q, the error %d times (want once); stderr:\n%s",
				c.args, code, out, strings.Count(errOut, c.msg), errOut)
		}
	}
}

// plantCanaries makes cs simrun's canaries until the test ends.
func plantCanaries(t *testing.T, cs ...props.Canary) {
	old := canaryList
	t.Cleanup(func() { canaryList = old })
	canaryList = func() []props.Canary { return cs }
}

// interruptOnce returns a scenario Run that sends this process SIGINT on
// its run number at (from 1) and returns once simrun has taken it, and
// fails every seed when fail is set. It is for runs one at a time.
func interruptOnce(t *testing.T, at int, fail bool) func(*sim.World) error {
	holdInterrupts(t)
	taken := make(chan struct{}, 1)
	old := onInterrupt
	t.Cleanup(func() { onInterrupt = old })
	onInterrupt = func() { taken <- struct{}{} }
	runs := 0
	return func(*sim.World) error {
		if runs++; runs == at {
			if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
				return err
			}
			select {
			case <-taken:
			case <-time.After(time.Minute): // fail, not hang, when simrun does not take it
				return errors.New("simrun did not take the interrupt")
			}
		}
		if fail {
			return errors.New("planted failure")
		}
		return nil
	}
}

// holdInterrupts keeps this test binary's own hold on SIGINT, so that a
// simrun that does not catch it fails the test instead of killing it.
func holdInterrupts(t *testing.T) {
	held := make(chan os.Signal, 8)
	signal.Notify(held, os.Interrupt)
	t.Cleanup(func() { signal.Stop(held) })
}

// TestCanaryInterrupt: an interrupt stops -canary like a campaign: the
// campaigns running finish, the table of those that ran is printed with
// an INTERRUPTED line, and simrun exits 130, or 1 when a canary escaped
// PCT in a campaign that ran. Ctrl-C killed it without a word. (The
// campaigns alternate between the schedulers: the interrupt comes in the
// second, PCT's first, which must miss a bug that is not there.)
func TestCanaryInterrupt(t *testing.T) {
	for _, found := range []bool{true, false} {
		t.Run(fmt.Sprintf("found=%v", found), func(t *testing.T) {
			plantCanaries(t, props.Canary{Name: "planted", Depth: 1, Steps: 10,
				Scenario: sim.Scenario{Name: "planted", Run: interruptOnce(t, 4, found)},
				Profile:  func(uint64) sim.Profile { return sim.NoFaults() }})
			code, out, errOut := simrun(t, "-canary", "-canary-campaigns", "200", "-canary-limit", "3", "-parallel", "1")
			want := 130
			if !found {
				want = 1 // PCT missed it in the campaigns that ran
			}
			if code != want || !strings.Contains(out, "planted") || !strings.Contains(out, "INTERRUPTED: ") ||
				!strings.Contains(out, "of 400 campaigns ran") || !strings.Contains(errOut, "interrupted") {
				t.Fatalf("exit %d, want %d\n%s%s", code, want, out, errOut)
			}
			var ran int
			if _, err := fmt.Sscanf(out[strings.Index(out, "INTERRUPTED: "):], "INTERRUPTED: %d of", &ran); err != nil || ran < 1 || ran >= 400 {
				t.Fatalf("%d campaigns ran (%v):\n%s", ran, err, out)
			}
		})
	}
}

// TestCanaryStatsAsMeasure: the seeds to failure -canary prints, campaign
// by campaign, are props.Canary.Measure's.
func TestCanaryStatsAsMeasure(t *testing.T) {
	c := props.Canary{Name: "every-fifth", Depth: 1, Steps: 10,
		Scenario: sim.Scenario{Name: "every-fifth", Run: func(w *sim.World) error {
			if w.Seed()%5 == 0 || w.Seed()%7 == 3 {
				return errors.New("planted failure")
			}
			return nil
		}},
		Profile: func(uint64) sim.Profile { return sim.NoFaults() }}
	plantCanaries(t, c)
	code, out, errOut := simrun(t, "-canary", "-canary-campaigns", "9", "-canary-limit", "4")
	r, p := c.Measure(props.RandomScheduler, 9, 4), c.Measure(props.PCTScheduler, 9, 4)
	want := fmt.Sprintf("%d/%d  %d  %.1f  %d/%d  %d  %.1f", r.Found, r.Campaigns, r.Median, r.Mean, p.Found, p.Campaigns, p.Median, p.Mean)
	if code != 1 || !strings.Contains(strings.Join(strings.Fields(out), "  "), want) {
		t.Fatalf("exit %d (want 1: PCT misses some), want the row to end %q:\n%s%s", code, want, out, errOut)
	}
}

// TestReplayInterrupt: an interrupt during simrun replay lets the seed
// finish, prints its outcome with an INTERRUPTED line, and exits 130 (1
// when the seed failed). Ctrl-C killed it without a word.
func TestReplayInterrupt(t *testing.T) {
	for _, fail := range []bool{true, false} {
		t.Run(fmt.Sprintf("failing=%v", fail), func(t *testing.T) {
			plant(t, sim.Scenario{Name: "replayed", Run: interruptOnce(t, 1, fail)})
			trace := filepath.Join(t.TempDir(), "trace.txt")
			code, out, errOut := simrun(t, "replay", "-scenario", "replayed", "-seed", "1", "-profile", "none", "-trace", trace)
			want := 130
			if fail {
				want = 1
			}
			if code != want || !strings.Contains(out, "replayed seed 1: fingerprint") || !strings.Contains(out, "INTERRUPTED: ") ||
				fail != strings.Contains(out, "planted failure") || !strings.Contains(errOut, "interrupted") {
				t.Fatalf("exit %d, want %d\n%s%s", code, want, out, errOut)
			}
		})
	}
}
