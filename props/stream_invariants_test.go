package props

import "testing"

// TestStreamInvariantsComplete: all 32 invariants of research §4 are
// accounted for, once each, in order.
func TestStreamInvariantsComplete(t *testing.T) {
	if len(StreamInvariants) != 32 {
		t.Fatalf("%d invariants listed, want 32", len(StreamInvariants))
	}
	for i, inv := range StreamInvariants {
		if inv.N != i+1 || inv.Text == "" || inv.Where == "" {
			t.Errorf("entry %d: %+v", i, inv)
		}
	}
}

// TestSignalInvariantsComplete: all 30 invariants of research/qapi-events.md
// §5 are accounted for, once each, in order.
func TestSignalInvariantsComplete(t *testing.T) {
	if len(SignalInvariants) != 30 {
		t.Fatalf("%d invariants listed, want 30", len(SignalInvariants))
	}
	for i, inv := range SignalInvariants {
		if inv.N != i+1 || inv.Text == "" || inv.Where == "" {
			t.Errorf("entry %d: %+v", i, inv)
		}
	}
}
