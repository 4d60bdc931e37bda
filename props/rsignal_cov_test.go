package props

import (
	"github.com/actorio/actorio/actors"
)

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
