package props

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
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
	receiverFinishedB bool  // the receiver had finished when the sender's Finish returned
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
