package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/actorio/actorio/sim"
)

// TestHugeCampaignStarts: a campaign of more seeds than fit in memory at
// once (an overnight -seeds 100000000, here 2^50) runs, and an interrupt
// ends it with the usual report. Found in review: the campaign allocated
// every seed's number and outcome (360 bytes each, plus its fault plan)
// before running the first, so -seeds 100000000 died at once with
// "fatal error: out of memory" (exit 2, as if the flags were bad), and
// a long campaign held every passing seed's outcome until it ended.
func TestHugeCampaignStarts(t *testing.T) {
	held := make(chan os.Signal, 8)
	signal.Notify(held, os.Interrupt)
	defer signal.Stop(held)
	sent := false
	plant(t, sim.Scenario{Name: "endless", Run: func(w *sim.World) error {
		if w.Seed() == 3 && !sent {
			sent = true
			return syscall.Kill(os.Getpid(), syscall.SIGINT)
		}
		return nil
	}})
	var code int
	var out, errOut string
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("a campaign of 2^50 seeds panicked: %v", r)
			}
		}()
		code, out, errOut = simrun(t, "-scenario", "endless", "-seeds", fmt.Sprint(1<<50), "-parallel", "1", "-profile", "none")
	}()
	if code != 130 || !strings.Contains(out, fmt.Sprintf(" of %d seeds ran", 1<<50)) || !strings.Contains(out, "endless: first seed 1 fingerprint") {
		t.Fatalf("exit %d, want 130 and a report\n%s%s", code, out, errOut)
	}
}

// fullWriter is a disk with no space left.
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// TestUnwritableReport: a report that cannot be written (stdout on a
// full disk: simrun >report.txt) is an error, exit 2 as for an
// unwritable trace, with the reason on stderr. Found in review: every
// write error was ignored, and `simrun -scenario canary-lost-ack
// >/dev/full` exited 0 with no report at all, and its failures lost.
func TestUnwritableReport(t *testing.T) {
	for _, args := range [][]string{
		{"-scenario", "pingpong", "-seeds", "2"},
		{"-scenario", "canary-lost-ack", "-seeds", "2"},
		{"replay", "-scenario", "pingpong", "-seed", "5"},
	} {
		var errOut strings.Builder
		code := run(args, fullWriter{}, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), "no space left on device") {
			t.Errorf("%v to a full disk: exit %d, want 2; stderr:\n%s", args, code, errOut.String())
		}
	}
}

// TestUsageErrorLeavesNoOutDir: a usage error found after the flags
// parsed (an unknown scenario) exits 2 without creating -out's directory.
// Found in review: -shrink -out DIR made DIR before the scenario name was
// looked up, so a typo left an empty directory behind.
func TestUsageErrorLeavesNoOutDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plans")
	code, _, errOut := simrun(t, "-shrink", "-out", dir, "-scenario", "no-such-scenario")
	if code != 2 || !strings.Contains(errOut, `no scenario "no-such-scenario"`) {
		t.Fatalf("exit %d, want 2; stderr:\n%s", code, errOut)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("-out %s was created for a run that never started (%v)", dir, err)
	}
}
