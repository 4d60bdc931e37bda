package streamactor_test

import (
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actorio/actorio/streamactor"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRemoveFromCallback: Remove called from inside the callback; free
// runs after that invocation returns, once; no invocation after (S23,
// S24).
func TestRemoveFromCallback(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	w, r, err := streamactor.Pipe(sys, streamactor.NonBlock())
	if err != nil {
		t.Fatal(err)
	}
	var calls, frees, inCallback atomic.Int32
	var freedDuring atomic.Bool
	err = r.EventAddCallback(streamactor.EventReadable, func(st *streamactor.Stream, ev streamactor.Event) {
		inCallback.Store(1)
		calls.Add(1)
		if err := st.EventRemoveCallback(); err != nil {
			t.Errorf("remove from the callback: %v", err)
		}
		time.Sleep(5 * time.Millisecond) // free must wait for this
		if frees.Load() != 0 {
			freedDuring.Store(true)
		}
		inCallback.Store(0)
	}, func() {
		if inCallback.Load() != 0 {
			freedDuring.Store(true)
		}
		frees.Add(1)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Send(ctx, []byte("x")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "free", func() bool { return frees.Load() == 1 })
	if _, err := w.Send(ctx, []byte("y")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if calls.Load() != 1 || frees.Load() != 1 || freedDuring.Load() {
		t.Fatalf("calls %d, frees %d, freed during the callback: %v", calls.Load(), frees.Load(), freedDuring.Load())
	}
	_ = w.Free()
	_ = r.Free()
}

// TestCallbackPanicAborts: a panicking callback does not take the
// process down: the stream is aborted with the panic as the reason.
func TestCallbackPanicAborts(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	w, r, err := streamactor.Pipe(sys, streamactor.NonBlock())
	if err != nil {
		t.Fatal(err)
	}
	var freed atomic.Int32
	if err := r.EventAddCallback(streamactor.EventReadable, func(*streamactor.Stream, streamactor.Event) { panic("callback bug") }, func() { freed.Add(1) }); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Send(ctx, []byte("x")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "abort", func() bool {
		_, err := w.Send(ctx, []byte("y"))
		return errors.Is(err, streamactor.ErrAborted)
	})
	_, err = io.ReadAll(r)
	if !errors.Is(err, streamactor.ErrClosed) {
		t.Fatalf("recv after the panic: %v", err)
	}
	waitFor(t, "free", func() bool { return freed.Load() == 1 })
	_ = w.Free()
	_ = r.Free()
}

// TestFreeCallsFree: the last Free of a stream with a callback frees the
// callback, once; a finished stream's callback is freed by Finish.
func TestFreeCallsFree(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	w, r, err := streamactor.Pipe(sys)
	if err != nil {
		t.Fatal(err)
	}
	var wf, rf atomic.Int32
	if err := w.EventAddCallback(streamactor.EventWritable, func(*streamactor.Stream, streamactor.Event) {}, func() { wf.Add(1) }); err != nil {
		t.Fatal(err)
	}
	if err := r.EventAddCallback(streamactor.EventReadable, func(*streamactor.Stream, streamactor.Event) {}, func() { rf.Add(1) }); err != nil {
		t.Fatal(err)
	}
	go func() { _ = w.Finish(ctx) }()
	if _, err := io.ReadAll(r); err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the receiver's free", func() bool { return rf.Load() == 1 })
	if err := r.EventAddCallback(streamactor.EventReadable, func(*streamactor.Stream, streamactor.Event) {}, nil); !errors.Is(err, streamactor.ErrClosed) {
		t.Fatalf("add a callback to a finished stream: %v", err)
	}
	_ = w.Free()
	_ = r.Free()
	waitFor(t, "the sender's free", func() bool { return wf.Load() == 1 })
	time.Sleep(10 * time.Millisecond)
	if wf.Load() != 1 || rf.Load() != 1 {
		t.Fatalf("frees: %d, %d", wf.Load(), rf.Load())
	}
}
