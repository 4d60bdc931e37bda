package sockactor

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
)

// scriptedListener answers Accept from a script: each entry is an error,
// or nil for a connection; past the script, Accept blocks until Close.
type scriptedListener struct {
	gate   chan struct{} // if not nil, the first Accept waits until it is closed
	mu     sync.Mutex
	script []error
	calls  int
	closed chan struct{}
	once   sync.Once
}

func newScriptedListener(script ...error) *scriptedListener {
	return &scriptedListener{script: script, closed: make(chan struct{})}
}

func (s *scriptedListener) Accept() (net.Conn, error) {
	s.mu.Lock()
	s.calls++
	i := s.calls - 1
	s.mu.Unlock()
	if i == 0 && s.gate != nil {
		<-s.gate
	}
	if i < len(s.script) {
		if err := s.script[i]; err != nil {
			return nil, err
		}
		a, b := net.Pipe()
		b.Close()
		return a, nil
	}
	<-s.closed
	return nil, net.ErrClosed
}

func (s *scriptedListener) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

func (s *scriptedListener) Addr() net.Addr { return &net.TCPAddr{} }

func (s *scriptedListener) attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func acceptErr(errno syscall.Errno) error {
	return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", errno)}
}

// TestAcceptBacksOffOnAnyTransientError: the driver backed off only after
// EMFILE, ENFILE, ENOBUFS or ENOMEM; any other failing accept (a pending
// network error such as EPROTO or ENETDOWN, ECONNRESET, ...) was tried
// again at once, and the listener actor asks again after each failure: a
// hot loop for as long as accept kept failing. Every failure that does
// not end the listener now backs off, 5 ms doubling to 1 s as net/http's
// server does, and a success resets the pause. The pauses are counted
// through the driver's wait seam, not timed.
func TestAcceptBacksOffOnAnyTransientError(t *testing.T) {
	var script []error
	for i := 0; i < 10; i++ {
		script = append(script, acceptErr(syscall.EPROTO))
	}
	script = append(script, nil, acceptErr(syscall.ECONNRESET), acceptErr(syscall.ENETDOWN))
	l := newScriptedListener(script...)
	n := newNetListener(l)
	var mu sync.Mutex
	var waits []time.Duration
	n.wait = func(d time.Duration) bool {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return true
	}
	events := make(chan *EvAccepted, len(script))
	n.Start(func(ev any) {
		if a, ok := ev.(*EvAccepted); ok {
			events <- a
			n.Accept() // as the listener actor does
		}
	})
	n.Accept()
	for i := range script {
		select {
		case ev := <-events:
			if (ev.Err == nil) != (script[i] == nil) {
				t.Fatalf("accept %d reported %+v, want the scripted %v", i+1, ev, script[i])
			}
			if ev.Stream != nil {
				ev.Stream.Close()
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("accept %d never reported", i+1)
		}
	}
	n.Close()
	n.wg.Wait()
	ms := time.Millisecond
	// Before attempts 2..11 (after each EPROTO), none before attempt 12
	// (after the success), 5 ms before attempt 13 (after ECONNRESET) and
	// 10 ms before the 14th (after ENETDOWN; it blocks until Close).
	want := []time.Duration{5 * ms, 10 * ms, 20 * ms, 40 * ms, 80 * ms, 160 * ms, 320 * ms, 640 * ms, time.Second, time.Second, 5 * ms, 10 * ms}
	mu.Lock()
	defer mu.Unlock()
	if len(waits) != len(want) {
		t.Fatalf("pauses %v, want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("pauses %v, want %v", waits, want)
		}
	}
}

// TestAcceptPermanentErrorEndsDriver: an accept that fails because the
// listening socket itself is gone (EBADF, EINVAL, ENOTSOCK, net.ErrClosed
// without Close) fails the same way forever; the driver tried again at
// once each time it was asked (a hot loop, a warning logged each time).
// It now reports the error once and accepts no more.
func TestAcceptPermanentErrorEndsDriver(t *testing.T) {
	for _, err := range []error{acceptErr(syscall.EBADF), acceptErr(syscall.EINVAL), acceptErr(syscall.ENOTSOCK), net.ErrClosed} {
		l := newScriptedListener(err, err, err)
		n := newNetListener(l)
		n.wait = func(time.Duration) bool { return true }
		reported := make(chan error, 4)
		n.Start(func(ev any) {
			if a, ok := ev.(*EvAccepted); ok {
				reported <- a.Err
				n.Accept()
			}
		})
		n.Accept()
		ended := make(chan struct{})
		go func() { n.wg.Wait(); close(ended) }()
		select {
		case <-ended:
		case <-time.After(10 * time.Second):
			n.Close()
			<-ended
			t.Fatalf("%v: the accept goroutine kept going (%d attempts)", err, l.attempts())
		}
		n.Close()
		if got := <-reported; !errors.Is(got, err) {
			t.Fatalf("reported %v, want %v", got, err)
		}
		if a := l.attempts(); a != 1 || len(reported) != 0 {
			t.Fatalf("%v: %d attempts, %d more reports, want 1 attempt reported once", err, a, len(reported))
		}
	}
}

// scriptedTransport listens with the real driver over a scripted listener.
type scriptedTransport struct{ l *scriptedListener }

func (t scriptedTransport) Connect(string, string, Sink) (Stream, error) {
	return nil, errors.New("scriptedTransport: no connects")
}

func (t scriptedTransport) Listen(string, string, ListenConfig) (ListenEndpoint, error) {
	n := newNetListener(t.l)
	n.wait = func(time.Duration) bool { return true }
	return n, nil
}

func (t scriptedTransport) ListenPacket(string, string) (Packet, error) {
	return nil, errors.New("scriptedTransport: no datagram sockets")
}

// TestListenerEndsOnPermanentAcceptError: a listener whose accepts fail
// for good (the socket is gone: EBADF) only logged each failure and asked
// again: its pending Accept never completed and it never stopped. It now
// completes its Accepts with the error, pushes it to its AcceptTo actor,
// and stops.
func TestListenerEndsOnPermanentAcceptError(t *testing.T) {
	sys := actors.New()
	defer sys.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bad := acceptErr(syscall.EBADF)

	sl := newScriptedListener(bad, bad, bad)
	sl.gate = make(chan struct{})
	l, err := Listen(sys, scriptedTransport{sl}, "tcp", "x")
	if err != nil {
		t.Fatal(err)
	}
	acc := l.Accept() // in the mailbox before the failure
	close(sl.gate)
	if _, err := acc.Wait(ctx); !errors.Is(err, syscall.EBADF) {
		t.Fatalf("Accept on a listener whose socket is gone: %v, want EBADF", err)
	}
	if err := l.WaitStopped(ctx); err != nil {
		t.Fatalf("the listener did not stop: %v", err)
	}

	pushed := make(chan *AcceptDone, 4)
	to, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*AcceptDone); ok {
			pushed <- m
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Stop(to)
	l2, err := Listen(sys, scriptedTransport{newScriptedListener(bad, bad, bad)}, "tcp", "x", AcceptTo(to))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-pushed:
		if !errors.Is(m.Err, syscall.EBADF) || m.Conn != nil || !m.Listener.Equal(l2.PID()) {
			t.Fatalf("pushed %+v, want the listener's EBADF", m)
		}
	case <-ctx.Done():
		t.Fatal("the AcceptTo actor was never told that the listener failed")
	}
	if err := l2.WaitStopped(ctx); err != nil {
		t.Fatalf("the AcceptTo listener did not stop: %v", err)
	}
}

// TestAcceptOnAcceptToListenerRefused: a listener with AcceptTo pushes
// every connection to its actor, so an Accept request sent to it waited
// for a connection that would never be its own: it hung until the
// listener closed (or its timeout). It is now refused at once with
// EINVAL saying why.
func TestAcceptOnAcceptToListenerRefused(t *testing.T) {
	sys := actors.New()
	defer sys.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	to, err := sys.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Stop(to)
	l, err := Listen(sys, RealTransport(), "tcp", "127.0.0.1:0", AcceptTo(to))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Accept().Wait(ctx); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Accept on an AcceptTo listener: %v, want EINVAL", err)
	}
}

// TestListenerCloseLifecycle (review, no defect found): an Accept pending
// when the listener closes, and one sent after it stopped, complete with
// ECONNABORTED; a unix listener's file is gone and its path (and a TCP
// listener's port) can be listened on again at once.
func TestListenerCloseLifecycle(t *testing.T) {
	sys := actors.New()
	defer sys.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct{ network, addr string }{
		{"tcp", "127.0.0.1:0"},
		{"unix", t.TempDir() + "/s.sock"},
	} {
		l, err := Listen(sys, RealTransport(), tc.network, tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		pending := l.Accept()
		l.Close()
		if _, err := pending.Wait(ctx); !errors.Is(err, syscall.ECONNABORTED) {
			t.Fatalf("%s: Accept pending at Close: %v, want ECONNABORTED", tc.network, err)
		}
		if err := l.WaitStopped(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Accept().Wait(ctx); !errors.Is(err, syscall.ECONNABORTED) {
			t.Fatalf("%s: Accept after the listener stopped: %v, want ECONNABORTED", tc.network, err)
		}
		if tc.network == "unix" {
			if _, err := os.Lstat(tc.addr); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the socket file after Close: %v", err)
			}
		}
		again, err := Listen(sys, RealTransport(), tc.network, l.Addr().String())
		if err != nil {
			t.Fatalf("%s: listen again on %s after Close: %v", tc.network, l.Addr(), err)
		}
		again.Close()
		if err := again.WaitStopped(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
