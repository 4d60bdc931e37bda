package main

import (
	"fmt"
	"io"
	"sync"
	"text/tabwriter"

	"github.com/actorio/actorio/props"
)

// canaries runs every planted-bug canary under uniform random scheduling
// and under PCT, o.campaigns campaigns each of at most o.limit seeds, and
// prints the seeds to failure. It fails if PCT misses a canary in any
// campaign: then a checker cannot see its bug.
func canaries(o *options, stdout, stderr io.Writer) int {
	all := props.Canaries()
	type row struct {
		c      props.Canary
		random props.CanaryStats
		pct    props.CanaryStats
	}
	rows := make([]row, len(all))
	var wg sync.WaitGroup
	sem := make(chan struct{}, o.parallel)
	for i, c := range all {
		rows[i].c = c
		for _, s := range []props.Scheduler{props.RandomScheduler, props.PCTScheduler} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				st := c.Measure(s, o.campaigns, o.limit)
				if s == props.PCTScheduler {
					rows[i].pct = st
				} else {
					rows[i].random = st
				}
			}()
		}
	}
	wg.Wait()
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "canary\tdepth\trandom found\trandom median\trandom mean\tpct found\tpct median\tpct mean\t\n")
	missed := false
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d/%d\t%d\t%.1f\t%d/%d\t%d\t%.1f\t\n", r.c.Name, r.c.Depth,
			r.random.Found, r.random.Campaigns, r.random.Median, r.random.Mean,
			r.pct.Found, r.pct.Campaigns, r.pct.Median, r.pct.Mean)
		if r.pct.Found < r.pct.Campaigns {
			missed = true
		}
	}
	tw.Flush()
	fmt.Fprintf(stdout, "seeds to failure over %d campaigns of at most %d seeds (a campaign that finds nothing counts %d)\n",
		o.campaigns, o.limit, o.limit)
	if missed {
		fmt.Fprintln(stderr, "simrun: a canary escaped PCT in some campaign: its checker may be blind")
		return 1
	}
	return 0
}
