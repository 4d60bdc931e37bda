package streamactor_test

import (
	"context"
	"io"
	"runtime"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/benchcmp"
	"github.com/actorio/actorio/streamactor"
)

const benchChunk = 256 << 10

// BenchmarkSendRecv256K: blocking Send/Recv of 256 KiB chunks through a
// pipe, against io.Pipe with the same chunks, in the same run. It also
// reports ours-allocs/op: heap allocations per chunk of ours alone.
func BenchmarkSendRecv256K(b *testing.B) {
	sys := actors.New()
	defer sys.Close(context.Background())
	ctx := context.Background()
	w, r, err := streamactor.Pipe(sys)
	if err != nil {
		b.Fatal(err)
	}
	src := make([]byte, benchChunk)
	dst := make([]byte, benchChunk)
	pr, pw := io.Pipe()
	var allocs uint64
	var ms runtime.MemStats
	b.SetBytes(benchChunk)
	// warm up the pools
	ours := func(n int) {
		done := make(chan error, 1)
		go func() {
			for i := 0; i < n; i++ {
				if _, err := w.Send(ctx, src); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		for got := 0; got < n*benchChunk; {
			k, err := r.Recv(ctx, dst)
			if err != nil {
				b.Fatal(err)
			}
			got += k
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	base := func(n int) {
		done := make(chan error, 1)
		go func() {
			for i := 0; i < n; i++ {
				if _, err := pw.Write(src); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		for got := 0; got < n*benchChunk; {
			k, err := pr.Read(dst)
			if err != nil {
				b.Fatal(err)
			}
			got += k
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	// Allocations per chunk in steady state: one long run after a warm-up
	// (the harness's goroutine and channel per run are a constant).
	ours(256)
	runtime.ReadMemStats(&ms)
	before := ms.Mallocs
	ours(4096)
	runtime.ReadMemStats(&ms)
	allocs = ms.Mallocs - before
	b.ResetTimer()
	benchcmp.Compare(b, ours, base)
	b.ReportMetric(float64(allocs)/4096, "ours-allocs/op")
	finished := make(chan error, 1)
	go func() { finished <- w.Finish(ctx) }() // it waits for the receiver's
	if n, err := r.Recv(ctx, dst); n != 0 || err != io.EOF {
		b.Fatalf("Recv after the sender's Finish: %d, %v", n, err)
	}
	if err := r.Finish(ctx); err != nil {
		b.Fatal(err)
	}
	if err := <-finished; err != nil {
		b.Fatal(err)
	}
	_ = w.Free()
	_ = r.Free()
	pw.Close()
}
