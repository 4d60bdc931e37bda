package props

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/actorio/actorio/streamactor"
	"github.com/pkg/errors"
)

// The conformance cases about holes, closing, bad input and failing
// callbacks (see CheckStream).

// csStopAtHole: -3 consumes nothing; RecvHole returns exactly the hole,
// then 0; no zero-length hole (S5, S6, S8).
func csStopAtHole(t *testing.T, f StreamFactory) {
	payload := Extents{{Data: []byte("abc")}, {Hole: true, Len: 100000}, {Data: bytes.Repeat([]byte("z"), 5000)}}
	sys, ctx := csSystem(t)
	sut := f.Open(t, sys, payload, csOpts(true)...)
	if sut.Recv == nil {
		t.Skip("the receiving end is a file driver")
	}
	if sut.Send != nil {
		go func() { _, _ = sendPayload(ctx, sut.Send, payload, 1000) }()
	}
	want := sut.want(payload)
	if len(want) < 2 || !want.Normalize()[1].Hole {
		t.Skipf("the driver's file has no hole after the first data (%v)", want)
	}
	buf := make([]byte, 100)
	var got Extents
	for got.Size() < want.Normalize()[0].Size() {
		n, err := sut.Recv.RecvFlags(ctx, buf, streamactor.RecvStopAtHole)
		if err != nil {
			t.Fatalf("recv: %v", err)
		}
		got.AddData(buf[:n])
	}
	for i := 0; i < 3; i++ {
		if n, err := sut.Recv.RecvFlags(ctx, buf, streamactor.RecvStopAtHole); n != 0 || !errors.Is(err, streamactor.ErrHole) {
			t.Fatalf("S5: at the hole, RecvFlags returned %d, %v (try %d)", n, err, i)
		}
	}
	h, err := sut.Recv.RecvHole(ctx, 0)
	if err != nil || h != want.Normalize()[1].Len {
		t.Fatalf("S5: RecvHole returned %d, %v; want %d", h, err, want.Normalize()[1].Len)
	}
	if h2, err := sut.Recv.RecvHole(ctx, 0); err != nil || h2 != 0 {
		t.Fatalf("S6: a second RecvHole returned %d, %v", h2, err)
	}
	if _, err := sut.Recv.RecvHole(ctx, 1); !errors.Is(err, streamactor.ErrBadFlags) {
		t.Fatalf("RecvHole with flags: %v", err)
	}
	n, err := sut.Recv.RecvFlags(ctx, buf, streamactor.RecvStopAtHole)
	if err != nil || n == 0 || buf[0] != want.Normalize()[2].Data[0] {
		t.Fatalf("S7: after the hole: %d %v", n, err)
	}
	_ = sut.Recv.Abort(ctx)
}

// csAbort: an abort on either side: the other sees ErrAborted, never a
// clean EOF, and what arrived is a prefix (S13, S17).
func csAbort(t *testing.T, f StreamFactory) {
	payload := csPayload(3, true)
	for _, side := range []string{"sender", "receiver"} {
		t.Run(side, func(t *testing.T) {
			sys, ctx := csSystem(t)
			sut := f.Open(t, sys, payload, csOpts(true)...)
			switch {
			case side == "sender" && sut.Send == nil, side == "receiver" && sut.Recv == nil:
				t.Skip("that end is a file driver")
			}
			if side == "sender" {
				if err := sut.Send.SendHole(ctx, 10, 0); err != nil {
					t.Fatal(err)
				}
				if _, err := sut.Send.Send(ctx, []byte("partial")); err != nil {
					t.Fatal(err)
				}
				if err := sut.Send.Abort(ctx); err != nil {
					t.Fatalf("S16: abort: %v", err)
				}
				if sut.Recv == nil {
					return
				}
				got, err, _ := recvPayload(ctx, sut.Recv, 3)
				if !errors.Is(err, streamactor.ErrAborted) {
					t.Fatalf("S13/S17: the receiver ended with %v, want ErrAborted", err)
				}
				if d := Diff(Extents{{Hole: true, Len: 10}, {Data: []byte("partial")}}.Prefix(got.Size()), got); d != "" {
					t.Fatalf("S1: not a prefix: %s", d)
				}
				return
			}
			// The receiver aborts after a little.
			errc := make(chan [2]error, 1)
			if sut.Send != nil {
				go func() {
					s, f := sendPayload(ctx, sut.Send, append(payload, Extent{Data: make([]byte, 1<<20)}), 3000)
					errc <- [2]error{s, f}
				}()
			}
			buf := make([]byte, 10)
			_, _ = sut.Recv.Recv(ctx, buf)
			if err := sut.Recv.Abort(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := sut.Recv.Recv(ctx, buf); !errors.Is(err, streamactor.ErrClosed) {
				t.Fatalf("S15: recv after abort: %v", err)
			}
			if sut.Send != nil {
				e := <-errc
				if !errors.Is(e[0], streamactor.ErrAborted) && !errors.Is(e[1], streamactor.ErrAborted) {
					t.Fatalf("S13: the sender saw %v / %v, want ErrAborted", e[0], e[1])
				}
			}
		})
	}
}

// csTerminal: after Finish or Abort nothing moves; Abort is idempotent;
// Finish twice is ErrClosed (S15, S16).
func csTerminal(t *testing.T, f StreamFactory) {
	sut, res := transfer(t, f, Extents{{Data: []byte("x")}}, true, 1, 1)
	if res.finErr != nil {
		t.Fatal(res.finErr)
	}
	ctx := context.Background()
	for _, st := range []*streamactor.Stream{sut.Send, sut.Recv} {
		if st == nil {
			continue
		}
		if err := st.Finish(ctx); !errors.Is(err, streamactor.ErrClosed) {
			t.Fatalf("S15: second finish: %v", err)
		}
		if err := st.Abort(ctx); err != nil {
			t.Fatalf("S16: abort after finish: %v", err)
		}
		if err := st.Abort(ctx); err != nil {
			t.Fatalf("S16: abort twice: %v", err)
		}
		if _, err := st.Send(ctx, []byte("x")); !errors.Is(err, streamactor.ErrClosed) && !errors.Is(err, streamactor.ErrDirection) {
			t.Fatalf("S15: send after finish: %v", err)
		}
		if _, err := st.Recv(ctx, make([]byte, 4)); !errors.Is(err, streamactor.ErrClosed) && !errors.Is(err, streamactor.ErrDirection) {
			t.Fatalf("S15: recv after finish: %v", err)
		}
		if err := st.Free(); err != nil {
			t.Fatal(err)
		}
		if err := st.Free(); !errors.Is(err, streamactor.ErrFreed) {
			t.Fatalf("S26: free too many: %v", err)
		}
		if _, err := st.Recv(ctx, make([]byte, 4)); !errors.Is(err, streamactor.ErrFreed) {
			t.Fatalf("call after free: %v", err)
		}
	}
}

// csBadInput: every bad input gets its defined error and changes
// nothing; the stream still works afterwards (S8, S21, S22, S28).
func csBadInput(t *testing.T, f StreamFactory) {
	ctx := context.Background()
	t.Run("sparse", func(t *testing.T) {
		payload := Extents{{Data: []byte("hello")}}
		sys, cctx := csSystem(t)
		sut := f.Open(t, sys, payload, csOpts(true)...)
		if s := sut.Send; s != nil {
			for _, n := range []int64{0, -1, -1 << 40} {
				if err := s.SendHole(ctx, n, 0); !errors.Is(err, streamactor.ErrBadHole) {
					t.Fatalf("S8: SendHole(%d): %v", n, err)
				}
			}
			if err := s.SendHole(ctx, 5, 1); !errors.Is(err, streamactor.ErrBadFlags) {
				t.Fatalf("SendHole flags: %v", err)
			}
			if _, err := s.Recv(ctx, make([]byte, 3)); !errors.Is(err, streamactor.ErrDirection) {
				t.Fatalf("recv on the sending end: %v", err)
			}
			if err := s.EventUpdateCallback(streamactor.EventWritable); !errors.Is(err, streamactor.ErrNoCallback) {
				t.Fatalf("S22: update without callback: %v", err)
			}
			if err := s.EventRemoveCallback(); !errors.Is(err, streamactor.ErrNoCallback) {
				t.Fatalf("S22: remove without callback: %v", err)
			}
			if err := s.EventAddCallback(0, func(*streamactor.Stream, streamactor.Event) {}, nil); err != nil {
				t.Fatal(err)
			}
			if err := s.EventAddCallback(0, func(*streamactor.Stream, streamactor.Event) {}, nil); !errors.Is(err, streamactor.ErrCallbackRegistered) {
				t.Fatalf("S22: second callback: %v", err)
			}
			if err := s.EventRemoveCallback(); err != nil {
				t.Fatal(err)
			}
		}
		if r := sut.Recv; r != nil {
			if _, err := r.Send(ctx, []byte("x")); !errors.Is(err, streamactor.ErrDirection) {
				t.Fatalf("send on the receiving end: %v", err)
			}
			if _, err := r.RecvFlags(ctx, make([]byte, 3), 2); !errors.Is(err, streamactor.ErrBadFlags) {
				t.Fatalf("recv flags: %v", err)
			}
			if err := r.Finish(cctx); !errors.Is(err, streamactor.ErrNotAtEOF) {
				t.Fatalf("finish before EOF: %v", err)
			}
		}
		// Nothing was lost: the transfer still completes.
		var res csResult
		done := make(chan struct{})
		go func() {
			defer close(done)
			if sut.Send != nil {
				res.sendErr, res.finErr = sendPayload(cctx, sut.Send, payload, 2)
			}
		}()
		if sut.Recv != nil {
			res.got, res.recvErr, res.rFinErr = recvPayload(cctx, sut.Recv, 2)
		}
		<-done
		if res.sendErr != nil || res.finErr != nil || res.recvErr != nil || res.rFinErr != nil {
			t.Fatalf("after bad input: %v %v %v %v", res.sendErr, res.finErr, res.recvErr, res.rFinErr)
		}
		if sut.Recv == nil {
			got, err := sut.Result()
			if err != nil {
				t.Fatal(err)
			}
			res.got = got
		}
		sut.compare(t, payload, res.got, true)
	})
	t.Run("dense", func(t *testing.T) {
		sys, _ := csSystem(t)
		sut := f.Open(t, sys, Extents{{Data: []byte("a")}}, csOpts(false)...)
		if sut.Send != nil {
			if err := sut.Send.SendHole(ctx, 5, 0); !errors.Is(err, streamactor.ErrNotSparse) {
				t.Fatalf("S21: SendHole on a non-sparse stream: %v", err)
			}
		}
		if sut.Recv != nil {
			if _, err := sut.Recv.RecvHole(ctx, 0); !errors.Is(err, streamactor.ErrNotSparse) {
				t.Fatalf("S21: RecvHole on a non-sparse stream: %v", err)
			}
		}
	})
	t.Run("nonblock-all", func(t *testing.T) {
		sys, _ := csSystem(t)
		sut := f.Open(t, sys, Extents{{Data: []byte("a")}}, csOpts(true, streamactor.NonBlock())...)
		if st := sut.Send; st != nil {
			err := streamactor.SendAll(ctx, st, func(*streamactor.Stream, []byte) (int, error) { return 0, io.EOF })
			if !errors.Is(err, streamactor.ErrNonBlockAll) {
				t.Fatalf("S28: SendAll on a NonBlock stream: %v", err)
			}
			if _, err := st.Send(ctx, []byte("x")); !errors.Is(err, streamactor.ErrClosed) {
				t.Fatalf("S28: the stream should be aborted: %v", err)
			}
		}
		if st := sut.Recv; st != nil {
			err := streamactor.RecvAll(ctx, st, func(_ *streamactor.Stream, p []byte) (int, error) { return len(p), nil })
			if !errors.Is(err, streamactor.ErrNonBlockAll) {
				t.Fatalf("S28: RecvAll on a NonBlock stream: %v", err)
			}
		}
	})
}

// csSourceError: a source or sink function that fails aborts the stream;
// the helper returns the original error, and the other end sees it (S27).
func csSourceError(t *testing.T, f StreamFactory) {
	boom := ErrPlantedSource
	sys, ctx := csSystem(t)
	sut := f.Open(t, sys, csPayload(5, true), csOpts(true)...)
	if sut.Send != nil {
		calls := 0
		err := streamactor.SendAll(ctx, sut.Send, func(_ *streamactor.Stream, p []byte) (int, error) {
			if calls++; calls == 3 {
				return 0, boom
			}
			return copy(p, "data"), nil
		})
		if !errors.Is(err, boom) {
			t.Fatalf("S27: SendAll returned %v, want the source's error", err)
		}
		if _, err := sut.Send.Send(ctx, []byte("x")); !errors.Is(err, streamactor.ErrClosed) {
			t.Fatalf("S27: the stream should be aborted: %v", err)
		}
		if sut.Recv != nil {
			_, err, _ := recvPayload(ctx, sut.Recv, 100)
			if !errors.Is(err, boom) || !errors.Is(err, streamactor.ErrAborted) {
				t.Fatalf("S27: the receiver saw %v, want the original error", err)
			}
		}
		return
	}
	err := streamactor.RecvAll(ctx, sut.Recv, func(*streamactor.Stream, []byte) (int, error) { return 0, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("S27: RecvAll returned %v, want the sink's error", err)
	}
	if _, err := sut.Recv.Recv(ctx, make([]byte, 4)); !errors.Is(err, streamactor.ErrClosed) {
		t.Fatalf("S27: the stream should be aborted: %v", err)
	}
}
