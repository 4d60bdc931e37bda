package signalbus

import (
	"strconv"
	"testing"
)

// TestForgottenPeersBounded: the server's memory of forgotten clients'
// incarnations is bounded (the oldest go first), is consumed by the next
// record or a Terminated, and tells a new record whether it follows
// another incarnation.
func TestForgottenPeersBounded(t *testing.T) {
	var f forgottenPeers
	for i := 0; i < 3*maxForgotten; i++ {
		f.note("n/"+strconv.Itoa(i), uint64(i))
		if i%2 == 0 {
			f.drop("n/" + strconv.Itoa(i)) // a Terminated about it
		}
	}
	if f.size() > maxForgotten || f.epochs.Refs() > 2*maxForgotten+16 {
		t.Fatalf("%d clients remembered, %d in order; at most %d", f.size(), f.epochs.Refs(), maxForgotten)
	}
	last := "n/" + strconv.Itoa(3*maxForgotten-1)
	if !f.follows(last, 1) {
		t.Fatal("a new incarnation's record does not follow the forgotten one")
	}
	if f.follows(last, 1) {
		t.Fatal("the forgotten incarnation was not consumed by the next record")
	}
	f.note("same", 7)
	if f.follows("same", 7) {
		t.Fatal("the same incarnation's next record taken as following another")
	}
	for i := 0; i < 2*maxForgotten; i++ {
		f.note("flood/"+strconv.Itoa(i), 1)
	}
	if f.size() != maxForgotten || f.follows("n/1", 0) {
		t.Fatalf("after a flood: %d remembered, the oldest kept", f.size())
	}
}

// size is how many clients are remembered.
func (f *forgottenPeers) size() int { return f.epochs.Len() }
