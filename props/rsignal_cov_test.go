package props

import (
	"github.com/actorio/actorio/actors"
)

// rsMinShare is, for each path rsCoverage names, the least share of the
// swarm seeds of TestRemoteSignalScenario that must reach it, so that a
// change of the workload, the scenario's cut or the swarm that makes a
// path rare fails a test instead of leaving its checks idle. The seeds are
// fixed, so the counts are too; the bounds leave room below today's
// (40/40, 40/40, 16/40, 25/40, 25/40, 33/40). A connection made again
// after a loss was on 5 of those 40 seeds (23 of 500) before the scenario
// cut a subscriber off itself (rsignal_cut.go).
var rsMinShare = map[string]float64{
	"RS4 remote survivor":                          1,
	"RS2/RS3 remote connection with 2+ deliveries": 1,
	"RS4 remote survivor made again after a loss":  0.25,
	"RS4 remote survivor on a restarted node":      0.25,
	"RS5 a crashed incarnation":                    0.25,
	"RS6 a loss of a crashed or lost connection":   0.5,
}

// rsCoverage names what the end-of-run checks of a finished report had
// something to check on, as the run's own CheckRemoteSignal saw it: a
// check with nothing to look at passes whatever the code does.
func rsCoverage(rep *RemoteSignalReport) map[string]bool {
	out := map[string]bool{}
	for _, c := range survivors(rep) {
		if !c.Remote {
			continue
		}
		out["RS4 remote survivor"] = true
		if c.Inc > 1 {
			out["RS4 remote survivor on a restarted node"] = true
		}
		if c.Again {
			out["RS4 remote survivor made again after a loss"] = true
		}
	}
	for _, k := range actors.SortedKeys(rep.Conns) {
		if c := rep.Conns[k]; c.Remote && len(c.Rec.Got[string(c.Handle)]) >= 2 {
			out["RS2/RS3 remote connection with 2+ deliveries"] = true
		}
	}
	for _, node := range actors.SortedKeys(rep.Epochs) {
		if len(rep.Epochs[node]) > 1 {
			out["RS5 a crashed incarnation"] = true
		}
	}
	for _, l := range rep.Losses {
		for _, k := range actors.SortedKeys(rep.Conns) {
			c := rep.Conns[k]
			if c.Remote && c.Handle == l.Conn && rep.Epochs[c.Node][c.Inc-1] == l.Epoch && (c.Crashed || c.Lost != nil) {
				out["RS6 a loss of a crashed or lost connection"] = true
			}
		}
	}
	return out
}
