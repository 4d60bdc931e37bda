package streamactor_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/actorio/actorio/streamactor"
)

// memSource is a sparse source over an in-memory layout, with the three
// functions SparseSendAll takes; it records the sizes it was asked for.
type memSource struct {
	layout []struct {
		hole bool
		n    int64
		data []byte
	}
	i    int
	off  int64
	asks []int
}

func (m *memSource) read(_ *streamactor.Stream, p []byte) (int, error) {
	m.asks = append(m.asks, len(p))
	if m.i >= len(m.layout) {
		return 0, io.EOF
	}
	e := m.layout[m.i]
	n := copy(p, e.data[m.off:])
	m.off += int64(n)
	if m.off == int64(len(e.data)) {
		m.i, m.off = m.i+1, 0
	}
	return n, nil
}

func (m *memSource) inData(*streamactor.Stream) (bool, int64, error) {
	if m.i >= len(m.layout) {
		return false, 0, nil
	}
	e := m.layout[m.i]
	if e.hole {
		return false, e.n - m.off, nil
	}
	return true, int64(len(e.data)) - m.off, nil
}

func (m *memSource) skip(_ *streamactor.Stream, n int64) error {
	m.off += n
	if m.off >= m.layout[m.i].n {
		m.i, m.off = m.i+1, 0
	}
	return nil
}

func TestSparseSendRecvAll(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	w, r, err := streamactor.Pipe(sys, streamactor.Sparse(), streamactor.MaxSegment(4096))
	if err != nil {
		t.Fatal(err)
	}
	src := &memSource{}
	add := func(hole bool, n int64, b byte) {
		e := struct {
			hole bool
			n    int64
			data []byte
		}{hole: hole, n: n}
		if !hole {
			e.data = bytes.Repeat([]byte{b}, int(n))
		}
		src.layout = append(src.layout, e)
	}
	add(true, 5000, 0) // leading hole
	add(false, 100, 'a')
	add(true, 1, 0)
	add(false, 10000, 'b') // after a short section, reads are full-size again
	add(true, 70000, 0)    // trailing hole
	errc := make(chan error, 1)
	go func() {
		err := streamactor.SparseSendAll(ctx, w, src.read, src.inData, src.skip)
		if err == nil {
			err = w.Finish(ctx)
		}
		errc <- err
	}()
	var data bytes.Buffer
	var holes []int64
	err = streamactor.SparseRecvAll(ctx, r,
		func(_ *streamactor.Stream, p []byte) (int, error) { return data.Write(p) },
		func(_ *streamactor.Stream, n int64) error { holes = append(holes, n); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if got := data.String(); got != string(bytes.Repeat([]byte("a"), 100))+string(bytes.Repeat([]byte("b"), 10000)) {
		t.Fatalf("data %d bytes", len(got))
	}
	if len(holes) != 3 || holes[0] != 5000 || holes[1] != 1 || holes[2] != 70000 {
		t.Fatalf("holes %v", holes)
	}
	// libvirt c:9b991d0237: the request size is reset every time.
	for i, a := range src.asks {
		if a != 0 && a < 100 {
			t.Fatalf("ask %d was %d bytes: %v", i, a, src.asks)
		}
	}
	_ = w.Free()
	_ = r.Free()
}

// TestAllBadCallbacks: a callback breaking its contract, failing or
// panicking aborts the stream; the helper returns the error (S27).
func TestAllBadCallbacks(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	boom := errors.New("boom")
	cases := []struct {
		name string
		send bool
		run  func(st *streamactor.Stream) error
		want error
	}{
		{"source too many", true, func(st *streamactor.Stream) error {
			return streamactor.SendAll(ctx, st, func(_ *streamactor.Stream, p []byte) (int, error) { return len(p) + 1, nil })
		}, streamactor.ErrBadCallback},
		{"source error", true, func(st *streamactor.Stream) error {
			return streamactor.SendAll(ctx, st, func(*streamactor.Stream, []byte) (int, error) { return 0, boom })
		}, boom},
		{"nil source", true, func(st *streamactor.Stream) error { return streamactor.SendAll(ctx, st, nil) }, streamactor.ErrBadCallback},
		{"negative hole", true, func(st *streamactor.Stream) error {
			return streamactor.SparseSendAll(ctx, st,
				func(*streamactor.Stream, []byte) (int, error) { return 0, io.EOF },
				func(*streamactor.Stream) (bool, int64, error) { return false, -5, nil },
				func(*streamactor.Stream, int64) error { return nil })
		}, streamactor.ErrBadCallback},
		{"skip error", true, func(st *streamactor.Stream) error {
			return streamactor.SparseSendAll(ctx, st,
				func(*streamactor.Stream, []byte) (int, error) { return 0, io.EOF },
				func(*streamactor.Stream) (bool, int64, error) { return false, 10, nil },
				func(*streamactor.Stream, int64) error { return boom })
		}, boom},
		{"sink no progress", false, func(st *streamactor.Stream) error {
			return streamactor.RecvAll(ctx, st, func(*streamactor.Stream, []byte) (int, error) { return 0, nil })
		}, streamactor.ErrBadCallback},
		{"hole function error", false, func(st *streamactor.Stream) error {
			return streamactor.SparseRecvAll(ctx, st, func(_ *streamactor.Stream, p []byte) (int, error) { return len(p), nil },
				func(*streamactor.Stream, int64) error { return boom })
		}, boom},
		{"nil hole function", false, func(st *streamactor.Stream) error {
			return streamactor.SparseRecvAll(ctx, st, func(_ *streamactor.Stream, p []byte) (int, error) { return len(p), nil }, nil)
		}, streamactor.ErrBadCallback},
	}
	for _, c := range cases {
		w, r, err := streamactor.Pipe(sys, streamactor.Sparse())
		if err != nil {
			t.Fatal(err)
		}
		if !c.send {
			if _, err := w.Send(ctx, []byte("data")); err != nil {
				t.Fatal(err)
			}
			if err := w.SendHole(ctx, 10, 0); err != nil {
				t.Fatal(err)
			}
		}
		st, peer := w, r
		if !c.send {
			st, peer = r, w
		}
		err = c.run(st)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		// The stream is aborted; the peer sees the original reason.
		if _, err := st.Send(ctx, []byte("x")); !errors.Is(err, streamactor.ErrClosed) && !errors.Is(err, streamactor.ErrDirection) {
			t.Errorf("%s: stream not aborted: %v", c.name, err)
		}
		var perr error
		if c.send {
			_, perr = io.ReadAll(peer)
		} else {
			perr = peer.Finish(ctx)
		}
		if !errors.Is(perr, streamactor.ErrAborted) || (c.want == boom && !errors.Is(perr, boom)) {
			t.Errorf("%s: the peer saw %v", c.name, perr)
		}
		_ = w.Free()
		_ = r.Free()
	}
}

func TestAllPanicAborts(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	w, r, err := streamactor.Pipe(sys)
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not go on")
			}
		}()
		_ = streamactor.SendAll(ctx, w, func(*streamactor.Stream, []byte) (int, error) { panic("source bug") })
	}()
	if _, err := io.ReadAll(r); !errors.Is(err, streamactor.ErrAborted) {
		t.Fatalf("peer after the panic: %v", err)
	}
	_ = w.Free()
	_ = r.Free()
	_ = context.Background()
}
