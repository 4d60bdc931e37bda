package qmp_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/goid"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/qmp"
	"github.com/actorio/actorio/sockactor"
)

// newSystemFixture is a fixture on its own system, closed at cleanup.
func newSystemFixture(t *testing.T) (*actors.System, *fixture) {
	t.Helper()
	sys := actors.New()
	f := newFixture(t, sys)
	t.Cleanup(func() {
		f.bus.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = sys.Close(ctx)
	})
	return sys, f
}

// waitSessionsGone waits for the server to count no session.
func waitSessionsGone(t *testing.T, f *fixture, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for f.srv.Conns() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the session never ended (%d still counted)", what, f.srv.Conns())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSessionOnGoneSocket: a session attached to a socket whose actor is
// already gone ends (its greeting's write becomes a dead letter) instead
// of waiting forever for the write to complete, holding its connection
// slot and bus session.
func TestSessionOnGoneSocket(t *testing.T) {
	sys, f := newSystemFixture(t)
	conn, err := sockactor.NewConn(sys, sockactor.RealTransport())
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := conn.WaitStopped(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Attach(qmp.NewSockStream(conn, 1024)); err != nil {
		t.Fatal(err)
	}
	waitSessionsGone(t, f, "socket gone before the session started")
}

// gateStream is a sockactor transport endpoint under the test's control:
// writes complete at once, the first read gets the bytes given, later
// ones stay outstanding; once blockNext is called, the socket actor's
// next read blocks it until the gate opens.
type gateStream struct {
	sink    sockactor.Sink
	first   []byte
	mu      sync.Mutex
	reads   int
	armed   bool
	blocker uint64        // the goroutine whose read blocks (see blockNext)
	blocked chan struct{} // closed when the blocking read starts
	gate    chan struct{} // closed to let it return
	written chan []byte
}

func (s *gateStream) Start(sockactor.Sink) {}
func (s *gateStream) Read(int) {
	s.mu.Lock()
	s.reads++
	first, block := s.reads == 1, s.armed && goid.Get() == s.blocker
	if block {
		s.armed = false
	}
	s.mu.Unlock()
	switch {
	case first:
		s.sink(&sockactor.EvData{Data: append([]byte(nil), s.first...)})
	case block:
		close(s.blocked)
		<-s.gate // inside the socket actor: its mailbox fills meanwhile
	}
}

// blockNext answers the outstanding read with a blank, so that the
// socket reads again: that read blocks. The socket actor runs on the
// goroutine that hands it a message (actors.HotPath), so the answer goes
// from a goroutine of its own, the blocker, which the gate releases. A
// read made on another goroutine does not block: that would be the
// goroutine of whichever actor handed the socket a message at the time
// (the session's, say, which then could not answer the test); the
// blocker answers again until the read it causes blocks it.
func (s *gateStream) blockNext() {
	go func() {
		s.mu.Lock()
		s.armed, s.blocker = true, goid.Get()
		s.mu.Unlock()
		for {
			s.sink(&sockactor.EvData{Data: []byte(" ")}) // blocks here once the read does
			s.mu.Lock()
			done := !s.armed
			s.mu.Unlock()
			if done {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
}

func (s *gateStream) Write(bufs [][]byte) {
	var b []byte
	for _, x := range bufs {
		b = append(b, x...)
	}
	s.written <- b
	s.sink(&sockactor.EvWritten{N: len(b)})
}
func (s *gateStream) AbortWrite()          {}
func (s *gateStream) Close()               { s.sink(&sockactor.EvClosed{}) }
func (s *gateStream) LocalAddr() net.Addr  { return &net.UnixAddr{Name: "local", Net: "unix"} }
func (s *gateStream) RemoteAddr() net.Addr { return &net.UnixAddr{Name: "remote", Net: "unix"} }

type gateTransport struct{ s *gateStream }

func (g gateTransport) Connect(_, _ string, sink sockactor.Sink) (sockactor.Stream, error) {
	g.s.sink = sink
	sink(&sockactor.EvConnected{Local: g.s.LocalAddr(), Remote: g.s.RemoteAddr()})
	return g.s, nil
}
func (gateTransport) Listen(string, string, sockactor.ListenConfig) (sockactor.ListenEndpoint, error) {
	return nil, errors.New("no listen")
}
func (gateTransport) ListenPacket(string, string) (sockactor.Packet, error) {
	return nil, errors.New("no packets")
}

// TestSessionSocketStoppedWithWritePending: the socket actor is stopped
// while the session's write waits in its mailbox, so the write is
// dropped unanswered; the session ends anyway (it watches its socket)
// instead of waiting in its writing state forever.
func TestSessionSocketStoppedWithWritePending(t *testing.T) {
	sys, f := newSystemFixture(t)
	gs := &gateStream{first: []byte(`{"execute": "qmp_capabilities"}`), blocked: make(chan struct{}),
		gate: make(chan struct{}), written: make(chan []byte, 16)}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := sockactor.Dial(ctx, sys, gateTransport{gs}, "unix", "gate")
	if err != nil {
		t.Fatal(err)
	}
	pid, err := f.srv.Attach(qmp.NewSockStream(conn, 1024))
	if err != nil {
		t.Fatal(err)
	}
	recv := func(what string) {
		t.Helper()
		select {
		case <-gs.written:
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s written", what)
		}
	}
	recv("greeting")
	recv("negotiation reply")
	// The socket actor runs on the goroutine that hands it a message
	// (actors.HotPath): until the session has finished with the reply's
	// completion, that may be the session's, and the blocking read
	// would then block the session too (it could not answer the Fence
	// below: a flake, 1 run in ~200). Once the session answers a Fence,
	// the socket is idle, and blockNext's goroutine is the one it blocks.
	if _, err := sys.Request(ctx, pid, &signalbus.Fence{}); err != nil {
		t.Fatal(err)
	}
	gs.blockNext()
	select {
	case <-gs.blocked: // the socket actor is stuck in its endpoint's Read
	case <-time.After(5 * time.Second):
		t.Fatal("the socket never read again")
	}
	// An event: the session writes it, and the Writev waits in the
	// blocked socket's mailbox.
	if err := f.io.Emit(blockIOEvent{Device: "vda", Action: "report", Operation: "write"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.io.Stats(ctx); err != nil { // the signal has delivered it
		t.Fatal(err)
	}
	if _, err := sys.Request(ctx, pid, &signalbus.Fence{}); err != nil { // the session has handled it
		t.Fatal(err)
	}
	sys.Stop(conn.PID()) // a system message: it overtakes the Writev, which is dropped
	close(gs.gate)
	waitSessionsGone(t, f, "socket stopped with a write pending")
}
