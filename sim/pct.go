package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// PCT is the probabilistic concurrency testing strategy (Burckhardt et
// al., ASPLOS 2010), at actor granularity: each actor gets a random
// priority the first time it becomes runnable, the highest-priority
// runnable actor always takes the next step, and at depth-1 change points,
// drawn uniformly among the first Steps steps, the actor about to run drops
// below every other. A bug that needs d ordering constraints is found in
// one run with probability at least 1/(n·k^(d-1)) for n actors and k steps,
// where uniform random scheduling gives no such bound.
type PCT struct {
	rng     *rand.Rand
	depth   int
	steps   int64
	prio    map[uint64]int64
	changes []int64 // change points, ascending
	next    int
	step    int64
	low     int64 // the next demoted priority, below every initial one
}

// NewPCT returns a PCT strategy of the given depth (≥ 1) whose change
// points fall within the first steps steps (≥ 1).
func NewPCT(rng *rand.Rand, depth int, steps int64) *PCT {
	depth = max(depth, 1)
	steps = max(steps, 1)
	p := &PCT{rng: rng, depth: depth, steps: steps, prio: map[uint64]int64{}}
	for i := 0; i < depth-1; i++ {
		p.changes = append(p.changes, 1+rng.Int64N(steps))
	}
	slices.Sort(p.changes)
	return p
}

// Name implements Strategy.
func (p *PCT) Name() string { return fmt.Sprintf("pct(d=%d,k=%d)", p.depth, p.steps) }

// Pick implements Strategy.
func (p *PCT) Pick(runnable []*Task) int {
	p.step++
	best := p.highest(runnable)
	for p.next < len(p.changes) && p.changes[p.next] <= p.step {
		p.next++
		p.prio[runnable[best].Key] = p.low
		p.low--
		best = p.highest(runnable)
	}
	return best
}

// highest returns the index of the highest-priority task; ties (tasks of
// no actor, key 0) go to the first.
func (p *PCT) highest(runnable []*Task) int {
	best, bestPrio := 0, int64(0)
	for i, t := range runnable {
		pr, ok := p.prio[t.Key]
		if !ok {
			// Initial priorities lie far above every demoted one.
			pr = 1<<40 + p.rng.Int64N(1<<40)
			p.prio[t.Key] = pr
		}
		if i == 0 || pr > bestPrio {
			best, bestPrio = i, pr
		}
	}
	return best
}
