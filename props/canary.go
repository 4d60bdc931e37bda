package props

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
)

// A Canary is a planted bug of known depth in a workload, with the faults
// it needs to show. Canaries prove the checkers can fail and measure how
// fast each scheduler finds a bug (seeds to failure). They exist only
// here, never in Scenarios(): the correct workload is the scenario, the
// buggy one the canary.
type Canary struct {
	Name string
	// Depth is the number of ordering or fault constraints the bug needs.
	Depth    int
	Scenario sim.Scenario
	// Profile gives the faults of seed (the same for every scheduler).
	Profile func(seed uint64) sim.Profile
	// Steps estimates the steps of one run, for PCT's change points.
	Steps int64
}

func ms(n int) sim.Duration { return sim.Duration(time.Duration(n) * time.Millisecond) }

// Canaries returns every canary, sorted by name.
func Canaries() []Canary {
	noFaults := func(uint64) sim.Profile { return sim.NoFaults() }
	all := []Canary{
		{
			Name: "reorder", Depth: 2, Steps: 40,
			Scenario: Handoff(HandoffConfig{Chain: DefaultHandoff.Chain, Halfway: DefaultHandoff.Halfway, Bug: true}),
			Profile:  noFaults,
		},
		{
			Name: "lost-ack", Depth: 2, Steps: 600,
			Scenario: KV(withBug(DefaultKV)),
			Profile: func(uint64) sim.Profile {
				return sim.Profile{Name: "crashes", FaultTime: ms(1000),
					Crashes: &sim.CrashFaults{Every: ms(40), DownMin: ms(5), DownMax: ms(20)}}
			},
		},
		{
			Name: "retry-dup", Depth: 2, Steps: 600,
			Scenario: Counter(CounterConfig{Increments: DefaultCounter.Increments, Timeout: DefaultCounter.Timeout, Bug: true}),
			Profile: func(uint64) sim.Profile {
				return sim.Profile{Name: "lossy", FaultTime: ms(1000),
					Net:        sim.NetFaults{LatencyMin: ms(1), LatencyMax: ms(5), Drop: 0.03},
					Partitions: &sim.PartitionFaults{Every: ms(150), Min: ms(10), Max: ms(60), OneWay: 0.5}}
			},
		},
		{
			Name: "stream-window", Depth: 2, Steps: 4000,
			Scenario: streamCanary(),
			Profile:  noFaults,
		},
		{
			Name: "signal-after-disconnect", Depth: 2, Steps: 4000,
			Scenario: signalCanary(),
			Profile:  noFaults,
		},
		{
			Name: "remote-stream-skip-gaps", Depth: 2, Steps: 1300,
			Scenario: canaryOf(RemoteStream(DefaultRemoteStream), remote.CanarySkipGaps),
			Profile: func(uint64) sim.Profile {
				return sim.Profile{Name: "lossy", FaultTime: ms(1000),
					Net: sim.NetFaults{LatencyMin: ms(1), LatencyMax: ms(5), Drop: 0.03}}
			},
		},
		{
			Name: "remote-signal-after-disconnect", Depth: 2, Steps: 6000,
			Scenario: canaryOf(RemoteSignal(DefaultRemoteSignal), signalbus.CanaryDeliverAfterDisconnect),
			Profile:  noFaults,
		},
		{
			Name: "remote-signal-duplicate", Depth: 2, Steps: 6000,
			Scenario: canaryOf(RemoteSignal(DefaultRemoteSignal), signalbus.CanaryRemoteDuplicate),
			Profile: func(uint64) sim.Profile {
				return sim.Profile{Name: "lossy", FaultTime: ms(2500),
					Net: sim.NetFaults{LatencyMin: ms(1), LatencyMax: ms(10), Duplicate: 0.05, Drop: 0.02}}
			},
		},
		{
			// A connection that goes silent after a loss, never reported
			// lost: only the end-of-run check that survivors get the
			// tail (RS4) can see it.
			Name: "remote-signal-stall", Depth: 2, Steps: 6000,
			Scenario: canaryOf(RemoteSignal(DefaultRemoteSignal), signalbus.CanaryRemoteStall),
			Profile: func(uint64) sim.Profile {
				return sim.Profile{Name: "lossy", FaultTime: ms(2500),
					Net: sim.NetFaults{LatencyMin: ms(1), LatencyMax: ms(10), Drop: 0.03}}
			},
		},
		{
			Name: "remote-signal-uncounted", Depth: 3, Steps: 6000,
			Scenario: canaryOf(RemoteSignal(DefaultRemoteSignal), signalbus.CanaryRemoteUncounted),
			Profile:  func(uint64) sim.Profile { return RemoteSignalCrashes() },
		},
	}
	slices.SortFunc(all, func(a, b Canary) int { return cmpString(a.Name, b.Name) })
	return all
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func withBug(c KVConfig) KVConfig { c.Bug = true; return c }

// Scheduler names the strategies canaries are measured with.
type Scheduler string

// The schedulers.
const (
	RandomScheduler Scheduler = "random"
	PCTScheduler    Scheduler = "pct"
)

// Options returns the World options that run seed of c under s.
func (c Canary) Options(s Scheduler, seed uint64) []sim.Option {
	opts := []sim.Option{sim.WithProfile(c.Profile(seed))}
	if s == PCTScheduler {
		depth := max(c.Depth, 1)
		opts = append(opts, sim.WithStrategy(func(rng *rand.Rand) sim.Strategy { return sim.NewPCT(rng, depth, c.Steps) }))
	}
	return opts
}

// SeedsToFailure runs seeds first, first+1, … of c under s until one fails,
// at most limit of them; it returns how many ran and whether one failed.
func (c Canary) SeedsToFailure(s Scheduler, first uint64, limit int) (int, bool) {
	for i := 0; i < limit; i++ {
		seed := first + uint64(i)
		if out := sim.RunScenario(c.Scenario, seed, c.Options(s, seed)...); out.Err != nil {
			return i + 1, true
		}
	}
	return limit, false
}

// CanaryStats summarises campaigns of a canary under one scheduler.
type CanaryStats struct {
	Campaigns int
	Found     int     // campaigns that found the bug within the limit
	Median    int     // seeds to failure (the limit for campaigns that did not)
	Mean      float64 // likewise
}

// Measure runs campaigns independent campaigns of c under s (campaign i
// starts at seed CampaignStart(i, limit)), each at most limit seeds.
func (c Canary) Measure(s Scheduler, campaigns, limit int) CanaryStats {
	seeds, found := make([]int, campaigns), make([]bool, campaigns)
	for i := range seeds {
		seeds[i], found[i] = c.SeedsToFailure(s, CampaignStart(i, limit), limit)
	}
	return Summarize(seeds, found)
}

// CampaignStart is the first seed of campaign i of at most limit seeds:
// campaigns far apart, so that they are independent.
func CampaignStart(i, limit int) uint64 { return uint64(i)*uint64(limit)*7919 + 1 }

// Summarize gives the stats of campaigns that took seeds[i] seeds to fail
// (the limit for one that did not) and found[i] whether they failed.
func Summarize(seeds []int, found []bool) CanaryStats {
	st := CanaryStats{Campaigns: len(seeds)}
	sum := 0
	for i, n := range seeds {
		sum += n
		if found[i] {
			st.Found++
		}
	}
	if len(seeds) > 0 {
		counts := slices.Sorted(slices.Values(seeds))
		st.Median = counts[len(counts)/2]
		st.Mean = float64(sum) / float64(len(seeds))
	}
	return st
}

// canaryOf is sc with the planted bug canary switched on.
func canaryOf(sc sim.Scenario, canary string) sim.Scenario {
	sc.Name = "canary-" + sc.Name
	sc.Options = append(slices.Clip(sc.Options), sim.WithCanary(canary))
	return sc
}

// RemoteSignalCrashes is a fault profile for the remote-signal scenario
// with subscriber crashes, lossy links and partitions.
func RemoteSignalCrashes() sim.Profile {
	return sim.Profile{Name: "crashy", FaultTime: ms(2500),
		Net:        sim.NetFaults{LatencyMin: ms(1), LatencyMax: ms(10), Drop: 0.02, Duplicate: 0.02},
		Crashes:    &sim.CrashFaults{Every: ms(400), DownMin: ms(5), DownMax: ms(100)},
		Partitions: &sim.PartitionFaults{Every: ms(500), Min: ms(10), Max: ms(800), OneWay: 0.3}}
}

// signalCanary is the signal scenario with the Disconnect barrier broken
// (signalbus.CanaryDeliverAfterDisconnect).
func signalCanary() sim.Scenario {
	sc := Signal(DefaultSignal)
	sc.Name = "canary-signal-after-disconnect"
	sc.Options = append(sc.Options, sim.WithCanary(signalbus.CanaryDeliverAfterDisconnect))
	return sc
}

// streamCanary is the stream scenario with the receive window one segment
// too large (streamactor.CanaryWindowOffByOne).
func streamCanary() sim.Scenario {
	sc := Stream(DefaultStream)
	sc.Name = "canary-stream-window"
	sc.Options = append(sc.Options, sim.WithCanary(streamactor.CanaryWindowOffByOne))
	return sc
}
