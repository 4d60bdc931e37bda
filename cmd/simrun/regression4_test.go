package main

import (
	"fmt"
	"os"
	"os/signal"
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
