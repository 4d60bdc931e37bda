package goid

import "testing"

// TestGet: an id is not 0, the same on one goroutine, and differs on
// another.
func TestGet(t *testing.T) {
	a, b := Get(), Get()
	other := make(chan uint64)
	go func() { other <- Get() }()
	c := <-other
	if a == 0 || a != b || c == 0 || c == a {
		t.Fatalf("ids %d, %d on one goroutine, %d on another", a, b, c)
	}
}
