package props

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/streamactor"
	"github.com/pkg/errors"
)

// StreamFactory makes the transfers CheckStream tests: the in-memory pipe,
// the file drivers and, later, remote streams.
type StreamFactory struct {
	Name string
	// Open returns a transfer on sys (a real System): what is sent on
	// Send arrives on Recv. When Send is nil a driver feeds Recv from a
	// file holding payload; when Recv is nil a driver writes what Send
	// sends into a file that Result reads back.
	Open func(t *testing.T, sys *actors.System, payload Extents, opts ...streamactor.Option) *StreamUnderTest
}

// StreamUnderTest is one transfer.
type StreamUnderTest struct {
	Send, Recv *streamactor.Stream
	// Want is what Recv must deliver when Send is nil: the file's own
	// map (holes at the file system's granularity).
	Want Extents
	// Result reads the file a sink wrote (Recv nil), after Send's Finish.
	Result func() (Extents, error)
	// BlockSize is the file's allocation unit (0 for no file): a hole
	// shorter than a block may come back as zeros.
	BlockSize int64
}

// CheckStream runs the stream conformance suite against f, on real
// Systems (both ends are driven by goroutines). Each subtest names the
// invariants of research §4 it checks.
func CheckStream(t *testing.T, f StreamFactory) {
	t.Run("content", func(t *testing.T) { csContent(t, f) })
	t.Run("chunking", func(t *testing.T) { csChunking(t, f) })
	t.Run("empty", func(t *testing.T) { csEmpty(t, f) })
	t.Run("finish-sync", func(t *testing.T) { csFinishSync(t, f) })
	t.Run("stop-at-hole", func(t *testing.T) { csStopAtHole(t, f) })
	t.Run("abort", func(t *testing.T) { csAbort(t, f) })
	t.Run("terminal", func(t *testing.T) { csTerminal(t, f) })
	t.Run("bad-input", func(t *testing.T) { csBadInput(t, f) })
	t.Run("source-error", func(t *testing.T) { csSourceError(t, f) })
	t.Run("backpressure", func(t *testing.T) { csBackpressure(t, f) })
	t.Run("events", func(t *testing.T) { csEvents(t, f) })
}

const csTimeout = 30 * time.Second

func csSystem(t *testing.T) (*actors.System, context.Context) {
	sys := actors.New()
	ctx, cancel := context.WithTimeout(context.Background(), csTimeout)
	t.Cleanup(func() {
		cancel()
		if err := sys.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return sys, ctx
}

func csOpts(sparse bool, extra ...streamactor.Option) []streamactor.Option {
	opts := []streamactor.Option{streamactor.MaxSegment(4096), streamactor.Window(3 * (4096 + streamactor.SegmentOverhead))}
	if sparse {
		opts = append(opts, streamactor.Sparse())
	}
	return append(opts, extra...)
}

func csPayload(seed uint64, sparse bool) Extents {
	g := ExtentGen{Max: 10, MaxData: 30000, MaxHole: 100000, HoleRatio: 0.4}
	if !sparse {
		g.HoleRatio = 0
	}
	return g.Draw(rand.New(rand.NewPCG(seed, 42)))
}

// csResult is what a transfer did.
type csResult struct {
	got               Extents
	sendErr, finErr   error // sender: first error; its Finish
	recvErr, rFinErr  error // receiver: RecvAll's error; its Finish
	senderDone        bool
	receiverFinishedB bool // the receiver had finished when the sender's Finish returned
}

// sendPayload sends x on st in chunks of chunk bytes, then Finish. On a
// NonBlock stream it retries what would block, after a short sleep.
func sendPayload(ctx context.Context, st *streamactor.Stream, x Extents, chunk int) (sendErr, finErr error) {
	retry := func(err error) bool {
		if !errors.Is(err, streamactor.ErrWouldBlock) || ctx.Err() != nil {
			return false
		}
		time.Sleep(100 * time.Microsecond)
		return true
	}
	for _, e := range x {
		if e.Hole {
			for {
				err := st.SendHole(ctx, e.Len, 0)
				if err == nil {
					break
				}
				if !retry(err) {
					return err, nil
				}
			}
			continue
		}
		for p := e.Data; len(p) > 0; {
			k := min(chunk, len(p))
			n, err := st.Send(ctx, p[:k])
			p = p[n:]
			if err != nil && !retry(err) {
				return err, nil
			}
		}
	}
	return nil, st.Finish(ctx)
}

// recvPayload receives everything from st (as extents when sparse) with
// buffers of buf bytes, then Finish.
func recvPayload(ctx context.Context, st *streamactor.Stream, buf int) (Extents, error, error) {
	var got Extents
	p := make([]byte, buf)
	var flags streamactor.RecvFlag
	if st.Config().Sparse {
		flags = streamactor.RecvStopAtHole
	}
	for {
		n, err := st.RecvFlags(ctx, p, flags)
		switch {
		case err == io.EOF:
			return got, nil, st.Finish(ctx)
		case errors.Is(err, streamactor.ErrHole):
			h, err := st.RecvHole(ctx, 0)
			if err != nil {
				return got, err, nil
			}
			got.AddHole(h)
		case err != nil:
			return got, err, nil
		default:
			got.AddData(p[:n])
		}
	}
}

// transfer moves payload through a fresh stream of f.
func transfer(t *testing.T, f StreamFactory, payload Extents, sparse bool, chunk, buf int) (*StreamUnderTest, csResult) {
	sys, ctx := csSystem(t)
	sut := f.Open(t, sys, payload, csOpts(sparse)...)
	var res csResult
	done := make(chan struct{})
	if sut.Send != nil {
		go func() {
			defer close(done)
			res.sendErr, res.finErr = sendPayload(ctx, sut.Send, payload, chunk)
			if sut.Recv != nil && res.finErr == nil && res.sendErr == nil {
				st, err := sut.Recv.Stats(ctx)
				res.receiverFinishedB = err == nil && st.State == streamactor.StateFinished
			}
		}()
	} else {
		close(done)
	}
	if sut.Recv != nil {
		res.got, res.recvErr, res.rFinErr = recvPayload(ctx, sut.Recv, buf)
	}
	<-done
	if sut.Recv == nil && res.finErr == nil && res.sendErr == nil {
		got, err := sut.Result()
		if err != nil {
			t.Fatalf("reading the result: %v", err)
		}
		res.got = got
	}
	return sut, res
}

// want is what the receiving side must end up with.
func (s *StreamUnderTest) want(payload Extents) Extents {
	if s.Send == nil {
		return s.Want
	}
	return payload
}

// compare checks content (S1–S4, S20, S29): extents when both ends are
// streams and the stream is sparse; otherwise bytes, plus, for files,
// that every allocated block holds payload data (holes stay holes).
func (s *StreamUnderTest) compare(t *testing.T, payload, got Extents, sparse bool) {
	t.Helper()
	want := s.want(payload)
	if got.Size() != want.Size() || !bytes.Equal(got.Dense(), want.Dense()) {
		t.Fatalf("S1/S29: got %v, want %v: %s", got, want, Diff(want, got))
	}
	if !sparse {
		return
	}
	if s.Recv == nil {
		bs := s.BlockSize
		for _, r := range got.dataRanges() {
			for b := r[0] / bs; b*bs < r[1]; b++ {
				if !want.hasData(b*bs, (b+1)*bs) {
					t.Fatalf("S29: block %d of the file holds data, the payload only a hole", b)
				}
			}
		}
		return
	}
	if d := Diff(want, got); d != "" {
		t.Fatalf("S2/S3: extents differ: %s", d)
	}
}

func csContent(t *testing.T, f StreamFactory) {
	for _, sparse := range []bool{true, false} {
		for seed := uint64(1); seed <= 4; seed++ {
			payload := csPayload(seed, sparse)
			sut, res := transfer(t, f, payload, sparse, 5000, 6000)
			if res.sendErr != nil || res.finErr != nil || res.recvErr != nil || res.rFinErr != nil {
				t.Fatalf("sparse=%v seed %d: send %v, finish %v, recv %v, recv finish %v", sparse, seed, res.sendErr, res.finErr, res.recvErr, res.rFinErr)
			}
			sut.compare(t, payload, res.got, sparse)
		}
	}
}

// csChunking: the result does not depend on chunk or buffer sizes (S31),
// libvirt's 262120 included.
func csChunking(t *testing.T, f StreamFactory) {
	payload := csPayload(7, true)
	for _, sz := range [][2]int{{1, 1}, {3, 262120}, {262120, 7}, {300000, 300000}} {
		sut, res := transfer(t, f, payload, true, sz[0], sz[1])
		if res.sendErr != nil || res.finErr != nil || res.recvErr != nil {
			t.Fatalf("chunk %d, buffer %d: %v %v %v", sz[0], sz[1], res.sendErr, res.finErr, res.recvErr)
		}
		sut.compare(t, payload, res.got, true)
	}
}

// csEmpty: nothing sent, Finish: an immediate EOF, both Finish nil (S32).
func csEmpty(t *testing.T, f StreamFactory) {
	sut, res := transfer(t, f, nil, true, 10, 10)
	if res.finErr != nil || res.rFinErr != nil || res.recvErr != nil || res.got.Size() != 0 {
		t.Fatalf("S32: empty transfer: got %v, finish %v/%v, recv %v", res.got, res.finErr, res.rFinErr, res.recvErr)
	}
	if sut.Send != nil {
		if _, err := sut.Send.Send(context.Background(), nil); !errors.Is(err, streamactor.ErrClosed) {
			t.Fatalf("send after finish: %v", err)
		}
	}
}

// csFinishSync: the sender's Finish returns nil only once everything
// reached the other side: the receiver had finished (S14); for a file,
// the content is there the moment Finish returns.
func csFinishSync(t *testing.T, f StreamFactory) {
	payload := csPayload(11, true)
	sut, res := transfer(t, f, payload, true, 4096, 4096)
	if res.finErr != nil {
		t.Fatalf("finish: %v", res.finErr)
	}
	if sut.Send != nil && sut.Recv != nil && !res.receiverFinishedB {
		t.Fatalf("S14: the sender's Finish returned before the receiver finished")
	}
	sut.compare(t, payload, res.got, true)
}

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
	boom := errors.New("planted source failure")
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
