package streamactor_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/streamactor"
)

func realSys(t *testing.T) *actors.System {
	t.Helper()
	s := actors.New()
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPipeRoundTripReal(t *testing.T) {
	sys := realSys(t)
	ctx := ctxT(t)
	w, r, err := streamactor.Pipe(sys)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte("0123456789abcdef"), 100000)
	errc := make(chan error, 1)
	go func() {
		_, err := w.Send(ctx, want)
		if err == nil {
			err = w.Finish(ctx)
		}
		errc <- err
	}()
	var got []byte
	buf := make([]byte, 70000)
	for {
		n, err := r.Recv(ctx, buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes, want %d", len(got), len(want))
	}
	if err := w.Free(); err != nil {
		t.Fatal(err)
	}
	if err := r.Free(); err != nil {
		t.Fatal(err)
	}
}

func TestPipeRoundTripSim(t *testing.T) {
	w := sim.New(7)
	sys := w.MustNode("n1")
	ctx := context.Background()
	ws, rs, err := streamactor.Pipe(sys, streamactor.Sparse(), streamactor.NonBlock())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ws.Send(ctx, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := ws.SendHole(ctx, 10, 0); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	n, err := rs.RecvFlags(ctx, buf, streamactor.RecvStopAtHole)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("recv %q %v", buf[:n], err)
	}
	n, err = rs.RecvFlags(ctx, buf, streamactor.RecvStopAtHole)
	if err != streamactor.ErrHole {
		t.Fatalf("want hole, got %d %v", n, err)
	}
	h, err := rs.RecvHole(ctx, 0)
	if err != nil || h != 10 {
		t.Fatalf("hole %d %v", h, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
