package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/actorio/actorio/sim"
)

// summary is one scenario's row in the final table.
type summary struct {
	scenario   string
	seeds      int // seeds that ran
	planned    int // seeds the campaign was to run (more when interrupted)
	failures   int
	steps      int64
	events     int64
	virtual    time.Duration
	wall       time.Duration
	firstSeed  uint64
	firstPrint uint64
}

// result is one seed's outcome plus, with -check-determinism, the
// divergence between its two runs: in their events or in their outcomes
// (the first run's outcome is kept; the divergence carries both errors,
// so a seed whose second run alone fails is reported too).
type result struct {
	out sim.Outcome
	div *sim.Divergence
}

// seedLine is what -v prints of a seed that ran.
type seedLine struct {
	seed        uint64
	failed      bool
	fingerprint uint64
	steps       int64
	virtual     time.Duration
}

// ran is a seed's outcome as a campaign keeps it: every seed's -v line,
// and the whole result only of a failure (or of the one seed of a
// single-seed run), so that a campaign's memory grows with its failures,
// not its seeds.
type ran struct {
	line seedLine
	r    *result // failures and single seeds only
}

// campaign runs every seed of sc, o.parallel at a time, and reports
// failures in seed order once all have run. Once ctx ends (an interrupt)
// it starts no more seeds: it reports those that ran.
func campaign(ctx context.Context, sc sim.Scenario, o *options, w, progress io.Writer) summary {
	start := time.Now()
	total := o.seeds
	single := total == 1
	s := summary{scenario: sc.Name, planned: total, firstSeed: o.seed}
	var (
		mu   sync.Mutex
		kept []ran // -v lines and failures, in the order they finished
	)
	var done, failed atomic.Int64
	stop := startProgress(o, progress, sc.Name, total, &done, &failed, start)
	var wg sync.WaitGroup
	next := make(chan int)
	for p := 0; p < min(o.parallel, total); p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				seed := o.seed + uint64(i)
				r := runSeed(sc, seed, o, single)
				bad := r.out.Err != nil || r.div != nil
				done.Add(1)
				if bad {
					failed.Add(1)
				}
				k := ran{line: seedLine{seed: seed, failed: bad, fingerprint: r.out.Fingerprint, steps: r.out.Steps, virtual: r.out.VirtualTime}}
				if bad || single {
					k.r = &r
				}
				mu.Lock()
				s.steps += r.out.Steps
				s.events += r.out.Events
				s.virtual += r.out.VirtualTime
				if i == 0 {
					s.firstPrint = r.out.Fingerprint
				}
				if o.verbose || k.r != nil {
					kept = append(kept, k)
				}
				mu.Unlock()
			}
		}()
	}
	started := 0
	for ; started < total && ctx.Err() == nil; started++ {
		select {
		case next <- started:
			continue
		case <-ctx.Done():
		}
		break
	}
	close(next)
	wg.Wait()
	stop()
	s.seeds, s.wall = started, time.Since(start)

	sort.Slice(kept, func(i, j int) bool { return kept[i].line.seed < kept[j].line.seed })
	for _, k := range kept {
		if o.verbose {
			status := "ok"
			if k.line.failed {
				status = "FAIL"
			}
			fmt.Fprintf(w, "%s seed %d: %s fingerprint %016x steps %d virtual %v\n",
				sc.Name, k.line.seed, status, k.line.fingerprint, k.line.steps, k.line.virtual)
			if single {
				fmt.Fprintf(w, "  profile: %v\n", k.r.out.Profile)
				for _, e := range k.r.out.Trace {
					fmt.Fprintln(w, e)
				}
			}
		}
		if k.line.failed {
			s.failures++
			reportFailure(ctx, w, sc, *k.r, o)
		}
	}
	return s
}

func runSeed(sc sim.Scenario, seed uint64, o *options, record bool) result {
	opts := o.worldOptions(sc.Name, seed)
	if o.determinism {
		// CheckDeterminism records both runs; a campaign keeps every
		// seed's result until it reports, so the trace goes unless it is
		// printed (-v with one seed): thousands of seeds' traces took
		// gigabytes.
		out, div := sim.CheckDeterminism(sc, seed, opts...)
		if !record || !o.verbose {
			out.Trace = nil
		}
		return result{out: out, div: div}
	}
	if record && o.verbose {
		opts = append(opts, sim.WithRecording())
	}
	return result{out: sim.RunScenario(sc, seed, opts...)}
}

// startProgress shows a progress line on a terminal until stop is called.
func startProgress(o *options, w io.Writer, name string, total int, done, failed *atomic.Int64, start time.Time) (stop func()) {
	if !o.progress {
		return func() {}
	}
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				fmt.Fprintf(w, "\r\033[K")
				return
			case <-tick.C:
				n := done.Load()
				rate := float64(n) / time.Since(start).Seconds()
				fmt.Fprintf(w, "\r\033[K%s: %d/%d seeds, %d failed, %.0f seeds/s", name, n, total, failed.Load(), rate)
			}
		}
	}()
	return func() { close(quit); <-finished }
}
