package remote_test

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
	"github.com/asynkron/protoactor-go/actor"
)

// liveHeap returns the bytes live after the last garbage collection.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestSlowConsumerBoundsProducer: a producer sending far more than its
// window to a slow consumer on another node holds no more than a few
// windows in memory: it waits for credit instead of queueing (protoactor
// remote itself would queue without bound).
func TestSlowConsumerBoundsProducer(t *testing.T) {
	sys := local(t).System()
	p := startPeer(t)
	ctx := ctxT(t)
	const window = 1 << 20
	st, err := remote.Dial(ctx, sys, actor.NewPID(p.addr, "streams"), streamactor.RoleSender, "slow", peerOptions(), streamactor.Window(window))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Free()
	chunk := make([]byte, 256<<10)
	runtime.GC()
	base := liveHeap()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			if i%20 == 0 {
				runtime.GC() // keep the figure fresh
			}
			if v := liveHeap(); v > peak.Load() {
				peak.Store(v)
			}
		}
	}()
	const total = 32 << 20
	for sent := 0; sent < total; sent += len(chunk) {
		if _, err := st.Send(ctx, chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	close(stop)
	sampler.Wait()
	grew := int64(peak.Load()) - int64(base)
	t.Logf("sent %d MiB through a window of %d KiB; the live heap grew by at most %d KiB", total>>20, window>>10, grew>>10)
	if grew > 4*window+(4<<20) {
		t.Fatalf("the producer's live heap grew by %d bytes with a window of %d", grew, window)
	}
}
