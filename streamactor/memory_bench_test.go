package streamactor_test

import (
	"context"
	"errors"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/benchcmp"
	"github.com/actorio/actorio/streamactor"
)

// BenchmarkIdleStreamMemory: the memory an idle stream (New, nothing sent)
// costs, as B/stream over 1,000 of them.
func BenchmarkIdleStreamMemory(b *testing.B) {
	const n = 1000
	sys := actors.New()
	defer sys.Close(context.Background())
	benchcmp.MemPer(b, n, "B/stream", func() func() {
		sts := make([]*streamactor.Stream, n)
		for j := range sts {
			st, err := streamactor.New(sys)
			if err != nil {
				b.Fatal(err)
			}
			sts[j] = st
		}
		return func() {
			for _, st := range sts {
				_ = st.Abort(context.Background())
				st.Free()
			}
		}
	})
}

// BenchmarkStalledConsumerMemory: a pipe whose consumer never reads, fed
// until the producer blocks: the memory the stream holds, as a multiple of
// its window (the stream's own count, and the heap it grew by).
func BenchmarkStalledConsumerMemory(b *testing.B) {
	const window = 1 << 20
	sys := actors.New()
	defer sys.Close(context.Background())
	var ratio, heapRatio float64
	for i := 0; i < b.N; i++ {
		w, r, err := streamactor.Pipe(sys, streamactor.Window(window), streamactor.NonBlock())
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		chunk := make([]byte, 64<<10)
		before := benchcmp.MemInUse()
		for sent := 0; ; sent++ {
			if _, err := w.Send(ctx, chunk); errors.Is(err, streamactor.ErrWouldBlock) {
				break // the window is full
			} else if err != nil || sent > 10*window/len(chunk) {
				b.Fatalf("after %d chunks: %v (the window does not hold)", sent, err)
			}
		}
		st, err := r.Stats(ctx)
		if err != nil {
			b.Fatal(err)
		}
		ratio = float64(st.Outstanding) / window
		heapRatio = float64(benchcmp.MemInUse()-before) / window
		_ = w.Abort(context.Background())
		_ = r.Abort(context.Background())
		w.Free()
		r.Free()
	}
	b.ReportMetric(ratio, "x-window")
	b.ReportMetric(heapRatio, "heap-x-window")
}
