package sockactor_test

// A Transport double for the stop tests: its endpoints, once closed, keep
// the outstanding Write's (or Send's) buffers until the test lets the
// driver go. The Stream contract allows it (a Write's bufs are the
// endpoint's until its EvWritten; Close ends outstanding operations with
// an event, then EvClosed follows), and a transport whose Close does not
// wait for a write in progress behaves so. Neither shipped transport can
// show it: the real one's Close (net.Conn.Close) returns only once the
// writer's system call has, and the simulated one copies a write's bytes
// as it takes them.

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sockactor"
	"github.com/asynkron/protoactor-go/actor"
)

type fakeAddr string

func (a fakeAddr) Network() string { return "fake" }
func (a fakeAddr) String() string  { return string(a) }

var errFakeClosed = &net.OpError{Op: "write", Net: "fake", Err: net.ErrClosed}

// holdingTransport hands each endpoint it opens to the test.
type holdingTransport struct {
	streams chan *holdingStream
	packets chan *holdingPacket
}

func newHoldingTransport() *holdingTransport {
	return &holdingTransport{streams: make(chan *holdingStream, 4), packets: make(chan *holdingPacket, 4)}
}

func (t *holdingTransport) Connect(network, addr string, sink sockactor.Sink) (sockactor.Stream, error) {
	s := &holdingStream{sink: sink, writes: make(chan [][]byte, 8), closed: make(chan struct{})}
	t.streams <- s
	sink(&sockactor.EvConnected{Local: fakeAddr("local"), Remote: fakeAddr(addr)})
	return s, nil
}

func (t *holdingTransport) Listen(string, string, sockactor.ListenConfig) (sockactor.ListenEndpoint, error) {
	return nil, errors.New("holdingTransport: no listeners")
}

func (t *holdingTransport) ListenPacket(network, addr string) (sockactor.Packet, error) {
	p := &holdingPacket{sends: make(chan []sockactor.Outgoing, 8), closed: make(chan struct{}), aborts: make(chan struct{}, 8)}
	t.packets <- p
	return p, nil
}

// holdingStream never answers a Write by itself: the test ends it with
// letGo, which reports the write and, if the endpoint was closed, its
// close.
type holdingStream struct {
	mu       sync.Mutex
	sink     sockactor.Sink
	reading  bool
	writing  bool
	isClosed bool
	writes   chan [][]byte // each Write's bufs, for the test
	closed   chan struct{} // closed by Close
}

func (s *holdingStream) Start(sockactor.Sink) {}
func (s *holdingStream) Read(int) {
	s.mu.Lock()
	s.reading = true
	s.mu.Unlock()
}

func (s *holdingStream) Write(bufs [][]byte) {
	s.mu.Lock()
	s.writing = true
	s.mu.Unlock()
	s.writes <- bufs
}

func (s *holdingStream) AbortWrite() {}

// Close ends the outstanding Read at once, but not the Write: it is still
// in progress (its bufs in use) until letGo.
func (s *holdingStream) Close() {
	s.mu.Lock()
	if s.isClosed {
		s.mu.Unlock()
		return
	}
	s.isClosed = true
	reading := s.reading
	s.reading = false
	s.mu.Unlock()
	if reading {
		s.sink(&sockactor.EvData{Err: errFakeClosed})
	}
	close(s.closed)
}

// letGo ends the write in progress (no byte written) and then, the
// endpoint being closed, reports the close.
func (s *holdingStream) letGo() {
	s.mu.Lock()
	writing := s.writing
	s.writing = false
	s.mu.Unlock()
	if writing {
		s.sink(&sockactor.EvWritten{Err: errFakeClosed})
	}
	s.sink(&sockactor.EvClosed{})
}

// written ends the write in progress with all n bytes written.
func (s *holdingStream) written(n int) {
	s.mu.Lock()
	s.writing = false
	s.mu.Unlock()
	s.sink(&sockactor.EvWritten{N: n})
}

func (s *holdingStream) LocalAddr() net.Addr  { return fakeAddr("local") }
func (s *holdingStream) RemoteAddr() net.Addr { return fakeAddr("remote") }

// holdingPacket is holdingStream for datagrams: a Send batch stays in
// progress until letGo.
type holdingPacket struct {
	mu       sync.Mutex
	sink     sockactor.Sink
	sending  int
	isClosed bool
	sends    chan []sockactor.Outgoing
	closed   chan struct{}
	aborts   chan struct{} // one per AbortSend with a batch outstanding
}

func (p *holdingPacket) Start(sink sockactor.Sink) { p.sink = sink }
func (p *holdingPacket) Recv()                     {}
func (p *holdingPacket) Send(batch []sockactor.Outgoing) {
	p.mu.Lock()
	p.sending = len(batch)
	p.mu.Unlock()
	p.sends <- batch
}

// AbortSend tells the test; the batch stays in progress until the test
// reports it (sent).
func (p *holdingPacket) AbortSend() {
	p.mu.Lock()
	sending := p.sending > 0
	p.mu.Unlock()
	if sending {
		p.aborts <- struct{}{}
	}
}

// sent reports the batch in progress with results errs.
func (p *holdingPacket) sent(errs ...error) {
	p.mu.Lock()
	p.sending = 0
	p.mu.Unlock()
	p.sink(&sockactor.EvSent{Errs: errs})
}

func (p *holdingPacket) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.isClosed {
		p.isClosed = true
		close(p.closed)
	}
}

func (p *holdingPacket) letGo() {
	p.mu.Lock()
	n := p.sending
	p.sending = 0
	p.mu.Unlock()
	if n > 0 {
		errs := make([]error, n)
		for i := range errs {
			errs[i] = errFakeClosed
		}
		p.sink(&sockactor.EvSent{Errs: errs})
	}
	p.sink(&sockactor.EvClosed{})
}

func (p *holdingPacket) LocalAddr() net.Addr { return fakeAddr("local") }

// within waits for ch or fails the test after 5 s.
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: nothing within 5s", what)
		var zero T
		return zero
	}
}

// terminated watches pid from a new actor and returns a channel closed
// once pid has stopped.
func terminated(t *testing.T, sys *actors.System, pid *actor.PID) <-chan struct{} {
	t.Helper()
	ch, watching := make(chan struct{}), make(chan struct{})
	w, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			c.Watch(pid)
			close(watching)
		case *actor.Terminated:
			if m.Who.Equal(pid) {
				close(ch)
			}
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Stop(w) })
	within(t, watching, "watch")
	return ch
}

// relay is an actor that runs the functions sent to it (so that a test
// can send requests as an actor, with ctx.Request) and passes every other
// message but the lifecycle ones to a channel.
func relay(t *testing.T, sys *actors.System) (*actor.PID, chan any) {
	t.Helper()
	ch := make(chan any, 16)
	pid, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started, *actor.Stopping, *actor.Stopped, *actor.Restarting:
		case func(actor.Context):
			m(c)
		default:
			ch <- m
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Stop(pid) })
	return pid, ch
}

// notYet fails the test if ch yields within a short while.
func notYet[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("%s: %v", what, v)
	case <-time.After(50 * time.Millisecond):
	}
}
