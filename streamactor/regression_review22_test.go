package streamactor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
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

// TestWriteToAppendFile: WriteTo of a Sparse stream into a regular file
// opened with O_APPEND, where every write goes to the end (WriteAt is
// refused). It appends the stream, holes as zeros, as io.Copy would; it
// used to take the first segment off the stream, fail the WriteAt, and
// lose that data.
func TestWriteToAppendFile(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	w, r, err := streamactor.Pipe(sys, streamactor.Sparse())
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := w.Send(ctx, []byte("abc"))
		if err == nil {
			err = w.SendHole(ctx, 5, 0)
		}
		if err == nil {
			_, err = w.Send(ctx, []byte("xyz"))
		}
		if err == nil {
			err = w.Finish(ctx)
		}
		errc <- err
	}()
	p := filepath.Join(t.TempDir(), "log")
	if err := os.WriteFile(p, []byte("head-"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	n, err := r.WriteTo(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil || n != 11 {
		t.Fatalf("write to an append-only file: %d, %v", n, err)
	}
	if err := r.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := "head-abc\x00\x00\x00\x00\x00xyz"; string(got) != want {
		t.Fatalf("file %q, want %q", got, want)
	}
	_ = w.Free()
	_ = r.Free()
}

// TestCallsAfterFreeNameTheCall: every call after the last Free fails
// with ErrFreed and says which call it was (the control calls said
// "op?").
func TestCallsAfterFreeNameTheCall(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	st, err := streamactor.New(sys)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Free(); err != nil {
		t.Fatal(err)
	}
	_, statsErr := st.Stats(ctx)
	calls := []struct {
		name string
		err  error
	}{
		{"stats", statsErr},
		{"event add callback", st.EventAddCallback(streamactor.EventReadable, func(*streamactor.Stream, streamactor.Event) {}, nil)},
		{"event update callback", st.EventUpdateCallback(streamactor.EventReadable)},
		{"event remove callback", st.EventRemoveCallback()},
		{"abort", st.Abort(ctx)},
		{"finish", st.Finish(ctx)},
		{"free", st.Free()},
		{"ref", st.Ref()},
	}
	for _, c := range calls {
		if !errors.Is(c.err, streamactor.ErrFreed) || !strings.Contains(c.err.Error(), c.name) || strings.Contains(c.err.Error(), "?") {
			t.Errorf("%s after the last Free: %v", c.name, c.err)
		}
	}
}

// TestNilStreamArguments: the functions that take a stream as an argument
// refuse a nil one with ErrBadOption (as Connect does) instead of
// panicking.
func TestNilStreamArguments(t *testing.T) {
	ctx := ctxT(t)
	src := func(*streamactor.Stream, []byte) (int, error) { return 0, io.EOF }
	sink := func(_ *streamactor.Stream, p []byte) (int, error) { return len(p), nil }
	hole := func(*streamactor.Stream) (bool, int64, error) { return false, 0, nil }
	skip := func(*streamactor.Stream, int64) error { return nil }
	sinkHole := func(*streamactor.Stream, int64) error { return nil }
	f, err := os.CreateTemp(t.TempDir(), "f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	calls := map[string]func() error{
		"send all":        func() error { return streamactor.SendAll(ctx, nil, src) },
		"sparse send all": func() error { return streamactor.SparseSendAll(ctx, nil, src, hole, skip) },
		"recv all":        func() error { return streamactor.RecvAll(ctx, nil, sink) },
		"sparse recv all": func() error { return streamactor.SparseRecvAll(ctx, nil, sink, sinkHole) },
		"file source": func() error {
			return streamactor.AttachFileSource(nil, streamactor.OSFile(f), streamactor.FileOptions{})
		},
		"file sink": func() error {
			return streamactor.AttachFileSink(nil, streamactor.OSFile(f), streamactor.FileOptions{})
		},
	}
	for _, name := range []string{"send all", "sparse send all", "recv all", "sparse recv all", "file source", "file sink"} {
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("panic: %v", p)
				}
			}()
			err = calls[name]()
		}()
		if !errors.Is(err, streamactor.ErrBadOption) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s with a nil stream: %v", name, err)
		}
	}
}
