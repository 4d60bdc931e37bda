package sockactor_test

import (
	"bytes"
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sockactor"
)

func realSys(t *testing.T) (*actors.System, context.Context) {
	t.Helper()
	sys := actors.New()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(func() {
		cancel()
		if err := sys.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return sys, ctx
}

func pdu(body []byte) []byte {
	out, _ := sockactor.AppendLength(nil, 4, len(body))
	return append(out, body...)
}

// connPair returns the two ends of a loopback TCP connection, closed
// when the test ends; opts apply to the dialed end.
func connPair(t *testing.T, sys *actors.System, ctx context.Context, opts ...sockactor.Option) (dialed, accepted *sockactor.Conn) {
	t.Helper()
	tr := sockactor.RealTransport()
	l, err := sockactor.Listen(sys, tr, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	acc := l.Accept()
	c, err := sockactor.Dial(ctx, sys, tr, "tcp", l.Addr().String(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	s, err := acc.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return c, s
}

func TestRealEcho(t *testing.T) {
	sys, ctx := realSys(t)
	c, s := connPair(t, sys, ctx)
	for i := 0; i < 50; i++ {
		body := bytes.Repeat([]byte{byte(i)}, i*37)
		w := c.WritevQueue(pdu(body))
		f := sockactor.LengthPrefixed(4, 1<<20)
		n, err := s.ReadPDU(f.Next).Wait(ctx)
		if err != nil || n != 4+len(body) || !bytes.Equal(f.Body(), body) {
			t.Fatalf("pdu %d: n=%d err=%v", i, n, err)
		}
		if n, err := w.Wait(ctx); err != nil || n != 4+len(body) {
			t.Fatalf("write %d: %d %v", i, n, err)
		}
	}
	// The peer closing mid-PDU: EPIPE, never a short PDU.
	if _, err := c.Writev([]byte{0, 0, 0, 9, 1, 2}).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	c.Close()
	f := sockactor.LengthPrefixed(4, 100)
	_, err := s.ReadPDU(f.Next).Wait(ctx)
	if !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("mid-PDU close: %v, want EPIPE", err)
	}
}

func TestRealConnectRefused(t *testing.T) {
	sys, ctx := realSys(t)
	tr := sockactor.RealTransport()
	l, err := sockactor.Listen(sys, tr, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if err := l.WaitStopped(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = sockactor.Dial(ctx, sys, tr, "tcp", addr)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("got %v, want ECONNREFUSED", err)
	}
}
