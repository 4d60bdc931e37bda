package streamactor_test

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actorio/actorio/streamactor"
)

// TestPipeEndsCallbacksIndependent: the two ends of a Pipe, each driven
// by its own event callback, where the sender's callback calls Finish
// (which waits for the receiver's confirmation) and the receiver's
// callback reads to the end and confirms. The ends are two streams, each
// with its own executor: one blocked callback must not hold back the
// other end's (they shared one executor, and this deadlocked until the
// contexts expired).
func TestPipeEndsCallbacksIndependent(t *testing.T) {
	sys := realSys(t)
	// Not a timing assertion: the deadline only turns a deadlock into a
	// failure instead of a hung test.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, r, err := streamactor.Pipe(sys, streamactor.NonBlock())
	if err != nil {
		t.Fatal(err)
	}
	finished := make(chan error, 2)
	var sent atomic.Bool
	if err := w.EventAddCallback(streamactor.EventWritable, func(st *streamactor.Stream, ev streamactor.Event) {
		if ev&streamactor.EventWritable == 0 || !sent.CompareAndSwap(false, true) {
			return
		}
		if _, err := st.Send(ctx, []byte("hello")); err != nil {
			finished <- err
			return
		}
		finished <- st.Finish(ctx)
	}, nil); err != nil {
		t.Fatal(err)
	}
	var got []byte
	var rdone atomic.Bool
	if err := r.EventAddCallback(streamactor.EventReadable, func(st *streamactor.Stream, ev streamactor.Event) {
		if rdone.Load() {
			return
		}
		buf := make([]byte, 64)
		for {
			n, err := st.Recv(ctx, buf)
			got = append(got, buf[:n]...)
			switch {
			case err == io.EOF:
				rdone.Store(true)
				finished <- st.Finish(ctx)
				return
			case errors.Is(err, streamactor.ErrWouldBlock):
				return
			case err != nil:
				rdone.Store(true)
				finished <- err
				return
			}
		}
	}, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-finished; err != nil {
			t.Errorf("finish: %v", err)
		}
	}
	if string(got) != "hello" {
		t.Errorf("received %q", got)
	}
	_ = w.Free()
	_ = r.Free()
}
