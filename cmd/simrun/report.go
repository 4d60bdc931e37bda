package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/actorio/actorio/sim"
)

// reportFailure prints a failing seed: the error, the profile, a command
// that replays it and, with -shrink, the minimal fault plan and a command
// that replays that. An interrupted campaign (ctx ended) does not shrink.
func reportFailure(ctx context.Context, w io.Writer, sc sim.Scenario, r result, o *options) {
	seed := r.out.Seed
	if r.out.Err != nil {
		fmt.Fprintf(w, "FAIL %s seed %d: %v\n", sc.Name, seed, r.out.Err)
	}
	if r.div != nil {
		fmt.Fprintf(w, "FAIL %s: %v\n", sc.Name, r.div)
	}
	fmt.Fprintf(w, "  profile: %v\n", r.out.Profile)
	trace := shellQuote(absPath("trace.txt"))
	fmt.Fprintf(w, "  replay: %s replay -scenario %s -seed %d%s -trace %s\n", goRun(), sc.Name, seed, o.replayFlags(), trace)
	if !o.shrink || r.out.Err == nil {
		return
	}
	if ctx.Err() != nil {
		fmt.Fprintf(w, "  shrink: skipped (interrupted)\n")
		return
	}
	s, failed := sim.Shrink(sc, seed, o.worldOptions(sc.Name, seed)...)
	if !failed {
		fmt.Fprintf(w, "  shrink: the seed passed when run again (nondeterminism?)\n")
		return
	}
	path := filepath.Join(absPath(o.outDir), fmt.Sprintf("simrun-%s-%d.plan.json", sc.Name, seed))
	if err := sim.SavePlan(s.Minimal, path); err != nil {
		fmt.Fprintf(w, "  shrink: %v\n", err)
		return
	}
	// Shrink returns the recorded plan as it is when replaying it does
	// not fail, and nothing says so: replay the saved file as the printed
	// command will before claiming that it fails.
	if err := reproduces(sc, seed, o, path, s.Sign); err != nil {
		fmt.Fprintf(w, "  shrink: no minimal plan: %v (nondeterminism, or a failure its faults alone do not cause?)\n", err)
		return
	}
	fmt.Fprintf(w, "  shrunk: %d faults → %d in %d runs, still failing with %s\n", len(s.Original.Faults), len(s.Minimal.Faults), s.Runs, s.Sign)
	for _, f := range s.Minimal.Faults {
		fmt.Fprintf(w, "    %v\n", f)
	}
	fmt.Fprintf(w, "  replay minimal: %s replay -scenario %s -seed %d%s -plan %s -trace %s\n",
		goRun(), sc.Name, seed, o.replayFlags(), shellQuote(path), trace)
}

// reproduces replays seed with the plan saved at path, as simrun replay
// does, and says why not if it does not fail with signature sign.
func reproduces(sc sim.Scenario, seed uint64, o *options, path, sign string) error {
	p, err := loadPlan(path)
	if err != nil {
		return err
	}
	out := sim.RunScenario(sc, seed, append(o.worldOptions(sc.Name, seed), sim.WithPlan(p))...)
	switch {
	case out.Err == nil:
		return fmt.Errorf("replaying the recorded faults (%s) passes", path)
	case sim.Signature(out.Err) != sign:
		return fmt.Errorf("replaying the recorded faults (%s) fails otherwise: %v", path, out.Err)
	}
	return nil
}

func printSummary(w io.Writer, sums []summary, o *options) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tseeds\tfailures\tsteps\tvirtual time\twall time\tsteps/s\t")
	var total summary
	for _, s := range sums {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%v\t%v\t%.0f\t\n", s.scenario, s.seeds, s.failures, s.steps,
			s.virtual.Round(time.Millisecond), s.wall.Round(time.Millisecond), perSecond(float64(s.steps), s.wall))
		total.seeds += s.seeds
		total.failures += s.failures
		total.steps += s.steps
		total.events += s.events
		total.virtual += s.virtual
		total.wall += s.wall
	}
	if len(sums) > 1 {
		fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%v\t%v\t%.0f\t\n", total.seeds, total.failures, total.steps,
			total.virtual.Round(time.Millisecond), total.wall.Round(time.Millisecond), perSecond(float64(total.steps), total.wall))
	}
	tw.Flush()
	profile := o.profile
	if len(sums) == 1 && !o.profileSet {
		if _, own, ok := canaryScenario(sums[0].scenario); ok {
			profile = own(sums[0].firstSeed).Name + " (the canary's own)"
		}
	}
	fmt.Fprintf(w, "profile %s, scheduler %s\n", profile, o.scheduler)
	for _, s := range sums {
		if s.seeds > 0 {
			fmt.Fprintf(w, "%s: first seed %d fingerprint %016x\n", s.scenario, s.firstSeed, s.firstPrint)
		}
	}
	if o.bench {
		cores := float64(o.parallel)
		fmt.Fprintf(w, "bench: %.0f events/s (%.0f per core), %.1f seeds/s (%.1f per core), virtual/wall time %.0f×\n",
			perSecond(float64(total.events), total.wall), perSecond(float64(total.events), total.wall)/cores,
			perSecond(float64(total.seeds), total.wall), perSecond(float64(total.seeds), total.wall)/cores,
			float64(total.virtual)/float64(max(total.wall, 1)))
	}
}

func perSecond(n float64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return n / d.Seconds()
}
