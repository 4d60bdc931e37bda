package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"text/tabwriter"

	"github.com/actorio/actorio/props"
)

// canarySchedulers are the schedulers every canary is measured under, in
// the table's order.
var canarySchedulers = [...]props.Scheduler{props.RandomScheduler, props.PCTScheduler}

// canaryCell holds the campaigns of one canary under one scheduler: how
// many seeds each took to fail (the limit when it did not), whether it
// failed, and whether it ran at all (an interrupt leaves some unrun).
type canaryCell struct {
	seeds []int
	found []bool
	ran   []bool
}

// stats summarises the campaigns of c that ran (props.Summarize).
func (c *canaryCell) stats() props.CanaryStats {
	var seeds []int
	var found []bool
	for i, ran := range c.ran {
		if ran {
			seeds, found = append(seeds, c.seeds[i]), append(found, c.found[i])
		}
	}
	return props.Summarize(seeds, found)
}

// canaries runs every planted-bug canary under uniform random scheduling
// and under PCT, o.campaigns campaigns each of at most o.limit seeds, and
// prints the seeds to failure. It fails if PCT misses a canary in any
// campaign: then a checker cannot see its bug.
//
// An interrupt stops it as it stops a campaign: the campaigns running
// finish, the table covers those that ran, and it exits 1 if PCT missed
// a canary in one of them, else 130.
func canaries(o *options, stdout, stderr io.Writer) int {
	interrupted, stopSignals := interrupts(stderr, "simrun", "canary campaigns")
	defer stopSignals()
	all := canaryList()
	cells := make([][len(canarySchedulers)]canaryCell, len(all))
	for i := range cells {
		for j := range cells[i] {
			cells[i][j] = canaryCell{seeds: make([]int, o.campaigns), found: make([]bool, o.campaigns), ran: make([]bool, o.campaigns)}
		}
	}
	total := len(all) * len(canarySchedulers) * o.campaigns
	ran := runCanaryCampaigns(interrupted, all, cells, o)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "canary\tdepth\trandom found\trandom median\trandom mean\tpct found\tpct median\tpct mean\t\n")
	missed := false
	for i, c := range all {
		fmt.Fprintf(tw, "%s\t%d\t", c.Name, c.Depth)
		for j := range canarySchedulers {
			st := cells[i][j].stats()
			if st.Campaigns == 0 {
				fmt.Fprintf(tw, "-\t-\t-\t")
				continue
			}
			fmt.Fprintf(tw, "%d/%d\t%d\t%.1f\t", st.Found, st.Campaigns, st.Median, st.Mean)
			if canarySchedulers[j] == props.PCTScheduler && st.Found < st.Campaigns {
				missed = true
			}
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "seeds to failure over %d campaigns of at most %d seeds (a campaign that finds nothing counts %d)\n",
		o.campaigns, o.limit, o.limit)
	if interrupted.Err() != nil {
		fmt.Fprintf(stdout, "INTERRUPTED: %d of %d campaigns ran; the table covers only those\n", ran, total)
	}
	switch {
	case missed:
		fmt.Fprintln(stderr, "simrun: a canary escaped PCT in some campaign: its checker may be blind")
		return 1
	case interrupted.Err() != nil:
		return 130
	}
	return 0
}

// runCanaryCampaigns runs every campaign of every canary under every
// scheduler into cells, o.parallel at once, until they are done or ctx
// ends (then the campaigns running finish and no more start), and
// returns how many ran. They run campaign by campaign (the first of
// every canary under each scheduler, then the second, …), so that an
// interrupted table covers every canary alike.
func runCanaryCampaigns(ctx context.Context, all []props.Canary, cells [][len(canarySchedulers)]canaryCell, o *options) int {
	perCampaign := len(all) * len(canarySchedulers)
	total := perCampaign * o.campaigns
	var next, ran atomic.Int64
	var wg sync.WaitGroup
	for range min(o.parallel, total) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t := int(next.Add(1) - 1)
				if t >= total {
					return
				}
				k, i, j := t/perCampaign, t%perCampaign/len(canarySchedulers), t%len(canarySchedulers)
				n, found := all[i].SeedsToFailure(canarySchedulers[j], props.CampaignStart(k, o.limit), o.limit)
				cell := &cells[i][j]
				cell.seeds[k], cell.found[k], cell.ran[k] = n, found, true
				ran.Add(1)
			}
		}()
	}
	wg.Wait()
	return int(ran.Load())
}
