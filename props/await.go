package props

import (
	"time"

	"github.com/actorio/actorio/sim"
	"github.com/pkg/errors"
)

// LivenessBound is how long after the heal (or the start, with no faults)
// a workload's accepted operations may take to complete.
const LivenessBound = 30 * time.Second

// runUntilDone runs w until done holds. It is a liveness failure if the
// World goes quiet first, or if done does not hold LivenessBound after the
// profile's heal (or after the start, when the profile never heals).
func runUntilDone(w *sim.World, what string, done func() bool) error {
	deadline := w.Profile().FaultTime.D() + LivenessBound
	res, err := w.Run(sim.UntilTrue(done), sim.Until(deadline))
	if err != nil {
		return err
	}
	switch res.Reason {
	case sim.Condition:
		return nil
	case sim.Quiescent:
		return errors.Errorf("liveness: %s stuck at %v: nothing left to run", what, res.Now)
	default:
		return errors.Errorf("liveness: %s not done %v after the heal (at %v, %s)", what, LivenessBound, res.Now, res.Reason)
	}
}
