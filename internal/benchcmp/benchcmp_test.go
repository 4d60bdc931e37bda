package benchcmp

import (
	"flag"
	"testing"
	"time"
)

// TestCompareLeavesOutStoppedTime: what a side does with the timer
// stopped (its set-up) is not its cost, as Compare's contract says. Both
// sides here take 2 ms per operation, ours all of it with the timer
// stopped: ours must cost next to nothing. Compare timed each side with
// the wall clock, so both cost 2 ms and x-base read 1 (sparsecopy's
// benchmarks remove a 4 GiB DST that way before every copy).
func TestCompareLeavesOutStoppedTime(t *testing.T) {
	bt := flag.Lookup("test.benchtime")
	old := bt.Value.String()
	if err := bt.Value.Set("16x"); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = bt.Value.Set(old) }()
	res := testing.Benchmark(func(b *testing.B) {
		Compare(b,
			func(n int) {
				for i := 0; i < n; i++ {
					b.StopTimer()
					time.Sleep(2 * time.Millisecond)
					b.StartTimer()
				}
			},
			func(n int) {
				for i := 0; i < n; i++ {
					time.Sleep(2 * time.Millisecond)
				}
			})
	})
	ours, base := res.Extra["ours-ns/op"], res.Extra["base-ns/op"]
	if base < float64(2*time.Millisecond) || ours > base/4 {
		t.Fatalf("ours-ns/op %.0f, base-ns/op %.0f: ours counted its stopped time", ours, base)
	}
}
