package sockactor_test

// A sendto cancelled or timed out while the transport is sending it used
// to complete at once, while the transport might still read its datagram
// (a unix datagram socket waits for room in its peer's queue, and sends
// the caller's bytes once there is some): a caller that reused the
// buffer on ECANCELED/ETIMEDOUT could have its new bytes sent. As for a
// stream's writes (Stream.AbortWrite), the socket now asks the transport
// to abort the batch (Packet.AbortSend) and completes the withdrawn send
// once the transport reports the batch; the other datagrams of the batch
// that the abort kept from leaving go again.

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/sockactor"
)

var errAborted = fmt.Errorf("%w: i/o timeout", sockactor.ErrSendAborted)

// TestWithdrawnSendWaitsForTheTransport: a cancelled and a timed-out
// send that the transport holds complete only once it reports their
// batch, after an abort; a send of the same batch that the abort kept
// from leaving goes again, and succeeds.
func TestWithdrawnSendWaitsForTheTransport(t *testing.T) {
	sys, ctx := realSys(t)
	tr := newHoldingTransport()
	d, err := sockactor.ListenPacket(sys, tr, "fake", "here")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p := within(t, tr.packets, "endpoint")
	to := fakeAddr("there")

	// A first batch holds the lane while three more queue behind it.
	s0 := d.SendToQueue([]byte("zero"), to)
	within(t, p.sends, "the first batch")
	s1, s2, s3 := d.SendToQueue([]byte("one"), to), d.SendToQueue([]byte("two"), to), d.SendToQueue([]byte("three"), to)
	time.Sleep(20 * time.Millisecond) // they reach the socket
	p.sent(nil)
	if n, err := s0.Wait(ctx); n != 4 || err != nil {
		t.Fatalf("send 0: %d, %v", n, err)
	}
	if b := within(t, p.sends, "the second batch"); len(b) != 3 {
		t.Fatalf("second batch of %d datagrams, want 3", len(b))
	}

	// Cancelled while the transport holds it: an abort, no completion.
	s2.Cancel()
	within(t, p.aborts, "the abort")
	notYet(t, s2.Done(), "the cancelled send completed while the transport held its datagram")
	// "one" left before the abort; "two" and "three" did not.
	p.sent(nil, errAborted, errAborted)
	if _, err := s2.Wait(ctx); !errors.Is(err, syscall.ECANCELED) {
		t.Fatalf("cancelled send: %v, want ECANCELED", err)
	}
	if n, err := s1.Wait(ctx); n != 3 || err != nil {
		t.Fatalf("send 1: %d, %v", n, err)
	}
	// "three" goes again, alone, and succeeds.
	if b := within(t, p.sends, "the batch sent again"); len(b) != 1 || string(b[0].Data) != "three" {
		t.Fatalf("batch after the abort: %v, want the datagram kept from leaving", b)
	}
	notYet(t, s3.Done(), "the send kept from leaving completed before it went again")
	p.sent(nil)
	if n, err := s3.Wait(ctx); n != 5 || err != nil {
		t.Fatalf("send 3: %d, %v", n, err)
	}

	// Timed out while the transport holds it: the same, with ETIMEDOUT.
	s4 := d.WithTimeout(20*time.Millisecond).SendTo([]byte("four"), to)
	within(t, p.sends, "the timed batch")
	within(t, p.aborts, "the abort of the timed-out send")
	notYet(t, s4.Done(), "the timed-out send completed while the transport held its datagram")
	p.sent(nil) // it had left
	if _, err := s4.Wait(ctx); !errors.Is(err, syscall.ETIMEDOUT) {
		t.Fatalf("timed-out send: %v, want ETIMEDOUT", err)
	}
	// Not sticky: the next send goes.
	s5 := d.SendTo([]byte("five"), to)
	within(t, p.sends, "the next batch")
	p.sent(nil)
	if n, err := s5.Wait(ctx); n != 4 || err != nil {
		t.Fatalf("send after the timeout: %d, %v", n, err)
	}
}

// unixgramPeer binds a unix datagram socket that reads nothing (its
// queue fills, and then senders to it wait) and returns it with its
// address.
func unixgramPeer(t *testing.T) (*net.UnixConn, *net.UnixAddr) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("a sender to a full unix datagram queue waits on Linux (elsewhere it may fail with ENOBUFS)")
	}
	addr := &net.UnixAddr{Name: filepath.Join(t.TempDir(), "peer"), Net: "unixgram"}
	peer, err := net.ListenUnixgram("unixgram", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	return peer, addr
}

// drain reads what peer has queued, until nothing comes for a while.
func drain(t *testing.T, peer *net.UnixConn) [][]byte {
	t.Helper()
	var got [][]byte
	buf := make([]byte, 1<<16)
	for {
		if err := peer.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		n, _, err := peer.ReadFrom(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, append([]byte(nil), buf[:n]...))
	}
}

// TestNetPacketAbortSend: the real driver's AbortSend ends a batch
// blocked on a full unix datagram queue: the datagrams sent before it
// report success (and arrived), the rest ErrSendAborted (and never
// leave); then the endpoint is usable (the deadline is lifted), and an
// AbortSend with no Send outstanding changes nothing.
func TestNetPacketAbortSend(t *testing.T) {
	peer, to := unixgramPeer(t)
	ep, err := sockactor.RealTransport().ListenPacket("unixgram", filepath.Join(t.TempDir(), "me"))
	if err != nil {
		t.Fatal(err)
	}
	evs, sink := evChan()
	ep.Start(sink)
	defer ep.Close()
	batch := make([]sockactor.Outgoing, 500) // far more than the peer's queue holds
	for i := range batch {
		batch[i] = sockactor.Outgoing{Data: []byte(fmt.Sprintf("d%03d", i)), Dst: to}
	}
	ep.Send(batch)
	select {
	case ev := <-evs:
		t.Fatalf("the batch did not block on the full queue: %#v", ev)
	case <-time.After(100 * time.Millisecond):
	}
	ep.AbortSend()
	ev, ok := nextEv(t, evs).(*sockactor.EvSent)
	if !ok || len(ev.Errs) != len(batch) {
		t.Fatalf("after AbortSend: %#v", ev)
	}
	sent := 0
	for sent < len(ev.Errs) && ev.Errs[sent] == nil {
		sent++
	}
	if sent == 0 || sent == len(batch) {
		t.Fatalf("%d of %d datagrams sent before the abort", sent, len(batch))
	}
	for i, err := range ev.Errs[sent:] {
		if !errors.Is(err, sockactor.ErrSendAborted) {
			t.Fatalf("datagram %d after the abort: %v, want ErrSendAborted", sent+i, err)
		}
	}
	got := drain(t, peer)
	if len(got) != sent {
		t.Fatalf("%d datagrams reported sent, %d arrived", sent, len(got))
	}
	// Usable again; an AbortSend crossing a finished Send does nothing.
	for _, abort := range []bool{false, true} {
		ep.Send([]sockactor.Outgoing{{Data: []byte("again"), Dst: to}})
		if ev, ok := nextEv(t, evs).(*sockactor.EvSent); !ok || len(ev.Errs) != 1 || ev.Errs[0] != nil {
			t.Fatalf("send after the abort: %#v", ev)
		}
		if abort {
			ep.AbortSend()
		}
	}
	ep.Send([]sockactor.Outgoing{{Data: []byte("again"), Dst: to}})
	if ev, ok := nextEv(t, evs).(*sockactor.EvSent); !ok || len(ev.Errs) != 1 || ev.Errs[0] != nil {
		t.Fatalf("send after an AbortSend with no send outstanding: %#v", ev)
	}
	if got := drain(t, peer); len(got) != 3 {
		t.Fatalf("%d datagrams arrived, want 3", len(got))
	}
}

// TestNetPacketAbortSendBatched: AbortSend on an IPv4 UDP endpoint,
// whose batches go out through sendmmsg: the datagrams before the abort
// succeed, none after it leaves, and the endpoint stays usable.
func TestNetPacketAbortSendBatched(t *testing.T) {
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	ep, err := sockactor.RealTransport().ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	evs, sink := evChan()
	ep.Start(sink)
	defer ep.Close()
	for round := 0; round < 20; round++ {
		batch := make([]sockactor.Outgoing, 64)
		for i := range batch {
			batch[i] = sockactor.Outgoing{Data: []byte("x"), Dst: peer.LocalAddr()}
		}
		ep.Send(batch)
		ep.AbortSend()
		ev := nextEv(t, evs).(*sockactor.EvSent)
		aborted := false
		for i, err := range ev.Errs {
			switch {
			case err == nil && aborted:
				t.Fatalf("round %d: datagram %d sent after one the abort kept", round, i)
			case errors.Is(err, sockactor.ErrSendAborted):
				aborted = true
			case err != nil:
				t.Fatalf("round %d: datagram %d: %v", round, i, err)
			}
		}
		ep.Send([]sockactor.Outgoing{{Data: []byte("y"), Dst: peer.LocalAddr()}})
		if ev := nextEv(t, evs).(*sockactor.EvSent); ev.Errs[0] != nil {
			t.Fatalf("round %d: send after the abort: %v", round, ev.Errs[0])
		}
	}
}

// TestRealWithdrawnSendKeepsItsBuffer: over a real unix datagram socket
// whose peer reads nothing, sends that time out while the transport
// waits for room complete only once it has let go of them: a caller that
// overwrites its buffers on completion never has the new bytes sent. The
// socket stays usable.
func TestRealWithdrawnSendKeepsItsBuffer(t *testing.T) {
	sys, ctx := realSys(t)
	peer, to := unixgramPeer(t)
	d, err := sockactor.ListenPacket(sys, sockactor.RealTransport(), "unixgram", filepath.Join(t.TempDir(), "me"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	timed := d.WithTimeout(200 * time.Millisecond)
	bufs := make([][]byte, 500) // far more than the peer's queue holds
	sends := make([]*sockactor.Pending[int], len(bufs))
	for i := range bufs {
		bufs[i] = []byte(fmt.Sprintf("datagram %03d", i))
		sends[i] = timed.SendToQueue(bufs[i], to)
	}
	ok := 0
	for i, s := range sends {
		n, err := s.Wait(ctx)
		switch {
		case err == nil:
			ok++
		case errors.Is(err, syscall.ETIMEDOUT):
		default:
			t.Fatalf("send %d: %d, %v", i, n, err)
		}
		// The buffer is the caller's again.
		copy(bufs[i], bytes.Repeat([]byte("X"), len(bufs[i])))
	}
	if ok == 0 || ok == len(sends) {
		t.Fatalf("%d of %d sends succeeded: the peer's queue should have stopped some", ok, len(sends))
	}
	got := drain(t, peer)
	for _, g := range got {
		if bytes.Contains(g, []byte("X")) {
			t.Fatalf("a datagram was sent from a buffer after its send completed: %q", g)
		}
	}
	// Those that left include some that then timed out ("it had left").
	if len(got) < ok {
		t.Fatalf("%d sends succeeded, %d datagrams arrived", ok, len(got))
	}
	if _, err := d.SendTo([]byte("after"), to).Wait(ctx); err != nil {
		t.Fatalf("send after the timeouts: %v", err)
	}
	if got := drain(t, peer); len(got) != 1 || string(got[0]) != "after" {
		t.Fatalf("after the timeouts the peer got %q", got)
	}
}
