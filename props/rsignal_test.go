package props

import (
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
)

// TestRemoteSignalScenario: swarm seeds (as simrun runs them) hold the
// invariants, and the end-of-run checks have something to check, on at
// least the share of seeds rsMinShare says: every seed ends with remote
// connections that get the tail (RS4); a good share of them survived a
// restart of their node, or were made again after a loss; many seeds
// have losses for RS6 to count.
func TestRemoteSignalScenario(t *testing.T) {
	const seeds = 40
	count := map[string]int{}
	for seed := uint64(1); seed <= seeds; seed++ {
		sc := RemoteSignal(DefaultRemoteSignal)
		sc.Run = func(w *sim.World) error {
			rep, err := RunRemoteSignal(w, DefaultRemoteSignal)
			if err != nil {
				return err
			}
			for what := range rsCoverage(rep) { //detguard:unordered counts
				count[what]++
			}
			return CheckRemoteSignal(DefaultRemoteSignal, rep)
		}
		if out := sim.RunScenario(sc, seed, sim.WithProfile(sim.Swarm(seed))); out.Err != nil {
			t.Fatalf("seed %d (%v): %v", seed, sim.Swarm(seed), out.Err)
		}
	}
	for _, what := range actors.SortedKeys(rsMinShare) {
		if want := int(math.Ceil(rsMinShare[what] * seeds)); count[what] < want {
			t.Errorf("%s on %d of %d seeds, want at least %d", what, count[what], seeds, want)
		}
	}
	t.Logf("coverage over %d swarm seeds: %v", seeds, count)
}

// TestRemoteSignalScenarioDeterministic: same seed, same run.
func TestRemoteSignalScenarioDeterministic(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		if out, d := sim.CheckDeterminism(RemoteSignal(DefaultRemoteSignal), seed, sim.WithProfile(sim.Swarm(seed))); d != nil || out.Err != nil {
			t.Fatalf("seed %d: %v %v", seed, d, out.Err)
		}
	}
}

// crashy is the remote-signal crash profile.
func crashy() sim.Profile { return RemoteSignalCrashes() }

// goodRemoteReport runs the workload under crashy faults and returns a
// report the checker accepts.
func goodRemoteReport(t *testing.T, seed uint64) *RemoteSignalReport {
	t.Helper()
	var rep *RemoteSignalReport
	sc := RemoteSignal(DefaultRemoteSignal)
	sc.Run = func(w *sim.World) error {
		var err error
		rep, err = RunRemoteSignal(w, DefaultRemoteSignal)
		return err
	}
	if out := sim.RunScenario(sc, seed, sim.WithProfile(crashy())); out.Err != nil {
		t.Fatal(out.Err)
	}
	if err := CheckRemoteSignal(DefaultRemoteSignal, rep); err != nil {
		t.Fatalf("good report rejected: %v", err)
	}
	return rep
}

// TestCheckRemoteSignalCanFail: each invariant's check rejects a report
// broken in its way.
func TestCheckRemoteSignalCanFail(t *testing.T) {
	remoteWith := func(rep *RemoteSignalReport, ok func(*RemoteConn, []Seen) bool) (*RemoteConn, []Seen) {
		for _, k := range actors.SortedKeys(rep.Conns) {
			c := rep.Conns[k]
			if seen := c.Rec.Got[string(c.Handle)]; c.Remote && ok(c, seen) {
				return c, seen
			}
		}
		return nil, nil
	}
	breaks := map[string]func(*RemoteSignalReport) bool{
		"RS2": func(r *RemoteSignalReport) bool {
			_, seen := remoteWith(r, func(_ *RemoteConn, s []Seen) bool { return len(s) > 0 })
			seen[len(seen)-1].Seq += 1000
			return true
		},
		"RS3": func(r *RemoteSignalReport) bool {
			c, seen := remoteWith(r, func(c *RemoteConn, s []Seen) bool {
				return c.Policy == signalbus.DropOldest && len(s) >= 3 && s[1].Dropped == 0 && s[2].Dropped == 0
			})
			if c == nil {
				return false
			}
			c.Rec.Got[string(c.Handle)] = append(seen[:1:1], seen[2:]...)
			return true
		},
		"RS4": func(r *RemoteSignalReport) bool {
			for _, c := range survivors(r) {
				seen := c.Rec.Got[string(c.Handle)]
				if c.Remote && len(seen) > 0 {
					c.Rec.Got[string(c.Handle)] = seen[:len(seen)-1]
					return true
				}
			}
			return false
		},
		"RS5": func(r *RemoteSignalReport) bool {
			r.Signals["PlainEvent"]["c999999"] = true
			return true
		},
		"RS6": func(r *RemoteSignalReport) bool {
			for i, l := range r.Losses {
				for _, c := range r.Conns {
					if c.Remote && c.Handle == l.Conn && r.Epochs[c.Node][c.Inc-1] == l.Epoch &&
						uint64(len(c.Rec.Got[string(c.Handle)])) < l.Sent {
						r.Losses[i].InFlight = 0 // the slot missed some: uncounted now
						return true
					}
				}
			}
			return false
		},
		"RS7": func(r *RemoteSignalReport) bool {
			r.Witness["PlainEvent"][0].Dropped = 1
			return true
		},
	}
	// Seeds are tried until one gives a report to break (RS3 and RS6 need
	// the right random draws; today seed 1 gives every one). RS4's remote
	// survivors are on every seed: once the report is no longer changed by
	// the world's Close (TestRemoteSignalReportFrozen), which had made
	// them look rare.
	for _, name := range actors.SortedKeys(breaks) {
		broken := false
		for seed := uint64(1); seed <= 3 && !broken; seed++ {
			rep := goodRemoteReport(t, seed)
			if !breaks[name](rep) {
				continue
			}
			broken = true
			err := CheckRemoteSignal(DefaultRemoteSignal, rep)
			if err == nil || !strings.Contains(err.Error(), name+":") {
				t.Errorf("%s not detected: %v", name, err)
			}
		}
		if !broken {
			t.Errorf("%s: no seed gave a report to break", name)
		}
	}
}

// TestRemoteSignalCanaries: the planted bugs are caught: a Disconnect
// that does not close the connection at once (I7, on a subscriber node),
// a client that hands duplicates to the slot (I4), a server that does not
// count what was in flight to a dead node (RS6).
func TestRemoteSignalCanaries(t *testing.T) {
	lossy := sim.Profile{Name: "lossy", FaultTime: sim.Duration(2500 * time.Millisecond),
		Net: sim.NetFaults{LatencyMin: sim.Duration(time.Millisecond), LatencyMax: sim.Duration(10 * time.Millisecond), Duplicate: 0.05, Drop: 0.02}}
	for _, tc := range []struct {
		canary string
		prof   sim.Profile
		want   *regexp.Regexp
	}{
		{signalbus.CanaryDeliverAfterDisconnect, sim.NoFaults(), regexp.MustCompile(`b\d+#\d+: signal: I7: `)},
		{signalbus.CanaryRemoteDuplicate, lossy, regexp.MustCompile(`b\d+#\d+: signal: .*I4: c\d+ got emission \d+ twice`)},
		{signalbus.CanaryRemoteUncounted, crashy(), regexp.MustCompile(`RS6: b\d+#\d+/c\d+: the server sent \d+, the slot saw \d+, but only 0 counted in flight`)},
	} {
		found := false
		for seed := uint64(1); seed <= 20 && !found; seed++ {
			sc := RemoteSignal(DefaultRemoteSignal)
			sc.Options = append(sc.Options, sim.WithCanary(tc.canary))
			out := sim.RunScenario(sc, seed, sim.WithProfile(tc.prof))
			if out.Err == nil {
				continue
			}
			found = tc.want.MatchString(out.Err.Error())
			if !found {
				t.Logf("canary %s, seed %d failed otherwise: %v", tc.canary, seed, out.Err)
			}
		}
		if !found {
			t.Errorf("canary %s not caught in 20 seeds", tc.canary)
		}
	}
}

// TestRemoteSignalReportFrozen: the report RunRemoteSignal returns is
// the run's, and stays so: the world's Close stops node a's server, and
// the subscribers' OnLost must not then mark the surviving connections
// lost (else a check or a test that looks at the report after the run
// sees no survivors, and RS4 nothing to check).
func TestRemoteSignalReportFrozen(t *testing.T) {
	for _, prof := range []sim.Profile{sim.NoFaults(), crashy()} {
		var rep *RemoteSignalReport
		var during []string
		sc := RemoteSignal(DefaultRemoteSignal)
		sc.Run = func(w *sim.World) error {
			var err error
			if rep, err = RunRemoteSignal(w, DefaultRemoteSignal); err != nil {
				return err
			}
			for _, c := range survivors(rep) {
				during = append(during, c.Key)
			}
			return nil
		}
		if out := sim.RunScenario(sc, 1, sim.WithProfile(prof)); out.Err != nil {
			t.Fatal(out.Err)
		}
		var after []string
		for _, c := range survivors(rep) {
			after = append(after, c.Key)
		}
		if len(during) == 0 || strings.Join(during, " ") != strings.Join(after, " ") {
			t.Errorf("%s: survivors at the end of the run %v, after the world closed %v", prof.Name, during, after)
		}
	}
}
