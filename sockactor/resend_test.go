package sockactor_test

import (
	"errors"
	"net"
	"sync"
	"syscall"
	"testing"

	"github.com/actorio/actorio/sockactor"
	"github.com/asynkron/protoactor-go/actor"
)

// A request message is one request. Sent to a socket again while it was
// still pending, it was registered a second time: the message then named
// the newer registration only, so a Cancel reached that one and the first
// could no longer be cancelled (nor timed out by the caller's own
// bookkeeping); a re-sent Go-face message even finished the caller's
// handle with the second registration's result (EBUSY). Now the message
// sent again is refused with one completion carrying EALREADY (to its
// ReplyTo or sender) and the pending request is untouched. (Found in
// review.)

// TestResentReadIsRefused: ReadPDU and ReadPDUQueue messages sent twice.
func TestResentReadIsRefused(t *testing.T) {
	sys, ctx := realSys(t)
	a, b := connPair(t, sys, ctx)
	to, replies := relay(t, sys)
	for _, req := range []any{
		&sockactor.ReadPDU{Next: sockactor.LengthPrefixed(4, 100).Next, ReplyTo: to},
		&sockactor.ReadPDUQueue{Next: sockactor.LengthPrefixed(4, 100).Next, ReplyTo: to},
	} {
		sys.Send(a.PID(), req)
		sys.Send(a.PID(), req) // again, while pending
		d := within(t, replies, "the refusal").(*sockactor.ReadPDUDone)
		if d.Req != req || !errors.Is(d.Err, syscall.EALREADY) {
			t.Fatalf("%T sent again while pending: %v, want EALREADY", req, d.Err)
		}
		sys.Send(a.PID(), &sockactor.Cancel{Req: req})
		d = within(t, replies, "the cancel").(*sockactor.ReadPDUDone)
		if d.Req != req || !errors.Is(d.Err, syscall.ECANCELED) {
			t.Fatalf("%T cancelled: %v, want ECANCELED (the cancel must reach the first request)", req, d.Err)
		}
		notYet(t, replies, "a third completion")
	}
	// The socket is intact: the next read gets the next PDU.
	f := sockactor.LengthPrefixed(4, 100)
	r := a.ReadPDU(f.Next)
	if _, err := b.WritevQueue(pdu([]byte("after"))).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Wait(ctx); err != nil || string(f.Body()) != "after" {
		t.Fatalf("read after: %d %v %q", n, err, f.Body())
	}
}

// TestResentWriteIsRefused: a WritevQueue sent again while the transport
// writes it is refused, nothing more is written, and the first completes
// with its own result; once completed, the message may be sent again.
func TestResentWriteIsRefused(t *testing.T) {
	sys, ctx := realSys(t)
	tr := newHoldingTransport()
	c, err := sockactor.Dial(ctx, sys, tr, "fake", "peer")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ep := within(t, tr.streams, "endpoint")
	to, replies := relay(t, sys)
	req := &sockactor.WritevQueue{Bufs: [][]byte{[]byte("hello")}, ReplyTo: to}
	sys.Send(c.PID(), req)
	within(t, ep.writes, "the write")
	sys.Send(c.PID(), req) // again, while the transport writes it
	d := within(t, replies, "the refusal").(*sockactor.WritevDone)
	if d.Req != req || !errors.Is(d.Err, syscall.EALREADY) {
		t.Fatalf("WritevQueue sent again while pending: %v, want EALREADY", d.Err)
	}
	ep.written(5)
	d = within(t, replies, "the write's completion").(*sockactor.WritevDone)
	if d.Err != nil || d.N != 5 {
		t.Fatalf("the first write: N=%d err=%v", d.N, d.Err)
	}
	notYet(t, ep.writes, "written twice")
	// Completed, the message is a new request when sent again.
	sys.Send(c.PID(), req)
	within(t, ep.writes, "the write sent again")
	ep.written(5)
	if d := within(t, replies, "its completion").(*sockactor.WritevDone); d.Err != nil || d.N != 5 {
		t.Fatalf("the write sent again after its completion: N=%d err=%v", d.N, d.Err)
	}
}

// TestResentGoRequest: the message of a Go caller's handle, sent again by
// an actor while pending, is refused to that actor and leaves the handle
// alone (it used to finish it with EBUSY); sent again after the handle
// completed, it is a new request whose completion goes to the actor (it
// used to go to the finished handle, and so nowhere).
func TestResentGoRequest(t *testing.T) {
	sys, ctx := realSys(t)
	a, b := connPair(t, sys, ctx)
	act, replies := relay(t, sys)
	f := sockactor.LengthPrefixed(4, 100)
	p := a.ReadPDU(f.Next)
	sys.Send(act, func(c actor.Context) { c.Request(a.PID(), p.Request()) })
	d := within(t, replies, "the refusal").(*sockactor.ReadPDUDone)
	if d.Req != p.Request() || !errors.Is(d.Err, syscall.EALREADY) {
		t.Fatalf("the handle's message sent again: %v, want EALREADY", d.Err)
	}
	select {
	case <-p.Done():
		_, err := p.Result()
		t.Fatalf("the handle finished (%v) by its message sent again", err)
	default:
	}
	p.Cancel()
	if _, err := p.Wait(ctx); !errors.Is(err, syscall.ECANCELED) {
		t.Fatalf("the handle: %v, want ECANCELED", err)
	}

	f.Reset() // the cancelled read had asked for a header
	sys.Send(act, func(c actor.Context) { c.Request(a.PID(), p.Request()) })
	if _, err := b.WritevQueue(pdu([]byte("again"))).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	d = within(t, replies, "the completion of the message sent again").(*sockactor.ReadPDUDone)
	if d.Err != nil || string(f.Body()) != "again" {
		t.Fatalf("the message sent again after completion: %v %q", d.Err, f.Body())
	}
	if _, err := p.Result(); !errors.Is(err, syscall.ECANCELED) {
		t.Fatalf("the handle's result changed to %v", err)
	}
}

// TestResentToAnotherSocket: a message sent to two sockets at once is
// taken by one (whichever handles it first: they run independently) and
// refused by the other; the one that took it keeps it.
func TestResentToAnotherSocket(t *testing.T) {
	sys, ctx := realSys(t)
	a, b := connPair(t, sys, ctx)
	to, replies := relay(t, sys)
	req := &sockactor.ReadPDU{Next: sockactor.LengthPrefixed(4, 100).Next, ReplyTo: to}
	sys.Send(a.PID(), req)
	sys.Send(b.PID(), req)
	d := within(t, replies, "the refusal").(*sockactor.ReadPDUDone)
	if !errors.Is(d.Err, syscall.EALREADY) {
		t.Fatalf("sent to a second socket while pending: %v from %v, want EALREADY", d.Err, d.Socket)
	}
	holder := a.PID()
	if d.Socket.Equal(a.PID()) {
		holder = b.PID()
	}
	notYet(t, replies, "a second completion before the cancel")
	sys.Send(holder, &sockactor.Cancel{Req: req})
	d = within(t, replies, "the cancel").(*sockactor.ReadPDUDone)
	if !d.Socket.Equal(holder) || !errors.Is(d.Err, syscall.ECANCELED) {
		t.Fatalf("cancel at the socket that took it: %v from %v", d.Err, d.Socket)
	}
}

// TestResentRecvFromAndAccept: the datagram socket and the listener
// refuse a message sent again while pending the same way.
func TestResentRecvFromAndAccept(t *testing.T) {
	sys, ctx := realSys(t)
	act, replies := relay(t, sys)

	d, err := sockactor.ListenPacket(sys, sockactor.RealTransport(), "udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r := d.RecvFrom()
	sys.Send(act, func(c actor.Context) { c.Request(d.PID(), r.Request()) })
	if m := within(t, replies, "recvfrom refusal").(*sockactor.RecvFromDone); m.Req != r.Request() || !errors.Is(m.Err, syscall.EALREADY) {
		t.Fatalf("RecvFrom sent again while pending: %v, want EALREADY", m.Err)
	}
	select {
	case <-r.Done():
		_, err := r.Result()
		t.Fatalf("the recvfrom handle finished (%v) by its message sent again", err)
	default:
	}
	r.Cancel()
	if _, err := r.Wait(ctx); !errors.Is(err, syscall.ECANCELED) {
		t.Fatalf("recvfrom: %v, want ECANCELED", err)
	}

	l, err := sockactor.Listen(sys, sockactor.RealTransport(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	acc := l.Accept()
	sys.Send(act, func(c actor.Context) { c.Request(l.PID(), acc.Request()) })
	if m := within(t, replies, "accept refusal").(*sockactor.AcceptDone); m.Req != acc.Request() || !errors.Is(m.Err, syscall.EALREADY) {
		t.Fatalf("Accept sent again while pending: %v, want EALREADY", m.Err)
	}
	c, err := sockactor.Dial(ctx, sys, sockactor.RealTransport(), "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := acc.Wait(ctx)
	if err != nil {
		t.Fatalf("the first Accept: %v", err)
	}
	s.Close()
	notYet(t, replies, "a second accept completion")
}

// TestRequestsNoSocketTakes: a request message a socket cannot carry out
// got no completion at all (a stream ignored a RecvFrom, a datagram
// socket an Accept, a listener a ReadPDU), and a nil request message
// stopped the socket (a nil pointer dereference). Each now gets one
// completion: EOPNOTSUPP, EINVAL for nil. (Found in review.)
func TestRequestsNoSocketTakes(t *testing.T) {
	sys, ctx := realSys(t)
	a, _ := connPair(t, sys, ctx)
	d, err := sockactor.ListenPacket(sys, sockactor.RealTransport(), "udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	l, err := sockactor.Listen(sys, sockactor.RealTransport(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	act, replies := relay(t, sys)
	for _, tc := range []struct {
		to    *actor.PID
		req   any
		errno syscall.Errno
	}{
		{a.PID(), &sockactor.RecvFrom{}, syscall.EOPNOTSUPP},
		{a.PID(), &sockactor.Accept{}, syscall.EOPNOTSUPP},
		{d.PID(), &sockactor.Accept{}, syscall.EOPNOTSUPP},
		{d.PID(), &sockactor.WritevQueue{Bufs: [][]byte{{1}}}, syscall.EOPNOTSUPP},
		{l.PID(), &sockactor.ReadPDU{Next: sockactor.LengthPrefixed(2, 10).Next}, syscall.EOPNOTSUPP},
		{a.PID(), (*sockactor.ReadPDU)(nil), syscall.EINVAL},
		{d.PID(), (*sockactor.SendTo)(nil), syscall.EINVAL},
		{l.PID(), (*sockactor.Accept)(nil), syscall.EINVAL},
	} {
		sys.Send(act, func(c actor.Context) { c.Request(tc.to, tc.req) })
		m := within(t, replies, "the refusal")
		var got error
		switch m := m.(type) {
		case *sockactor.ReadPDUDone:
			got = m.Err
		case *sockactor.WritevDone:
			got = m.Err
		case *sockactor.RecvFromDone:
			got = m.Err
		case *sockactor.SendToDone:
			got = m.Err
		case *sockactor.AcceptDone:
			got = m.Err
		default:
			t.Fatalf("%T to %v: answered %#v", tc.req, tc.to, m)
		}
		if !errors.Is(got, tc.errno) {
			t.Fatalf("%T to %v: %v, want %v", tc.req, tc.to, got, tc.errno)
		}
	}
	if a.Stopped() || d.Stopped() || l.Stopped() {
		t.Fatal("a refused request stopped a socket")
	}
}

// panickyListener is a ListenEndpoint double whose second Accept panics.
type panickyListener struct {
	mu      sync.Mutex
	sink    sockactor.Sink
	accepts int
}

func (l *panickyListener) Start(sink sockactor.Sink) {
	l.mu.Lock()
	l.sink = sink
	l.mu.Unlock()
}

func (l *panickyListener) Accept() {
	l.mu.Lock()
	l.accepts++
	n := l.accepts
	l.mu.Unlock()
	if n > 1 {
		panic("panickyListener: accept")
	}
}

func (l *panickyListener) Close()         {}
func (l *panickyListener) Addr() net.Addr { return fakeAddr("listener") }

func (l *panickyListener) report(ev any) {
	l.mu.Lock()
	sink := l.sink
	l.mu.Unlock()
	sink(ev)
}

type panickyTransport struct {
	*holdingTransport
	ep *panickyListener
}

func (t panickyTransport) Listen(string, string, sockactor.ListenConfig) (sockactor.ListenEndpoint, error) {
	return t.ep, nil
}

// TestListenerPanicCompletesAccepts: a panic in the listener actor (here
// in its endpoint's Accept) escaped, and protoactor restarted the actor
// as a new one that knew nothing of the Accepts pending: an actor's
// Accept never completed. The listener now stops, as a socket does, and
// completes them with ECONNABORTED. (Found in review.)
func TestListenerPanicCompletesAccepts(t *testing.T) {
	sys, ctx := realSys(t)
	ep := &panickyListener{}
	l, err := sockactor.Listen(sys, panickyTransport{newHoldingTransport(), ep}, "fake", "x")
	if err != nil {
		t.Fatal(err)
	}
	act, replies := relay(t, sys)
	sys.Send(act, func(c actor.Context) {
		c.Request(l.PID(), &sockactor.Accept{})
		// Then (in this order at the listener) an accept fails: the
		// listener asks its endpoint again, which panics.
		ep.report(&sockactor.EvAccepted{Err: errors.New("accept failed")})
	})
	d, ok := within(t, replies, "the Accept's completion").(*sockactor.AcceptDone)
	if !ok || !errors.Is(d.Err, syscall.ECONNABORTED) {
		t.Fatalf("the Accept pending when the listener panicked: %#v, want ECONNABORTED", d)
	}
	if err := l.WaitStopped(ctx); err != nil {
		t.Fatal(err)
	}
}
