package streamactor_test

import (
	"testing"

	"github.com/actorio/actorio/streamactor"
)

// TestSendRecvNoAllocs: in steady state a blocking Send and Recv of a
// 256 KiB chunk allocate nothing: reused requests, wake channels and
// envelopes, pooled segments, the hot-path mailbox. (Without -race it is
// exact; under -race sync.Pool drops items on purpose, so the bound is
// looser.)
func TestSendRecvNoAllocs(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	w, r, err := streamactor.Pipe(sys)
	if err != nil {
		t.Fatal(err)
	}
	src, dst := make([]byte, 256<<10), make([]byte, 256<<10)
	chunk := func() {
		if _, err := w.Send(ctx, src); err != nil {
			t.Fatal(err)
		}
		for got := 0; got < len(src); {
			n, err := r.Recv(ctx, dst)
			if err != nil {
				t.Fatal(err)
			}
			got += n
		}
	}
	for i := 0; i < 50; i++ {
		chunk()
	}
	allocs := testing.AllocsPerRun(200, chunk)
	limit := 0.0
	if raceEnabled {
		limit = 1
	}
	if allocs > limit {
		t.Fatalf("%v allocations per chunk, want ≤ %v", allocs, limit)
	}
	_ = w.Abort(ctx)
	_ = w.Free()
	_ = r.Free()
}
