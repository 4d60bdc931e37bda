package sockactor

import (
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestNetStreamWriterLetsGoOfBufs: "The endpoint does not keep bufs
// after that event" (Stream.Write). The real writer kept the vector it
// wrote from in a field (net.Buffers.WriteTo consumes it in place), so a
// write that ended short (aborted, or failed) left the unwritten part of
// the caller's buffers referenced by the endpoint until its next write or
// its Close, keeping megabytes alive on an idle poisoned stream. Found in
// review.
func TestNetStreamWriterLetsGoOfBufs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	evs := make(chan any, 8)
	ep, err := (&Net{}).Connect("tcp", ln.Addr().String(), func(ev any) { evs <- ev })
	if err != nil {
		t.Fatal(err)
	}
	s := ep.(*netStream)
	defer s.Close()
	peer, err := ln.Accept() // never reads: the write fills the windows
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	next := func() any {
		select {
		case ev := <-evs:
			return ev
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
			return nil
		}
	}
	if ev := next().(*EvConnected); ev.Err != nil {
		t.Fatal(ev.Err)
	}
	big := make([]byte, 64<<20)
	s.Write([][]byte{big})
	time.Sleep(20 * time.Millisecond)
	s.AbortWrite()
	ev := next().(*EvWritten)
	if ev.Err == nil || ev.N >= len(big) {
		t.Fatalf("the write was not cut short: N=%d err=%v", ev.N, ev.Err)
	}
	// The writer is idle now (it set its state before the event).
	for _, b := range s.wvec {
		if len(b) > 0 {
			t.Fatalf("after EvWritten{N: %d} the endpoint still holds %d unwritten bytes of the caller's buffers", ev.N, len(b))
		}
	}
}

// failingListener fails every Accept with err and counts the calls.
type failingListener struct {
	net.Listener
	err   error
	calls atomic.Int64
}

func (f *failingListener) Accept() (net.Conn, error) {
	f.calls.Add(1)
	return nil, f.err
}

func (f *failingListener) Close() error { return nil }

// TestAcceptBacksOffWhenOutOfDescriptors: an accept that fails for lack
// of descriptors (EMFILE) fails again at once until some are freed; the
// listener actor asks again after each failure, so without a pause the
// driver spins at full speed, logging a warning each time (found in
// review). With the backoff (5 ms doubling), 300 ms of failures cost a
// handful of attempts, and every one is still reported.
func TestAcceptBacksOffWhenOutOfDescriptors(t *testing.T) {
	f := &failingListener{err: &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}}
	n := newNetListener(f)
	var reported atomic.Int64
	n.Start(func(ev any) {
		if a, ok := ev.(*EvAccepted); ok && a.Err != nil {
			reported.Add(1)
			n.Accept() // as the listener actor does
		}
	})
	n.Accept()
	time.Sleep(300 * time.Millisecond)
	n.Close()
	n.wg.Wait()
	calls := f.calls.Load()
	if calls > 12 {
		t.Fatalf("%d accept attempts in 300 ms of EMFILE: the driver spins", calls)
	}
	// Every failure is reported, but for the last when Close came while
	// it was being made: a closed listener reports nothing more.
	if r := reported.Load(); calls < 2 || r != calls && r != calls-1 {
		t.Fatalf("%d attempts, %d reported: want every failure reported (the last may meet Close) and a retry", calls, r)
	}
}
