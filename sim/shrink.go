package sim

import (
	"regexp"
	"slices"
	"strings"

	"github.com/pkg/errors"
)

// Shrunk is the result of shrinking a failing run.
type Shrunk struct {
	Original Plan   // the faults of the failing run
	Minimal  Plan   // a 1-minimal subset that still fails the same way
	Err      error  // the failure with the minimal plan
	Runs     int    // simulation runs the search took
	Sign     string // the failure's signature both share
	// Reproduced says whether Minimal was replayed (WithPlan) and failed
	// with Sign. It is false when replaying the recorded plan does not
	// fail the same way (the failure is not the faults' doing alone, or
	// the run is not deterministic): Minimal is then the recorded plan,
	// unshrunk, which does not reproduce the failure.
	Reproduced bool
}

// Shrink minimises the fault plan of a failing seed: it records the
// faults the seed injects, then removes faults (delta debugging, Zeller's
// ddmin) while a replay with the same seed still fails with the same
// signature (the broken invariant, e.g. "K1:", or "liveness:"). The
// result is 1-minimal: dropping any single remaining fault makes the run
// pass or fail differently. ddmin may stop in a local minimum of several
// faults while one fault of the original plan would do alone (which
// subsets it tries depends on the plan's order), so a result of more
// than one fault is then checked against each single fault of the
// original plan, in order. It returns ok=false if the seed does not fail;
// if replaying the seed's recorded plan does not fail the same way, there
// is nothing to shrink, and Reproduced says so.
// If the profile or plan among opts is invalid (Profile.Validate,
// Plan.Validate), every run of the seed fails for that reason alone: it
// runs nothing, and returns ok=true with no faults and the reason in Err
// (matching ErrInvalid).
func Shrink(sc Scenario, seed uint64, opts ...Option) (Shrunk, bool) {
	if err := New(seed, append(append([]Option(nil), sc.Options...), opts...)...).inputErr(); err != nil {
		err = errors.Wrapf(err, "sim: shrink scenario %s seed %d", sc.Name, seed)
		return Shrunk{Err: err, Sign: Signature(err)}, true
	}
	first := RunScenario(sc, seed, opts...)
	if first.Err == nil {
		return Shrunk{}, false
	}
	s := Shrunk{Original: first.Plan, Minimal: first.Plan, Err: first.Err, Runs: 1, Sign: Signature(first.Err)}
	fails := func(faults []Fault) bool {
		p := Plan{Profile: first.Plan.Profile, Faults: faults}
		s.Runs++
		out := RunScenario(sc, seed, append(append([]Option(nil), opts...), WithPlan(p))...)
		if out.Err != nil && Signature(out.Err) == s.Sign {
			s.Minimal, s.Err = p, out.Err
			return true
		}
		return false
	}
	// The recorded plan must reproduce the failure on its own.
	if !fails(first.Plan.Faults) {
		return s, true
	}
	s.Reproduced = true
	// ddmin only ever keeps a candidate that failed, and fails records
	// each failing candidate in s.Minimal, so s.Minimal ends as the result.
	ddmin(s.Minimal.Faults, fails)
	if kept := s.Minimal.Faults; len(kept) > 1 {
		for _, f := range s.Original.Faults {
			if slices.Contains(kept, f) {
				continue // ddmin ended trying each kept fault alone: it passes
			}
			if fails([]Fault{f}) {
				break
			}
		}
	}
	return s, true
}

// ddmin returns a 1-minimal subset of faults for which fails holds,
// given that it holds for faults.
func ddmin(faults []Fault, fails func([]Fault) bool) []Fault {
	n := 2
	for len(faults) >= 2 {
		chunks := split(faults, n)
		reduced := false
		// Try each chunk on its own, then each complement.
		for _, c := range chunks {
			if fails(c) {
				faults, n, reduced = c, 2, true
				break
			}
		}
		if !reduced {
			for i := range chunks {
				comp := complement(chunks, i)
				if fails(comp) {
					faults, n, reduced = comp, max(n-1, 2), true
					break
				}
			}
		}
		if !reduced {
			if n >= len(faults) {
				break
			}
			n = min(2*n, len(faults))
		}
	}
	if len(faults) == 1 && fails(nil) {
		return nil
	}
	return faults
}

func split(s []Fault, n int) [][]Fault {
	out := make([][]Fault, 0, n)
	for i := 0; i < n; i++ {
		lo, hi := i*len(s)/n, (i+1)*len(s)/n
		if hi > lo {
			out = append(out, s[lo:hi])
		}
	}
	return out
}

func complement(chunks [][]Fault, skip int) []Fault {
	var out []Fault
	for i, c := range chunks {
		if i != skip {
			out = append(out, c...)
		}
	}
	return out
}

var invariantLabel = regexp.MustCompile(`\b([A-Z][A-Za-z]*[0-9]+|liveness|deadlock):`)

// Signature names the kind of a failure: its invariant label ("K1:",
// "P4:") or "liveness:" when it has one, else its message with the
// numbers taken out (so the same bug at other times or seeds compares
// equal).
func Signature(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if m := invariantLabel.FindString(msg); m != "" {
		return m
	}
	first, _, _ := strings.Cut(msg, "\n")
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return -1
		}
		return r
	}, first)
}
