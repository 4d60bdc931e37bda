package main

import (
	"context"
	"fmt"
	"io"
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

// campaign runs every seed of sc, o.parallel at a time, and reports
// failures in seed order once all have run. Once ctx ends (an interrupt)
// it starts no more seeds: it reports those that ran.
func campaign(ctx context.Context, sc sim.Scenario, o *options, w, progress io.Writer) summary {
	start := time.Now()
	seeds := make([]uint64, o.seeds)
	for i := range seeds {
		seeds[i] = o.seed + uint64(i)
	}
	results := make([]result, len(seeds))
	single := len(seeds) == 1
	var done, failed atomic.Int64
	stop := startProgress(o, progress, sc.Name, len(seeds), &done, &failed, start)
	var wg sync.WaitGroup
	next := make(chan int)
	for p := 0; p < min(o.parallel, len(seeds)); p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = runSeed(sc, seeds[i], o, single)
				done.Add(1)
				if results[i].out.Err != nil || results[i].div != nil {
					failed.Add(1)
				}
			}
		}()
	}
	started := 0
	for ; started < len(seeds) && ctx.Err() == nil; started++ {
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

	s := summary{scenario: sc.Name, seeds: started, planned: len(seeds), wall: time.Since(start),
		firstSeed: seeds[0], firstPrint: results[0].out.Fingerprint}
	for _, r := range results[:started] {
		s.steps += r.out.Steps
		s.events += r.out.Events
		s.virtual += r.out.VirtualTime
		if o.verbose {
			status := "ok"
			if r.out.Err != nil || r.div != nil {
				status = "FAIL"
			}
			fmt.Fprintf(w, "%s seed %d: %s fingerprint %016x steps %d virtual %v\n",
				sc.Name, r.out.Seed, status, r.out.Fingerprint, r.out.Steps, r.out.VirtualTime)
			if single {
				fmt.Fprintf(w, "  profile: %v\n", r.out.Profile)
				for _, e := range r.out.Trace {
					fmt.Fprintln(w, e)
				}
			}
		}
		if r.out.Err == nil && r.div == nil {
			continue
		}
		s.failures++
		reportFailure(ctx, w, sc, r, o)
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
