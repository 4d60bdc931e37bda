// Package benchcmp runs a benchmark workload and its baseline in the same
// run, alternately, so that both see the same machine conditions, and
// reports both costs and their ratio. It is for tests only.
package benchcmp

import (
	"runtime"
	"testing"
	"time"
)

// Rounds is how many alternating slices each side's b.N is split into.
const Rounds = 8

// Compare runs ours and base for b.N operations each, alternating in
// Rounds slices, and reports:
//
//	ours-ns/op  the cost of one operation of ours
//	base-ns/op  the cost of one operation of the baseline
//	x-base      base-ns/op ÷ ours-ns/op: our throughput as a fraction of
//	            the baseline's (1 means as fast; 0.5 half as fast)
//
// Each function runs n operations; it may do untimed set-up with
// b.StopTimer/b.StartTimer.
func Compare(b *testing.B, ours, base func(n int)) {
	b.Helper()
	var tOurs, tBase time.Duration
	done := 0
	for r := 0; r < Rounds; r++ {
		n := b.N / Rounds
		if r < b.N%Rounds {
			n++
		}
		if n == 0 {
			continue
		}
		// b.Elapsed, not the wall clock: it leaves out what a side
		// does between b.StopTimer and b.StartTimer (its set-up), as
		// this function's contract says.
		start := b.Elapsed()
		ours(n)
		tOurs += b.Elapsed() - start
		start = b.Elapsed()
		base(n)
		tBase += b.Elapsed() - start
		done += n
	}
	if done == 0 {
		return
	}
	o := float64(tOurs.Nanoseconds()) / float64(done)
	s := float64(tBase.Nanoseconds()) / float64(done)
	b.ReportMetric(o, "ours-ns/op")
	b.ReportMetric(s, "base-ns/op")
	if o > 0 {
		b.ReportMetric(s/o, "x-base")
	}
}

// MemInUse returns the live heap plus goroutine stacks after two full
// collections: what a set of idle objects costs is measured as the
// difference of two readings divided by their number. Stacks count
// because a real socket's or connection's cost includes its goroutines.
func MemInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc + m.StackInuse)
}

// MemPer measures what each of n idle things costs: in each of b.N
// rounds, build makes the n things and returns how to end them, and the
// cost is MemInUse after build minus before, divided by n. It reports the
// last round's figure as unit (B/stream, say).
func MemPer(b *testing.B, n int, unit string, build func() (end func())) {
	var per float64
	for i := 0; i < b.N; i++ {
		before := MemInUse()
		end := build()
		per = float64(MemInUse()-before) / float64(n)
		end()
	}
	b.ReportMetric(per, unit)
}
