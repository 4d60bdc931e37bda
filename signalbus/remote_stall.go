package signalbus

import (
	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
)

// CanaryRemoteStall is the planted bug that leaves a connection alive
// but silent: once the server has had to send deliveries of a connection
// again (the network lost them), it sends nothing more on it, neither
// those deliveries nor later ones. The connection is never reported lost,
// so only a check that survivors get the events emitted after the heal
// (props' RS4) catches it. Only a simulation run with this canary turns
// it on.
const CanaryRemoteStall = "signalbus/remote-stall"

// stalled reports whether the server must not send on connection k: with
// the CanaryRemoteStall canary, once deliveries of k were sent again
// (resent is what this tick sends again), k stays silent.
func (s *server) stalled(c actor.Context, k *sconn, resent int) bool {
	if k.stalled {
		return true
	}
	if resent > 0 && actors.FromContext(c).Canary(CanaryRemoteStall) {
		k.stalled = true
	}
	return k.stalled
}
