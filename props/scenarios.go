package props

import (
	"sort"

	"github.com/actorio/actorio/sim"
)

// Scenarios returns every built-in scenario, sorted by name.
func Scenarios() []sim.Scenario {
	all := []sim.Scenario{
		Pingpong(DefaultPingpong),
		Handoff(DefaultHandoff),
		KV(DefaultKV),
		Counter(DefaultCounter),
		Socket(DefaultSocket),
		Signal(DefaultSignal),
		Stream(DefaultStream),
		RemoteStream(DefaultRemoteStream),
		RemoteSignal(DefaultRemoteSignal),
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all
}
