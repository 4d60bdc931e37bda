package sockactor

import (
	"net"
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
