package props

import (
	"testing"

	"pgregory.net/rapid"
)

// TestActorMachine: the stream actors in the simulator, rapid drawing the
// interleaving seed and the calls.
func TestActorMachine(t *testing.T) { rapid.Check(t, CheckActorMachine) }
