package streamactor_test

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/streamactor"
	"github.com/asynkron/protoactor-go/actor"
)

// Regression tests for bugs found in review (continued from
// regression_test.go).

// TestWriteToHolesPastLargestOffset: Stream.WriteTo into a file, given
// holes that together end past the largest file offset, fails with an
// error that Is(syscall.EFBIG), as a file sink does
// (TestFileSinkHoleOverflow), and its count is what it covered before
// that hole, never negative (io.WriterTo: "the number of bytes
// written"). Found in review: WriteTo added the holes' lengths into an
// offset that wrapped around to -2^63, then failed on the final seek with
// EINVAL ("invalid argument", which says nothing of the cause) and
// returned a negative count.
func TestWriteToHolesPastLargestOffset(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	w, r := freedPipe(t, sys, streamactor.Sparse())
	sent := make(chan error, 1)
	go func() {
		var err error
		for i := 0; i < 2 && err == nil; i++ {
			err = w.SendHole(ctx, 1<<62, 0)
		}
		if err == nil {
			err = w.Finish(ctx)
		}
		sent <- err
	}()
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := r.WriteTo(f)
	if !errors.Is(err, syscall.EFBIG) {
		t.Errorf("WriteTo of two holes of 2^62 bytes: %d, %v; want an error that Is EFBIG", n, err)
	}
	if n != 1<<62 {
		t.Errorf("WriteTo's count: %d, want %d (the first hole, the one that fits)", n, int64(1<<62))
	}
	_ = r.Abort(ctx) // WriteTo does not abort: the caller decides
	<-sent
}

// TestStatsHoleCountersSaturate: the Stats counters of holes sent and
// received stop at math.MaxInt64 rather than wrap around to a negative
// count (Stats: "Data and hole bytes sent or received"; any hole length
// > 0 is valid, doc.go SendHole). Found in review: three holes of 2^62
// bytes made both ends report SentHoles and RecvHoles of -2^63 + 2^62.
func TestStatsHoleCountersSaturate(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	w, r := freedPipe(t, sys, streamactor.Sparse())
	for i := 0; i < 3; i++ {
		if err := w.SendHole(ctx, 1<<62, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := r.RecvFlags(ctx, make([]byte, 1), streamactor.RecvStopAtHole); !errors.Is(err, streamactor.ErrHole) {
			t.Fatalf("hole %d: %v, want ErrHole", i, err)
		}
		if h, err := r.RecvHole(ctx, 0); h != 1<<62 || err != nil {
			t.Fatalf("hole %d: RecvHole %d, %v", i, h, err)
		}
	}
	ws, err := w.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := r.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ws.SentHoles != math.MaxInt64 || rs.RecvHoles != math.MaxInt64 {
		t.Fatalf("after 3 holes of 2^62: SentHoles %d, RecvHoles %d; want both %d (saturated)", ws.SentHoles, rs.RecvHoles, int64(math.MaxInt64))
	}
}

// segRecorder is a stand-in for a transport: the peer of a sending end
// made by NewPeer, which records the segments and the Close it gets.
type segRecorder struct {
	mu    sync.Mutex
	seqs  []uint64
	close *streamactor.Close
}

func (p *segRecorder) Receive(ctx actor.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch m := ctx.Message().(type) {
	case *streamactor.Segment:
		p.seqs = append(p.seqs, m.Seq)
	case *streamactor.Close:
		p.close = m
	}
}

func (p *segRecorder) snapshot() ([]uint64, *streamactor.Close) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]uint64(nil), p.seqs...), p.close
}

// TestFlushPanicDeliversOnce: a panic in a stream's actor half-way
// through handing on one step's output (segment #1 out, #2 about to go)
// never makes the restarted actor hand anything on twice: the peer gets
// each segment at most once, then the Close with ErrInternal, and the
// Send being served fails with ErrInternal (doc.go # Errors:
// "ErrInternal: the stream's actor panicked (a bug); the stream is
// aborted, and the call it was serving fails with it"; research §4
// invariants 1 and 20: no byte delivered twice). Found in review: flush
// reset the output only once all of it was handed on, so the restart's
// flush sent it again from the start (segment #1 twice, and a pooled
// segment released twice into its pool), and the Send returned nil.
func TestFlushPanicDeliversOnce(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	rec := &segRecorder{}
	peer, err := sys.Spawn(actor.PropsFromProducer(func() actor.Actor { return rec }))
	if err != nil {
		t.Fatal(err)
	}
	w, err := streamactor.NewPeer(sys, streamactor.RoleSender, peer, streamactor.MaxSegment(512))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Free() }()
	restore := streamactor.PanicOnFlush(w, func(item any) bool {
		s, ok := item.(*streamactor.Segment)
		return ok && s.Seq == 2
	})
	defer restore()
	sys.Send(w.PID(), &streamactor.Credit{Granted: 1 << 20})
	n, err := w.Send(ctx, make([]byte, 4*512)) // four segments in one step
	if !errors.Is(err, streamactor.ErrInternal) {
		t.Errorf("Send served when the actor panicked: %d, %v; want ErrInternal", n, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		seqs, c := rec.snapshot()
		if c != nil {
			if !errors.Is(c.Cause, streamactor.ErrInternal) {
				t.Errorf("the peer's Close: %v, want ErrInternal", c.Cause)
			}
			if len(seqs) != 1 || seqs[0] != 1 {
				t.Fatalf("the peer got segments %v, want [1] (each once, nothing past the one lost in the panic)", seqs)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Close reached the peer (segments %v)", seqs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestIOFacesNonRegularFile: ReadFrom from, and WriteTo into, an
// *os.File that is not a regular file (here a pipe; also a socket, a
// terminal, a device) move the data in sequence, as for any io.Reader or
// io.Writer (io.ReaderFrom: "reads data from r until EOF"; WriteTo's
// holes read as zeros). Found in review: both took every *os.File for a
// regular file and began with a seek, which a pipe refuses ("illegal
// seek"): nothing moved.
func TestIOFacesNonRegularFile(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	t.Run("ReadFrom", func(t *testing.T) {
		w, r := freedPipe(t, sys, streamactor.Sparse())
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pr.Close()
		go func() { _, _ = pw.Write([]byte("hello")); _ = pw.Close() }()
		var got []byte
		done := recvAllFinish(ctx, r, &got)
		if n, err := w.ReadFrom(pr); n != 5 || err != nil {
			_ = w.Abort(ctx)
			<-done
			t.Fatalf("ReadFrom a pipe: %d, %v; want 5, nil", n, err)
		}
		if err := w.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil || string(got) != "hello" {
			t.Fatalf("received %q, %v", got, err)
		}
	})
	t.Run("WriteTo", func(t *testing.T) {
		w, r := freedPipe(t, sys, streamactor.Sparse())
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pr.Close()
		sent := make(chan error, 1)
		go func() {
			_, err := w.Send(ctx, []byte("hi"))
			if err == nil {
				err = w.SendHole(ctx, 3, 0)
			}
			if err == nil {
				_, err = w.Send(ctx, []byte("!"))
			}
			if err == nil {
				err = w.Finish(ctx)
			}
			sent <- err
		}()
		read := make(chan []byte, 1)
		go func() { b, _ := io.ReadAll(pr); read <- b }()
		n, err := r.WriteTo(pw)
		_ = pw.Close()
		if n != 6 || err != nil {
			_ = r.Abort(ctx)
			<-sent
			t.Fatalf("WriteTo a pipe: %d, %v; want 6, nil", n, err)
		}
		if got := <-read; string(got) != "hi\x00\x00\x00!" {
			t.Fatalf("the pipe got %q, want the hole as zeros", got)
		}
		if err := r.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-sent; err != nil {
			t.Fatal(err)
		}
	})
}

// TestFileSourceLengthToTheEnd: a file source whose Offset+Length goes
// past the largest offset (Length math.MaxInt64: "as much as there is")
// sends the file from Offset to its end (FileOptions.Length: "how many
// bytes of the file the stream covers. A source stops there"). Found in
// review: the end, Offset+Length, wrapped around to a negative value,
// which the source took for "size not known yet": it asked the file for
// its size again and again, forever, and sent nothing.
func TestFileSourceLengthToTheEnd(t *testing.T) {
	sys := realSys(t)
	ctx, cancel := context.WithTimeout(ctxT(t), 5*time.Second)
	defer cancel()
	p := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(p, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	st, err := streamactor.New(sys)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Free() }()
	if err := streamactor.AttachFileSource(st, streamactor.OSFile(f), streamactor.FileOptions{Offset: 2, Length: math.MaxInt64}); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 64)
	for {
		n, err := st.Recv(ctx, buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("recv after %q: %v", got, err)
		}
	}
	if string(got) != "23456789" {
		t.Fatalf("got %q, want the file from offset 2 to its end", got)
	}
	if err := st.Finish(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestHugeWindow: a window too large for the cumulative credit counters
// (window plus the bytes consumed must fit in an int64) is refused with
// ErrBadOption, and the largest one accepted works (doc.go # Errors:
// ErrBadOption, "bad option or argument"; research §4 invariant 30: the
// window bounds what is in flight, it does not stop a valid stream).
// Found in review: Window(math.MaxInt64) was accepted, and the receiving
// end's credit wrapped around to a negative grant as soon as it consumed
// a segment, so it took the next one for a credit overrun and aborted a
// valid stream with ErrProtocol.
func TestHugeWindow(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	for _, win := range []int64{math.MaxInt64, math.MaxInt64 / 2, streamactor.MaxWindowLimit} {
		w, r, err := streamactor.Pipe(sys, streamactor.Window(win))
		if err != nil {
			if errors.Is(err, streamactor.ErrBadOption) && win > streamactor.MaxWindowLimit {
				continue
			}
			t.Fatalf("pipe with window %d: %v", win, err)
		}
		buf := make([]byte, 4096)
		for i := 0; i < 5; i++ {
			if _, err := w.Send(ctx, buf); err != nil {
				t.Fatalf("window %d: send %d: %v", win, i, err)
			}
			if _, err := r.Recv(ctx, buf); err != nil {
				t.Fatalf("window %d: recv %d: %v", win, i, err)
			}
		}
		_ = w.Free()
		_ = r.Free()
	}
}

// TestReceiverRefusesCostBelowShare: a receiving end takes a segment
// whose cost is below its share (negative, or a hole cheaper than
// SegmentOverhead), or whose cost would take the total received past the
// credit by wrapping the sum around, for the protocol violation it is
// (doc.go # Errors: "ErrProtocol: the peer broke the protocol (sequence
// gap, credit overrun)"; flags.go: "A hole costs exactly this [...] so
// that a stalled consumer cannot make a stream hold unbounded holes").
// Found in review: the receiving end added any cost to what it had
// received before comparing with its credit, so a negative or
// wrapping cost from a peer (a transport's actor made for NewPeer) hid an
// overrun, and a hole costing nothing was queued without limit.
func TestReceiverRefusesCostBelowShare(t *testing.T) {
	cfg, err := streamactor.NewConfig(streamactor.Sparse(), streamactor.MaxSegment(512))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		segs []*streamactor.Segment
	}{
		{"negative cost", []*streamactor.Segment{{Seq: 1, Kind: streamactor.SegHole, Hole: 5, Cost: -1 << 40}}},
		{"free hole", []*streamactor.Segment{{Seq: 1, Kind: streamactor.SegHole, Hole: 5, Cost: 0}}},
		{"wrapping cost", []*streamactor.Segment{
			{Seq: 1, Kind: streamactor.SegData, Data: []byte("a"), Cost: streamactor.SegmentCost(1)},
			{Seq: 2, Kind: streamactor.SegData, Data: []byte("b"), Cost: math.MaxInt64},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := streamactor.NewCore(cfg)
			if err := c.Attach(streamactor.RoleReceiver); err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.segs {
				c.Deliver(s)
			}
			if !errors.Is(c.Err(), streamactor.ErrProtocol) || c.State() != streamactor.StateAborted {
				t.Fatalf("after %v: state %v, err %v; want aborted with ErrProtocol", tc.segs, c.State(), c.Err())
			}
		})
	}
}

// TestFileSinkCommitPanics: a FileOptions.Commit that panics fails the
// upload, the sender's Finish says so, and Discard runs once: the panic
// does not take the process down from the driver's goroutine, which the
// caller does not own (as for an event callback, events.go invoke; doc.go
// Finish "Any error on the way [...] is returned"). Found in review:
// Commit, Discard and the File's methods ran bare on the runner's
// goroutine, and a panic in any of them killed the whole process.
func TestFileSinkCommitPanics(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	st, err := streamactor.New(sys)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Free() }()
	f, err := os.Create(filepath.Join(t.TempDir(), "sink"))
	if err != nil {
		t.Fatal(err)
	}
	var discards atomic.Int32
	opts := streamactor.FileOptions{
		Commit:  func() error { panic("planted: commit panics") },
		Discard: func() { discards.Add(1) },
	}
	if err := streamactor.AttachFileSink(st, streamactor.OSFile(f), opts); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Send(ctx, []byte("data")); err != nil {
		t.Fatal(err)
	}
	err = st.Finish(ctx)
	if err == nil || !strings.Contains(err.Error(), "planted: commit panics") {
		t.Fatalf("finish with a Commit that panics: %v, want an error naming the panic", err)
	}
	if n := discards.Load(); n != 1 {
		t.Fatalf("Discard ran %d times after the failed commit, want once", n)
	}
}

// TestFileSinkOntoDevNull: a file sink writing into a character device
// (/dev/null) finishes: fsync's EINVAL on a file that cannot be
// synchronized means there is nothing to make durable. Found in review:
// the sink failed its commit with "sync /dev/null: invalid argument", so
// sparsecopy could not copy into /dev/null.
func TestFileSinkOntoDevNull(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	st, err := streamactor.New(sys)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Free() }()
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := streamactor.AttachFileSink(st, streamactor.OSFile(f), streamactor.FileOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Send(ctx, []byte("discarded")); err != nil {
		t.Fatal(err)
	}
	if err := st.Finish(ctx); err != nil {
		t.Fatalf("finish into %s: %v", os.DevNull, err)
	}
}
