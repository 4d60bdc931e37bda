package sockactor_test

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/sockactor"
	"github.com/asynkron/protoactor-go/actor"
)

// Stopping a socket completes its writes with ECONNABORTED while the
// endpoint closes. A completion hands the write's buffers back to the
// caller ("The buffers must not change until the completion"), but an
// endpoint may still read the outstanding write's buffers until it
// reports that write or its close (Stream.Write, Stream.Close). The
// socket delivered the completions at once: a caller that reused its
// buffer on ECONNABORTED could have its new bytes read by a write still
// in progress. The completions now wait for the endpoint's report —
// after the socket actor itself has stopped, if need be — and the Go face
// says the socket stopped only then. (Found in review.)

// TestCloseWaitsForTheTransportToLetGoOfWrites: Close, for a Go caller
// and an actor caller whose writes the transport holds.
func TestCloseWaitsForTheTransportToLetGoOfWrites(t *testing.T) {
	sys, ctx := realSys(t)
	tr := newHoldingTransport()
	c, err := sockactor.Dial(ctx, sys, tr, "fake", "peer")
	if err != nil {
		t.Fatal(err)
	}
	ep := within(t, tr.streams, "endpoint")
	to, replies := relay(t, sys)
	w := c.WritevQueue([]byte("the Go caller's buffer"))
	sys.Send(c.PID(), &sockactor.WritevQueue{Bufs: [][]byte{[]byte("an actor's buffer")}, ReplyTo: to})
	within(t, ep.writes, "the transport write")
	gone := terminated(t, sys, c.PID())
	c.Close()
	within(t, gone, "the socket's stop")
	<-ep.closed
	select {
	case <-w.Done():
		_, err := w.Result()
		t.Fatalf("the write completed (%v) while the closed endpoint still held its buffer", err)
	default:
	}
	notYet(t, replies, "the actor's write completed while the closed endpoint still held its buffer")
	if c.Stopped() {
		t.Fatalf("the socket reports stopped while the endpoint holds a caller's buffer")
	}

	ep.letGo()
	if _, err := w.Wait(ctx); !errors.Is(err, syscall.ECONNABORTED) {
		t.Fatalf("the Go caller's write: %v, want ECONNABORTED", err)
	}
	d, ok := within(t, replies, "the actor's write").(*sockactor.WritevDone)
	if !ok || !errors.Is(d.Err, syscall.ECONNABORTED) {
		t.Fatalf("the actor's write: %#v, want a WritevDone with ECONNABORTED", d)
	}
	if err := c.WaitStopped(ctx); err != nil {
		t.Fatal(err)
	}
	notYet(t, replies, "a second completion")
}

// TestOwnerStopWaitsForTheTransportToLetGoOfWrites: the same when the
// socket stops because its owner does (Stopping/Stopped: no message
// reaches the actor afterwards, so the endpoint's report releases the
// completion by itself).
func TestOwnerStopWaitsForTheTransportToLetGoOfWrites(t *testing.T) {
	sys, ctx := realSys(t)
	tr := newHoldingTransport()
	conns := make(chan *sockactor.Conn, 1)
	owner, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Started); ok {
			conn, err := sockactor.NewConn(c, tr)
			if err != nil {
				panic(err)
			}
			conns <- conn
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	c := within(t, conns, "the owner's socket")
	if _, err := c.Connect("fake", "peer").Wait(ctx); err != nil {
		t.Fatal(err)
	}
	ep := within(t, tr.streams, "endpoint")
	w := c.Writev([]byte("the caller's buffer"))
	within(t, ep.writes, "the transport write")
	gone := terminated(t, sys, c.PID())
	sys.Stop(owner)
	within(t, gone, "the socket's stop")
	<-ep.closed
	select {
	case <-w.Done():
		_, err := w.Result()
		t.Fatalf("the write completed (%v) while the closed endpoint still held its buffer", err)
	default:
	}
	ep.letGo()
	if _, err := w.Wait(ctx); !errors.Is(err, syscall.ECONNABORTED) {
		t.Fatalf("the write: %v, want ECONNABORTED", err)
	}
	if err := c.WaitStopped(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestDgramCloseWaitsForTheTransportToLetGoOfSends: the same for a
// datagram socket's send batch.
func TestDgramCloseWaitsForTheTransportToLetGoOfSends(t *testing.T) {
	sys, ctx := realSys(t)
	tr := newHoldingTransport()
	d, err := sockactor.ListenPacket(sys, tr, "fake", "here")
	if err != nil {
		t.Fatal(err)
	}
	p := within(t, tr.packets, "endpoint")
	s := d.SendToQueue([]byte("the caller's datagram"), fakeAddr("there"))
	within(t, p.sends, "the transport send")
	gone := terminated(t, sys, d.PID())
	d.Close()
	within(t, gone, "the socket's stop")
	<-p.closed
	select {
	case <-s.Done():
		_, err := s.Result()
		t.Fatalf("the send completed (%v) while the closed endpoint still held its datagram", err)
	default:
	}
	p.letGo()
	if _, err := s.Wait(ctx); !errors.Is(err, syscall.ECONNABORTED) {
		t.Fatalf("the send: %v, want ECONNABORTED", err)
	}
	if err := d.WaitStopped(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestRealCloseWithWriteInFlight: over a real connection whose peer reads
// nothing, Close with writes in flight and queued completes each once
// with ECONNABORTED, and the socket stops (the wait for the driver is
// bounded: closing the socket ends its write).
func TestRealCloseWithWriteInFlight(t *testing.T) {
	sys, ctx := realSys(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peers := make(chan net.Conn, 1)
	go func() {
		p, err := ln.Accept()
		if err == nil {
			peers <- p
		}
		close(peers)
	}()
	c, err := sockactor.Dial(ctx, sys, sockactor.RealTransport(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer := <-peers
	if peer == nil {
		t.Fatal("no peer")
	}
	defer peer.Close()
	big := make([]byte, 32<<20) // far more than the socket buffers hold
	ws := []*sockactor.Pending[int]{c.WritevQueue(big), c.WritevQueue([]byte("queued"))}
	time.Sleep(50 * time.Millisecond) // the first is at the transport, blocked
	c.Close()
	for i, w := range ws {
		if _, err := w.Wait(ctx); !errors.Is(err, syscall.ECONNABORTED) {
			t.Fatalf("write %d: %v, want ECONNABORTED", i, err)
		}
	}
	if err := c.WaitStopped(ctx); err != nil {
		t.Fatal(err)
	}
}
