package streamactor_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actorio/actorio/streamactor"
)

// Regression tests for bugs found in review (continued from
// regression3_test.go): the event callback's removal.

// feed keeps sending into w (a NonBlock end) until stop is closed, so
// that the receiving end's callback keeps being told READABLE.
func feed(ctx context.Context, w *streamactor.Stream, stop <-chan struct{}, done *sync.WaitGroup) {
	defer done.Done()
	buf := make([]byte, 64)
	for {
		select {
		case <-stop:
			return
		default:
		}
		if _, err := w.Send(ctx, buf); err != nil {
			time.Sleep(10 * time.Microsecond)
		}
	}
}

// TestRemoveWaitsForInvocation: EventRemoveCallback called from another
// goroutine while an invocation runs returns only after that invocation
// did, then no invocation starts, and free has run exactly once, after
// the last invocation (research invariants 23, 24). Found in review: the
// executor checked "removed" and then invoked the callback unlocked, so
// an invocation could run (or even start) after Remove returned, as in
// libvirt's fd stream.
func TestRemoveWaitsForInvocation(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	for i := range 30 {
		w, r, err := streamactor.Pipe(sys, streamactor.NonBlock())
		if err != nil {
			t.Fatal(err)
		}
		var entered, removing, returned, freed atomic.Bool
		var late, frees atomic.Int32
		buf := make([]byte, 4096)
		err = r.EventAddCallback(streamactor.EventReadable, func(st *streamactor.Stream, _ streamactor.Event) {
			if returned.Load() || freed.Load() {
				late.Add(1) // started after Remove returned, or after free
			}
			entered.Store(true)
			for i := 0; !removing.Load() && i < 1000; i++ {
				time.Sleep(10 * time.Microsecond)
			}
			time.Sleep(time.Millisecond) // Remove has time to return if it does not wait
			_, _ = st.Recv(ctx, buf)
			if returned.Load() || freed.Load() {
				late.Add(1) // still running when Remove returned, or after free
			}
		}, func() {
			freed.Store(true)
			frees.Add(1)
		})
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go feed(ctx, w, stop, &wg)
		waitFor(t, "an invocation", entered.Load)
		removing.Store(true)
		if err := r.EventRemoveCallback(); err != nil {
			t.Fatal(err)
		}
		returned.Store(true)
		if frees.Load() != 1 {
			t.Errorf("round %d: %d frees when Remove returned, want 1", i, frees.Load())
		}
		time.Sleep(2 * time.Millisecond) // events go on: no invocation may start
		close(stop)
		wg.Wait()
		if late.Load() != 0 || frees.Load() != 1 {
			t.Fatalf("round %d: %d invocations ran after Remove returned or after free; %d frees", i, late.Load(), frees.Load())
		}
		_, _ = w.Abort(ctx), r.Abort(ctx)
		_ = w.Free()
		_ = r.Free()
	}
}

// TestRemoveRaceStress races EventRemoveCallback against a stream of
// events at random points: no invocation runs once Remove has returned,
// and free runs once, after the last invocation.
func TestRemoveRaceStress(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	for i := range 200 {
		w, r, err := streamactor.Pipe(sys, streamactor.NonBlock())
		if err != nil {
			t.Fatal(err)
		}
		var returned, freed atomic.Bool
		var late, frees, calls atomic.Int32
		buf := make([]byte, 4096)
		err = r.EventAddCallback(streamactor.EventReadable, func(st *streamactor.Stream, _ streamactor.Event) {
			if returned.Load() || freed.Load() {
				late.Add(1)
			}
			calls.Add(1)
			_, _ = st.Recv(ctx, buf)
			if returned.Load() || freed.Load() {
				late.Add(1)
			}
		}, func() {
			freed.Store(true)
			frees.Add(1)
		})
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go feed(ctx, w, stop, &wg)
		for j := 0; j < i%7; j++ {
			time.Sleep(time.Duration(i%5) * 20 * time.Microsecond)
		}
		if err := r.EventRemoveCallback(); err != nil {
			t.Fatal(err)
		}
		returned.Store(true)
		n := frees.Load()
		time.Sleep(200 * time.Microsecond)
		close(stop)
		wg.Wait()
		if late.Load() != 0 || n != 1 || frees.Load() != 1 {
			t.Fatalf("round %d (%d invocations): %d ran after Remove returned or after free; %d frees at Remove's return, %d after",
				i, calls.Load(), late.Load(), n, frees.Load())
		}
		_, _ = w.Abort(ctx), r.Abort(ctx)
		_ = w.Free()
		_ = r.Free()
	}
}

// TestUpdateWaitsForInvocation: once EventUpdateCallback returned, every
// invocation that starts uses the new events: one in progress, told
// under the old mask, has returned by then.
func TestUpdateWaitsForInvocation(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	for i := range 20 {
		w, r, err := streamactor.Pipe(sys, streamactor.NonBlock())
		if err != nil {
			t.Fatal(err)
		}
		var entered, updating, returned atomic.Bool
		var late atomic.Int32
		buf := make([]byte, 4096)
		err = r.EventAddCallback(streamactor.EventReadable, func(st *streamactor.Stream, ev streamactor.Event) {
			if ev&streamactor.EventReadable != 0 && returned.Load() {
				late.Add(1)
			}
			entered.Store(true)
			for i := 0; !updating.Load() && i < 1000; i++ {
				time.Sleep(10 * time.Microsecond)
			}
			time.Sleep(time.Millisecond)
			_, _ = st.Recv(ctx, buf)
			if ev&streamactor.EventReadable != 0 && returned.Load() {
				late.Add(1)
			}
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go feed(ctx, w, stop, &wg)
		waitFor(t, "an invocation", entered.Load)
		updating.Store(true)
		if err := r.EventUpdateCallback(streamactor.EventWritable); err != nil {
			t.Fatal(err)
		}
		returned.Store(true)
		time.Sleep(2 * time.Millisecond)
		close(stop)
		wg.Wait()
		if late.Load() != 0 {
			t.Fatalf("round %d: %d invocations told READABLE ran after Update returned", i, late.Load())
		}
		if err := r.EventRemoveCallback(); err != nil {
			t.Fatal(err)
		}
		_, _ = w.Abort(ctx), r.Abort(ctx)
		_ = w.Free()
		_ = r.Free()
	}
}

// TestRemoveCrossCallbacks: the callback of each end of a pipe removes
// the other end's callback while that one runs; neither waits for the
// other forever (each Remove would wait for an invocation that waits for
// it), and each free runs once.
func TestRemoveCrossCallbacks(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	w, r, err := streamactor.Pipe(sys, streamactor.NonBlock())
	if err != nil {
		t.Fatal(err)
	}
	var in sync.WaitGroup
	in.Add(2)
	var frees atomic.Int32
	var wg sync.WaitGroup
	wg.Add(2)
	cross := func(other *streamactor.Stream) streamactor.EventCallback {
		var once sync.Once
		return func(*streamactor.Stream, streamactor.Event) {
			once.Do(func() {
				defer wg.Done()
				in.Done()
				in.Wait() // both callbacks run now
				if err := other.EventRemoveCallback(); err != nil {
					t.Errorf("remove the other end's callback: %v", err)
				}
			})
		}
	}
	if err := w.EventAddCallback(streamactor.EventWritable, cross(r), func() { frees.Add(1) }); err != nil {
		t.Fatal(err)
	}
	if err := r.EventAddCallback(streamactor.EventReadable, cross(w), func() { frees.Add(1) }); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Send(ctx, []byte("x")); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	waitFor(t, "both frees", func() bool { return frees.Load() == 2 })
	_, _ = w.Abort(ctx), r.Abort(ctx)
	_ = w.Free()
	_ = r.Free()
}
