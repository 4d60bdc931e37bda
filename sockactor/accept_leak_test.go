package sockactor_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sockactor"
)

// lateListener is a ListenEndpoint double that lets the test report a
// connection whenever it likes: as Close runs (a connection the kernel
// handed over just as the listener closed), or after the listener actor
// has stopped.
type lateListener struct {
	mu      sync.Mutex
	sink    sockactor.Sink
	onClose func(sink sockactor.Sink)
}

func (l *lateListener) Start(sink sockactor.Sink) {
	l.mu.Lock()
	l.sink = sink
	l.mu.Unlock()
}
func (l *lateListener) Accept() {}
func (l *lateListener) Close() {
	l.mu.Lock()
	sink, f := l.sink, l.onClose
	l.mu.Unlock()
	if f != nil {
		f(sink)
	}
	sink(&sockactor.EvClosed{})
}
func (l *lateListener) Addr() net.Addr { return fakeAddr("late") }

func (l *lateListener) Sink() sockactor.Sink {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sink
}

type lateTransport struct{ l *lateListener }

func (t lateTransport) Connect(string, string, sockactor.Sink) (sockactor.Stream, error) {
	return nil, errors.New("lateTransport: listen only")
}
func (t lateTransport) Listen(string, string, sockactor.ListenConfig) (sockactor.ListenEndpoint, error) {
	return t.l, nil
}
func (t lateTransport) ListenPacket(string, string) (sockactor.Packet, error) {
	return nil, errors.New("lateTransport: listen only")
}

// closedStream is an accepted connection that only records its Close.
type closedStream struct{ closed chan struct{} }

func newClosedStream() *closedStream         { return &closedStream{closed: make(chan struct{})} }
func (s *closedStream) Start(sockactor.Sink) {}
func (s *closedStream) Read(int)             {}
func (s *closedStream) Write([][]byte)       {}
func (s *closedStream) AbortWrite()          {}
func (s *closedStream) Close()               { close(s.closed) }
func (s *closedStream) LocalAddr() net.Addr  { return fakeAddr("local") }
func (s *closedStream) RemoteAddr() net.Addr { return fakeAddr("remote") }
func (s *closedStream) mustClose(t *testing.T, what string) {
	t.Helper()
	select {
	case <-s.closed:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: the accepted connection was never closed (its descriptor leaks)", what)
	}
}

// TestLateAcceptedConnectionClosed: a connection the endpoint reports
// while the listener stops, or after it stopped, is closed, not lost with
// its descriptor.
//
// Found in review: such an EvAccepted reached an actor that was gone (a
// user message dropped from a stopped actor's mailbox, or a dead letter),
// and nobody closed its stream.
func TestLateAcceptedConnectionClosed(t *testing.T) {
	for _, how := range []string{"Close", "Stop"} {
		t.Run(how, func(t *testing.T) {
			sys := actors.New()
			defer sys.Close(context.Background())
			during := newClosedStream()
			ll := &lateListener{onClose: func(sink sockactor.Sink) { sink(&sockactor.EvAccepted{Stream: during}) }}
			l, err := sockactor.Listen(sys, lateTransport{ll}, "tcp", "x")
			if err != nil {
				t.Fatal(err)
			}
			if how == "Close" {
				l.Close()
			} else {
				sys.Stop(l.PID()) // as an owner stopping its children does
			}
			if err := l.WaitStopped(context.Background()); err != nil {
				t.Fatal(err)
			}
			during.mustClose(t, "reported while the listener stopped")
			after := newClosedStream()
			ll.Sink()(&sockactor.EvAccepted{Stream: after})
			after.mustClose(t, "reported after the listener stopped")
		})
	}
}
