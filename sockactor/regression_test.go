package sockactor_test

import (
	"encoding/binary"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/sockactor"
	"github.com/asynkron/protoactor-go/actor"
)

// TestDgramRecvResumesAfterFullQueue: a datagram socket whose
// receive queue filled up (RecvQueue datagrams waiting) stops asking the
// transport for more; once recvfrom calls drain the queue it must ask
// again, or every later recvfrom hangs although datagrams wait in the
// kernel. Spec: research §6 inv. 18 (every accepted request completes),
// inv. 27 ("never blocks later datagrams"), doc.go ("Datagrams arrive
// whole ... never blocks later ones"); DgramConfig.RecvQueue only bounds
// "how many received datagrams may wait".
func TestDgramRecvResumesAfterFullQueue(t *testing.T) {
	m := sockactor.NewDgramMachine(sockactor.DgramConfig{RecvQueue: 2})
	src := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}
	recvAsked := 0
	count := func(effs []sockactor.Effect) (comps []sockactor.Completion) {
		for _, e := range effs {
			switch e := e.(type) {
			case *sockactor.EffRecv:
				recvAsked++
			case *sockactor.Completion:
				comps = append(comps, *e)
			}
		}
		return comps
	}
	count(m.Effects()) // the initial EffRecv
	// Two datagrams arrive before anyone asks: the queue is full.
	m.OnDatagram(sockactor.EvDatagram{Data: []byte("a"), Src: src})
	count(m.Effects())
	m.OnDatagram(sockactor.EvDatagram{Data: []byte("b"), Src: src})
	count(m.Effects())
	before := recvAsked
	// Drain the queue, then ask for a third datagram.
	for i := 0; i < 3; i++ {
		m.RecvFrom(0)
		count(m.Effects())
	}
	if m.Queued() != 0 {
		t.Fatalf("queue not drained: %d", m.Queued())
	}
	if recvAsked == before {
		t.Fatalf("the third recvfrom is pending with an empty queue, but the machine never asked the transport for another datagram: it hangs forever")
	}
}

// TestFrameResetAfterCleanTimeout: a PDU read that timed out (or was
// cancelled) before consuming a byte is clean — the stream stays usable —
// but the Frame it used had handed out its header vector and cannot know
// the read is gone (the NextFunc is called first when the read starts, as
// in Samba). The Frame doc says so: Reset it before reading with it
// again, and the next read starts at the header. (Found in review: the
// doc promised a start-over on any next read.)
func TestFrameResetAfterCleanTimeout(t *testing.T) {
	m := sockactor.NewStreamMachine(sockactor.StreamConfig{}, true)
	f := sockactor.LengthPrefixed(2, 100)
	id := m.Readv(f.Next, false, time.Second)
	m.Effects()
	m.Expire(id) // idle timeout, nothing received yet
	c := lastCompletion(m.Effects())
	if c == nil || !errors.Is(c.Err, syscall.ETIMEDOUT) {
		t.Fatalf("timeout: %+v", c)
	}
	if m.Err() != nil {
		t.Fatalf("a clean timeout poisoned the stream: %v", m.Err())
	}
	// Retry with the same Frame, reset; then the PDU "abc" arrives.
	f.Reset()
	if f.PDU() != nil {
		t.Fatalf("PDU after Reset: %q", f.PDU())
	}
	id = m.Readv(f.Next, false, 0)
	m.OnData([]byte{0, 3, 'a', 'b', 'c'}, nil)
	var got *sockactor.Completion
	for _, e := range m.Effects() {
		if c, ok := e.(*sockactor.Completion); ok && c.ID == id {
			cc := *c
			got = &cc
		}
	}
	if got == nil {
		t.Fatal("no completion")
	}
	if got.Err != nil || got.N != 5 || string(f.Body()) != "abc" {
		t.Fatalf("second read with the same Frame: N=%d err=%v body=%q, want N=5 body \"abc\" (buffered left: %d)", got.N, got.Err, f.Body(), m.Buffered())
	}
}

// closeThenRead is an actor that, told "go", sends Close and then a
// ReadPDUQueue to sock (as their sender), and reports whatever answer
// it gets: a *ReadPDUDone, or protoactor's DeadLetterResponse.
type closeThenRead struct {
	sock *actor.PID
	ch   chan any
}

func (a *closeThenRead) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case string:
		c.Send(a.sock, &sockactor.Close{})
		c.Request(a.sock, &sockactor.ReadPDUQueue{Next: sockactor.LengthPrefixed(4, 100).Next})
	case *sockactor.ReadPDUDone, *actor.DeadLetterResponse:
		a.ch <- m
	}
}

// TestRequestQueuedBehindCloseIsAnswered: an actor sends Close and
// then a request to a socket whose mailbox is busy. The request was sent
// while the socket existed, so it must get exactly one answer: a
// *ReadPDUDone (ECONNABORTED: "stopping the socket completes everything
// pending") or, at the very least, the DeadLetterResponse that
// messages.go promises for a socket that no longer exists. Before the fix the
// actor stops with Stop (a system message, handled before the user
// messages still queued) and protoactor silently drops every user message
// left in the mailbox: the requester never hears anything.
// Spec: messages.go ("the socket answers with exactly one completion
// message"; "a sender gets protoactor's DeadLetterResponse"), DESIGN.md
// sockactor ("every accepted request completes exactly once"), research
// §6 inv. 18 and 25.
func TestRequestQueuedBehindCloseIsAnswered(t *testing.T) {
	sys, ctx := realSys(t)
	c, _ := connPair(t, sys, ctx)
	// Hold the socket's mailbox busy: a read whose next blocks until
	// released (it runs inside the socket actor).
	entered, release := make(chan struct{}), make(chan struct{})
	first := true
	hold := func() ([][]byte, error) {
		if first {
			first = false
			close(entered)
			<-release
		}
		return [][]byte{make([]byte, 4)}, nil
	}
	heldCh := make(chan *sockactor.Pending[int], 1)
	go func() { heldCh <- c.ReadPDU(hold) }()
	<-entered
	a := &closeThenRead{sock: c.PID(), ch: make(chan any, 4)}
	pid, err := sys.Spawn(actor.PropsFromProducer(func() actor.Actor { return a }))
	if err != nil {
		t.Fatal(err)
	}
	defer sys.ActorSystem().Root.Stop(pid)
	sys.Send(pid, "go")
	time.Sleep(200 * time.Millisecond) // let Close and the read reach the busy mailbox
	close(release)
	if err := c.WaitStopped(ctx); err != nil {
		t.Fatal(err)
	}
	held := <-heldCh
	if _, err := held.Wait(ctx); !errors.Is(err, syscall.ECONNABORTED) {
		t.Fatalf("the held read: %v, want ECONNABORTED", err)
	}
	select {
	case m := <-a.ch:
		if d, ok := m.(*sockactor.ReadPDUDone); ok && !errors.Is(d.Err, syscall.ECONNABORTED) {
			t.Fatalf("read queued behind Close: %v, want ECONNABORTED", d.Err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a ReadPDUQueue queued behind Close was never answered (no ReadPDUDone, no DeadLetterResponse)")
	}
}

// TestTimedOutWriteStopsUsingBuffer: a write that timed out while
// the transport was still sending it completes with ETIMEDOUT (and
// poisons the stream). From then on the request is over: "the inner I/O
// is stopped when the timeout is delivered" (research §6 inv. 22; §2.1:
// freeing the request frees the inner writev), and the caller owns its
// buffer again (messages.go Writev: "The buffers must not change until
// the completion"). Before the fix, the transport keeps writing the caller's
// buffer after the completion, so bytes the caller puts in it afterwards
// reach the peer.
func TestTimedOutWriteStopsUsingBuffer(t *testing.T) {
	sys, ctx := realSys(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peerCh := make(chan net.Conn, 1)
	go func() {
		p, err := ln.Accept()
		if err == nil {
			peerCh <- p
		}
		close(peerCh)
	}()
	c, err := sockactor.Dial(ctx, sys, sockactor.RealTransport(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	peer := <-peerCh
	if peer == nil {
		t.Fatal("no peer")
	}
	defer peer.Close()

	const size = 32 << 20 // far more than the socket buffers hold
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = 'a'
	}
	_, err = c.WithTimeout(300 * time.Millisecond).Writev(buf).Wait(ctx) // the peer reads nothing yet
	if !errors.Is(err, syscall.ETIMEDOUT) {
		t.Fatalf("blocked write: %v, want ETIMEDOUT", err)
	}
	// The request is complete: the buffer is the caller's again.
	for i := range buf {
		buf[i] = 'X'
	}
	// Drain what the peer gets from now on.
	got, xs := 0, 0
	rb := make([]byte, 1<<20)
	for {
		peer.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, err := peer.Read(rb)
		for _, b := range rb[:n] {
			if b == 'X' {
				xs++
			}
		}
		got += n
		if err != nil {
			break
		}
	}
	if xs > 0 {
		t.Fatalf("after the ETIMEDOUT completion the socket still sent the caller's buffer: the peer got %d bytes in all, %d of them written into the buffer after the completion", got, xs)
	}
}

// TestDgramRealRecvAfterQueueFilled is TestDgramRecvResumesAfterFullQueue
// over real UDP: five datagrams arrive at a socket whose receive queue
// holds two before anyone asks; five recvfrom calls must get all five
// (the other three wait in the kernel). Spec: research §6 inv. 18, 26,
// 27; doc.go "Datagrams arrive whole ... never blocks later ones".
func TestDgramRealRecvAfterQueueFilled(t *testing.T) {
	sys, ctx := realSys(t)
	d, err := sockactor.ListenPacket(sys, sockactor.RealTransport(), "udp", "127.0.0.1:0",
		sockactor.WithDgramConfig(sockactor.DgramConfig{RecvQueue: 2}))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	for i := 0; i < 5; i++ {
		if _, err := pc.WriteTo([]byte{byte('0' + i)}, d.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // two reach the socket's queue
	for i := 0; i < 5; i++ {
		dg, err := d.WithTimeout(2 * time.Second).RecvFrom().Wait(ctx)
		if err != nil {
			t.Fatalf("recvfrom %d: %v (earlier datagrams were delivered; the rest wait in the kernel)", i, err)
		}
		if string(dg.Data) != string(rune('0'+i)) {
			t.Fatalf("recvfrom %d: %q", i, dg.Data)
		}
	}
}

// TestReadPDUsFrameAfterTimeout: a ReadPDUs that timed out (or was
// cancelled) before any byte came leaves the stream clean, and the
// natural retry is the same request again, with the same Frame. The
// Frame had been left expecting its header, holding the previous PDU's
// header bytes: the retry decoded that stale header without reading one
// from the stream and delivered a PDU made of the next PDU's header and
// body as the previous one's body (silently, framing lost). A batch
// always starts at a PDU boundary, so it now starts its Frame over.
// (Found in review.)
func TestReadPDUsFrameAfterTimeout(t *testing.T) {
	for _, how := range []string{"expire", "cancel"} {
		m := sockactor.NewStreamMachine(sockactor.StreamConfig{}, true)
		f := sockactor.LengthPrefixed(2, 100)
		m.OnData(pdu2("abc"), nil)
		if c := readPDUsNow(t, m, f, 0); c.Err != nil || len(c.PDUs) != 1 {
			t.Fatalf("first batch: %+v", c)
		}
		id := m.ReadPDUs(f, 0, time.Second)
		m.Effects()
		if how == "expire" {
			m.Expire(id)
		} else {
			m.Cancel(id)
		}
		if c := lastCompletion(m.Effects()); c == nil || c.ID != id || c.Err == nil || m.Err() != nil {
			t.Fatalf("%s before any byte: %+v (stream %v)", how, c, m.Err())
		}
		m.OnData(append(pdu2("x"), pdu2("yz")...), nil)
		c := readPDUsNow(t, m, f, 0)
		if c.Err != nil || len(c.PDUs) != 2 || string(c.PDUs[0]) != string(pdu2("x")) || string(c.PDUs[1]) != string(pdu2("yz")) {
			t.Fatalf("retry after %s with the same frame: err %v, PDUs %q", how, c.Err, c.PDUs)
		}
	}
}

// TestReadPDUsLongHeaderAllocs: a batch with a header over 16 bytes
// (memcached's binary protocol has 24, the Frame's own example) cost
// three allocations per PDU: the PDU, a header buffer Next made for
// each PDU, and a copy of each next header that the batch made to decode
// it. A PDU now costs one allocation (its own) whatever the header size,
// as it does with short headers. (Found in review.)
func TestReadPDUsLongHeaderAllocs(t *testing.T) {
	const pdus = 64
	var wire []byte
	for i := 0; i < pdus; i++ {
		h := make([]byte, 24)
		binary.BigEndian.PutUint32(h[8:], 8)
		wire = append(append(wire, h...), "8 bytes!"...)
	}
	m := sockactor.NewStreamMachine(sockactor.StreamConfig{ReadAhead: 1 << 20}, true)
	f := sockactor.HeaderLength(24, 8, 4, 100)
	run := func() {
		m.OnData(wire, nil)
		id := m.ReadPDUs(f, pdus, 0)
		c := lastCompletion(m.Effects())
		if c == nil || c.ID != id || c.Err != nil || len(c.PDUs) != pdus {
			t.Fatalf("batch: %+v", c)
		}
	}
	run()
	// Per batch: the PDUs, and a few for the batch's list of them.
	if a := testing.AllocsPerRun(20, run); a > pdus+10 {
		t.Fatalf("%v allocations for a batch of %d PDUs with a 24-byte header, want at most %d", a, pdus, pdus+10)
	}
}
