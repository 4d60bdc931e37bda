package main

import (
	"errors"
	"strings"
	"testing"

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
