package props

import (
	"testing"

	"pgregory.net/rapid"
)

// TestCoreMachine: the pure core against the extent model and §4.
func TestCoreMachine(t *testing.T) { rapid.Check(t, CheckCoreMachine) }
