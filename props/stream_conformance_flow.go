package props

import (
	"bytes"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actorio/actorio/streamactor"
	"github.com/pkg/errors"
)

// The conformance cases about flow control and events (see CheckStream).

// csBackpressure: with a receiver that never reads, the receiving end
// holds no more than its window, however much the sender has (S30).
func csBackpressure(t *testing.T, f StreamFactory) {
	sys, ctx := csSystem(t)
	big := Extents{{Data: bytes.Repeat([]byte("w"), 1<<20)}, {Hole: true, Len: 1 << 20}}
	for i := 0; i < 200; i++ {
		big = append(big, Extent{Hole: true, Len: 1}, Extent{Data: []byte{byte(i)}}) // many small segments
	}
	opts := csOpts(true)
	sut := f.Open(t, sys, big, opts...)
	if sut.Recv == nil {
		t.Skip("the receiving end is a file driver: it never stalls")
	}
	window := sut.Recv.Config().Window
	if sut.Send != nil {
		go func() { _, _ = sendPayload(ctx, sut.Send, big, 100000) }()
	}
	var last streamactor.Stats
	for i := 0; i < 50; i++ {
		st, err := sut.Recv.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Queued > window || st.Outstanding > window {
			t.Fatalf("S30: the stalled end holds %d (outstanding %d), window %d", st.Queued, st.Outstanding, window)
		}
		last = st
		time.Sleep(2 * time.Millisecond)
	}
	if last.Queued == 0 {
		t.Fatalf("S30: nothing queued: the check proves nothing")
	}
	_ = sut.Recv.Abort(ctx)
}

// csEvents: callbacks are truthful (the non-blocking call the callback
// itself makes on READABLE/WRITABLE never would-block), serialised,
// never inside an actor's Receive, told ERROR once on Abort, and freed
// exactly once after the last invocation (S22–S25).
func csEvents(t *testing.T, f StreamFactory) {
	payload := csPayload(9, true)
	sys, ctx := csSystem(t)
	sut := f.Open(t, sys, payload, csOpts(true, streamactor.NonBlock())...)
	st, mask := sut.Recv, streamactor.EventReadable
	if st == nil {
		st, mask = sut.Send, streamactor.EventWritable
	}
	var (
		mu                              sync.Mutex
		inside, overlap, inReceive      bool
		lie                             string
		progress                        int
		freed, afterFree, errorsOnAbort atomic.Int32
		aborted                         atomic.Bool
		enough                          = make(chan struct{})
		once                            sync.Once
	)
	buf := make([]byte, 3000)
	err := st.EventAddCallback(mask, func(s *streamactor.Stream, ev streamactor.Event) {
		mu.Lock()
		if inside {
			overlap = true
		}
		inside = true
		mu.Unlock()
		defer func() {
			mu.Lock()
			inside = false
			mu.Unlock()
		}()
		if freed.Load() > 0 {
			afterFree.Add(1)
		}
		if ev&streamactor.EventError != 0 && aborted.Load() {
			errorsOnAbort.Add(1)
		}
		stack := make([]byte, 64<<10)
		if n := runtime.Stack(stack, false); strings.Contains(string(stack[:n]), "(*hostActor).Receive") {
			mu.Lock()
			inReceive = true
			mu.Unlock()
		}
		if ev&mask == 0 || aborted.Load() {
			return
		}
		var err error
		if mask == streamactor.EventReadable {
			_, err = s.RecvFlags(ctx, buf, streamactor.RecvStopAtHole)
			if errors.Is(err, streamactor.ErrHole) {
				_, err = s.RecvHole(ctx, 0)
			}
		} else {
			_, err = s.Send(ctx, buf)
		}
		mu.Lock()
		if errors.Is(err, streamactor.ErrWouldBlock) && lie == "" {
			lie = ev.String()
		}
		progress++
		if progress >= 15 || (err != nil && !errors.Is(err, streamactor.ErrWouldBlock)) {
			once.Do(func() { close(enough) })
		}
		mu.Unlock()
	}, func() { freed.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	if sut.Send != nil && sut.Recv != nil {
		go func() { _, _ = sendPayload(ctx, sut.Send, payload, 3000) }()
	}
	select {
	case <-enough:
	case <-ctx.Done():
		mu.Lock()
		t.Fatalf("the callback made only %d calls", progress)
	}
	aborted.Store(true)
	if err := st.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	for freed.Load() == 0 && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // a late invocation would show now
	mu.Lock()
	defer mu.Unlock()
	switch {
	case lie != "":
		t.Fatalf("S25: %s was reported, then the callback's call would block", lie)
	case freed.Load() != 1:
		t.Fatalf("S23: free ran %d times", freed.Load())
	case afterFree.Load() != 0:
		t.Fatalf("S23/S24: %d invocations after free", afterFree.Load())
	case errorsOnAbort.Load() != 1:
		t.Fatalf("S25: ERROR reported %d times after Abort, want once", errorsOnAbort.Load())
	case overlap:
		t.Fatalf("callbacks overlapped: not serialised")
	case inReceive:
		t.Fatalf("a callback ran inside the actor's Receive")
	}
}
