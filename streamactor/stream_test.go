package streamactor_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/streamactor"
)

func TestNewOptions(t *testing.T) {
	sys := realSys(t)
	bad := []streamactor.Option{
		streamactor.Flags(2),
		streamactor.Window(10),
		streamactor.MaxSegment(10),
		streamactor.MaxSegment(64 << 20),
	}
	for i, o := range bad {
		if _, err := streamactor.New(sys, o); !errors.Is(err, streamactor.ErrBadOption) && !errors.Is(err, streamactor.ErrBadFlags) {
			t.Errorf("option %d: %v", i, err)
		}
	}
	if _, err := streamactor.New(nil); !errors.Is(err, streamactor.ErrBadOption) {
		t.Errorf("nil system: %v", err)
	}
	st, err := streamactor.New(sys, streamactor.Flags(streamactor.StreamNonBlock))
	if err != nil || !st.Config().NonBlock {
		t.Fatalf("flags: %v %+v", err, st.Config())
	}
	ctx := ctxT(t)
	// Unattached: data calls and Finish fail, Abort succeeds.
	if _, err := st.Send(ctx, []byte("x")); !errors.Is(err, streamactor.ErrNotAttached) {
		t.Errorf("send unattached: %v", err)
	}
	if err := st.Finish(ctx); !errors.Is(err, streamactor.ErrNotAttached) {
		t.Errorf("finish unattached: %v", err)
	}
	if err := st.Abort(ctx); err != nil {
		t.Errorf("abort unattached: %v", err)
	}
	if _, err := st.Recv(ctx, make([]byte, 2)); !errors.Is(err, streamactor.ErrClosed) {
		t.Errorf("recv after abort: %v", err)
	}
	_ = st.Free()
}

func TestConnect(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	a, _ := streamactor.New(sys, streamactor.Sparse())
	b, _ := streamactor.New(sys)
	if err := streamactor.Connect(ctx, a, b); !errors.Is(err, streamactor.ErrBadOption) {
		t.Fatalf("sparse mismatch: %v", err)
	}
	if err := streamactor.Connect(ctx, a, a); !errors.Is(err, streamactor.ErrBadOption) {
		t.Fatalf("self: %v", err)
	}
	c, _ := streamactor.New(sys, streamactor.Sparse())
	if err := streamactor.Connect(ctx, a, c); err != nil {
		t.Fatal(err)
	}
	d, _ := streamactor.New(sys, streamactor.Sparse())
	if err := streamactor.Connect(ctx, a, d); !errors.Is(err, streamactor.ErrAttached) {
		t.Fatalf("connect twice: %v", err)
	}
	for _, s := range []*streamactor.Stream{a, b, c, d} {
		_ = s.Free()
	}
}

// TestCancelRecv: a Recv given up by its context returns the context's
// error; nothing is lost, the stream still works.
func TestCancelRecv(t *testing.T) {
	sys := realSys(t)
	w, r, err := streamactor.Pipe(sys)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	buf := make([]byte, 10)
	if _, err := r.Recv(short, buf); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("recv: %v", err)
	}
	ctx := ctxT(t)
	if _, err := w.Send(ctx, []byte("after")); err != nil {
		t.Fatal(err)
	}
	n, err := r.Recv(ctx, buf)
	if err != nil || string(buf[:n]) != "after" {
		t.Fatalf("recv after cancel: %q %v", buf[:n], err)
	}
	_ = w.Abort(ctx)
	_ = w.Free()
	_ = r.Free()
}

// TestCancelSend: a blocking Send cut short by its context reports what
// was accepted; exactly that arrives.
func TestCancelSend(t *testing.T) {
	sys := realSys(t)
	w, r, err := streamactor.Pipe(sys, streamactor.MaxSegment(1024), streamactor.Window(2*(1024+64)))
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789"), 1000)
	short, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	n, err := w.Send(short, data)
	if !errors.Is(err, context.DeadlineExceeded) || n == 0 || n >= len(data) {
		t.Fatalf("send: %d %v", n, err)
	}
	ctx := ctxT(t)
	got, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil || !bytes.Equal(got, data[:n]) {
		t.Fatalf("received %d bytes (%v), want the %d accepted", len(got), err, n)
	}
	_ = w.Abort(ctx)
	_ = w.Free()
	_ = r.Free()
}

// TestFreeActiveStream: the last Free of an active stream aborts it; the
// peer sees ErrAborted with the reason ErrFreed (S26, §5.25).
func TestFreeActiveStream(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	w, r, err := streamactor.Pipe(sys)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Ref(); err != nil {
		t.Fatal(err)
	}
	if err := w.Free(); err != nil { // one reference left
		t.Fatal(err)
	}
	if _, err := w.Send(ctx, []byte("still alive")); err != nil {
		t.Fatalf("send with a reference left: %v", err)
	}
	if err := w.Free(); err != nil {
		t.Fatal(err)
	}
	if err := w.Ref(); !errors.Is(err, streamactor.ErrFreed) {
		t.Fatalf("ref after the last free: %v", err)
	}
	if _, err := w.Send(ctx, []byte("x")); !errors.Is(err, streamactor.ErrFreed) {
		t.Fatalf("send after free: %v", err)
	}
	if _, err := io.ReadAll(r); !errors.Is(err, streamactor.ErrAborted) || !errors.Is(err, streamactor.ErrFreed) {
		t.Fatalf("the peer saw %v, want ErrAborted because of ErrFreed", err)
	}
	_ = r.Free()
}

// TestSystemCloseWakesCallers: closing the system wakes every caller
// parked on a stream with ErrClosed and stops the file drivers.
func TestSystemCloseWakesCallers(t *testing.T) {
	sys := actors.New()
	w, r, err := streamactor.Pipe(sys)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := r.Recv(context.Background(), make([]byte, 4))
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if err := sys.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, streamactor.ErrClosed) {
			t.Fatalf("parked recv woke with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("parked recv never woke")
	}
	if _, err := w.Send(context.Background(), []byte("x")); !errors.Is(err, streamactor.ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
}

// TestSimBlockingFace: the blocking face in a World, from the test's
// goroutine: blocking Send within the window, Recv, Finish waited for by
// running the World (the receiver is a consumer actor).
func TestSimBlockingFace(t *testing.T) {
	w := sim.New(11)
	sys := w.MustNode("n1")
	ctx := context.Background()
	ws, rs, err := streamactor.Pipe(sys, streamactor.Sparse())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ws.Send(ctx, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if n, err := rs.Recv(ctx, buf); err != nil || string(buf[:n]) != "ab" {
		t.Fatalf("recv: %q %v", buf[:n], err)
	}
	// A Recv that can never complete is a deadlock the World reports, and
	// the call is cancelled, not left parked.
	if n, err := rs.Recv(ctx, make([]byte, 10)); err != nil || n != 1 {
		t.Fatalf("recv rest: %d %v", n, err)
	}
	if _, err := rs.Recv(ctx, make([]byte, 10)); err == nil || errors.Is(err, streamactor.ErrBusy) {
		t.Fatalf("recv with nothing coming: %v", err)
	}
	if _, err := ws.Send(ctx, []byte("z")); err != nil {
		t.Fatal(err)
	}
	if n, err := rs.Recv(ctx, buf); err != nil || n != 1 || buf[0] != 'z' {
		t.Fatalf("after the deadlock: %d %v", n, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestErrorValues(t *testing.T) {
	// The sentinels come first on purpose: each must match its errno.
	//lint:ignore SA1032 the sentinel is the error under test
	if !errors.Is(streamactor.ErrWouldBlock, syscall.EAGAIN) {
		t.Error("ErrWouldBlock is not EAGAIN")
	}
	//lint:ignore SA1032 the sentinel is the error under test
	if !errors.Is(streamactor.ErrLength, syscall.ENOSPC) {
		t.Error("ErrLength is not ENOSPC")
	}
	pe := &streamactor.PeerError{Cause: syscall.EIO}
	if !errors.Is(pe, streamactor.ErrAborted) || !errors.Is(pe, syscall.EIO) {
		t.Error("PeerError")
	}
	if s := (streamactor.EventReadable | streamactor.EventHangup | 32).String(); s != "READABLE|HANGUP|0x20" {
		t.Errorf("event string %q", s)
	}
}
