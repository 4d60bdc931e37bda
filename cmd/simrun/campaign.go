package main

import (
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/actorio/actorio/sim"
)

// summary is one scenario's row in the final table.
type summary struct {
	scenario   string
	seeds      int
	failures   int
	steps      int64
	virtual    time.Duration
	wall       time.Duration
	firstSeed  uint64
	firstPrint uint64
}

// result is one seed's outcome plus, with -check-determinism, the
// divergence between its two runs.
type result struct {
	out sim.Outcome
	div *sim.Divergence
}

// campaign runs every seed of sc, o.parallel at a time, and reports
// failures as they are found in seed order.
func campaign(sc sim.Scenario, o *options, w io.Writer) summary {
	start := time.Now()
	seeds := make([]uint64, o.seeds)
	for i := range seeds {
		seeds[i] = o.seed + uint64(i)
	}
	results := make([]result, len(seeds))
	single := len(seeds) == 1
	var wg sync.WaitGroup
	next := make(chan int)
	for p := 0; p < min(o.parallel, len(seeds)); p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = runSeed(sc, seeds[i], o, single)
			}
		}()
	}
	for i := range seeds {
		next <- i
	}
	close(next)
	wg.Wait()

	s := summary{scenario: sc.Name, seeds: len(seeds), wall: time.Since(start), firstSeed: seeds[0], firstPrint: results[0].out.Fingerprint}
	for _, r := range results {
		s.steps += r.out.Steps
		s.virtual += r.out.VirtualTime
		if o.verbose {
			status := "ok"
			if r.out.Err != nil || r.div != nil {
				status = "FAIL"
			}
			fmt.Fprintf(w, "%s seed %d: %s fingerprint %016x steps %d virtual %v\n",
				sc.Name, r.out.Seed, status, r.out.Fingerprint, r.out.Steps, r.out.VirtualTime)
		}
		if single && o.verbose {
			for _, e := range r.out.Events {
				fmt.Fprintln(w, e)
			}
		}
		if r.out.Err == nil && r.div == nil {
			continue
		}
		s.failures++
		if r.out.Err != nil {
			fmt.Fprintf(w, "FAIL %s seed %d: %v\n", sc.Name, r.out.Seed, r.out.Err)
		}
		if r.div != nil {
			fmt.Fprintf(w, "FAIL %s: %v\n", sc.Name, r.div)
		}
		fmt.Fprintf(w, "  replay: go run ./cmd/simrun -scenario %s -seed %d -v\n", sc.Name, r.out.Seed)
	}
	return s
}

func runSeed(sc sim.Scenario, seed uint64, o *options, record bool) result {
	if o.determinism {
		out, div := sim.CheckDeterminism(sc, seed)
		return result{out: out, div: div}
	}
	var opts []sim.Option
	if record && o.verbose {
		opts = append(opts, sim.WithRecording())
	}
	return result{out: sim.RunScenario(sc, seed, opts...)}
}

func printSummary(w io.Writer, sums []summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tseeds\tfailures\tsteps\tvirtual time\twall time\tsteps/s\t")
	for _, s := range sums {
		rate := 0.0
		if s.wall > 0 {
			rate = float64(s.steps) / s.wall.Seconds()
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%v\t%v\t%.0f\t\n", s.scenario, s.seeds, s.failures, s.steps,
			s.virtual.Round(time.Millisecond), s.wall.Round(time.Millisecond), rate)
	}
	tw.Flush()
	for _, s := range sums {
		fmt.Fprintf(w, "%s: first seed %d fingerprint %016x\n", s.scenario, s.firstSeed, s.firstPrint)
	}
}
