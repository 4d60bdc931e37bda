package sockactor_test

import (
	"bytes"
	"errors"
	"syscall"
	"testing"

	"github.com/actorio/actorio/sockactor"
	"github.com/asynkron/protoactor-go/actor"
)

// A chunk handed over with a Free function goes back exactly once, and
// only after the last of its bytes was read.
func TestMachineFreesConsumedChunks(t *testing.T) {
	m := sockactor.NewStreamMachine(sockactor.StreamConfig{}, true)
	m.Effects()
	freed := map[*byte]int{}
	free := func(p []byte) { freed[&p[:1][0]]++ }
	a := append(pdu([]byte("hello")), pdu([]byte("wor"))[:5]...) // one PDU and a part
	b := pdu([]byte("wor"))[5:]
	f1, f2 := sockactor.LengthPrefixed(4, 100), sockactor.LengthPrefixed(4, 100)
	m.Readv(f1.Next, true, 0)
	m.OnDataFree(a, free, nil)
	if len(freed) != 0 || m.Buffered() != 5 {
		t.Fatalf("a chunk with %d bytes unread was freed", m.Buffered())
	}
	m.Readv(f2.Next, true, 0)
	if len(freed) != 1 || freed[&a[0]] != 1 {
		t.Fatalf("the first chunk, now read, was freed %d times", freed[&a[0]])
	}
	m.OnDataFree(b, free, nil)
	if freed[&a[0]] != 1 || freed[&b[0]] != 1 {
		t.Fatalf("frees after both PDUs: %d and %d, want 1 and 1", freed[&a[0]], freed[&b[0]])
	}
	if string(f1.Body()) != "hello" || string(f2.Body()) != "wor" {
		t.Fatalf("PDUs %q %q", f1.Body(), f2.Body())
	}
	done := 0
	for _, e := range m.Effects() {
		if c, ok := e.(*sockactor.Completion); ok && c.Err == nil {
			done++
		}
	}
	if done != 2 {
		t.Fatalf("%d reads completed, want 2", done)
	}
}

// Completions are recycled only by the next call to Effects: feeding the
// machine while going through a batch (which completes more requests, in
// recycled Completions) leaves the batch intact.
func TestEffectsBatchStableWhileFeeding(t *testing.T) {
	m := sockactor.NewStreamMachine(sockactor.StreamConfig{}, true)
	read := func() sockactor.ReqID { return m.Readv(sockactor.LengthPrefixed(4, 100).Next, true, 0) }
	two := func() []byte { return append(pdu([]byte("a")), pdu([]byte("b"))...) }
	// Two completions, returned and then handed back for reuse.
	read()
	read()
	m.OnData(two(), nil)
	m.Effects()
	ids := []sockactor.ReqID{read(), read(), read(), read()}
	m.OnData(two(), nil)
	var batch []*sockactor.Completion
	for _, e := range m.Effects() {
		if c, ok := e.(*sockactor.Completion); ok {
			batch = append(batch, c)
			if len(batch) == 1 {
				m.OnData(two(), nil) // completes ids[2] and ids[3]
			}
		}
	}
	if len(batch) != 2 || batch[0].ID != ids[0] || batch[1].ID != ids[1] || batch[0].N != 5 {
		t.Fatalf("the batch changed while the machine was fed: %+v %+v", *batch[0], *batch[1])
	}
	var later []sockactor.ReqID
	for _, e := range m.Effects() {
		if c, ok := e.(*sockactor.Completion); ok {
			later = append(later, c.ID)
		}
	}
	if len(later) != 2 || later[0] != ids[2] || later[1] != ids[3] {
		t.Fatalf("later completions %v, want %v", later, ids[2:])
	}
}

// Done of a request that finished before anyone asked for it is closed.
func TestPendingDoneAfterFinish(t *testing.T) {
	sys, ctx := realSys(t)
	c, err := sockactor.NewConn(sys, sockactor.RealTransport())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := c.Writev([]byte("x"))
	if _, err := p.Wait(ctx); !errors.Is(err, syscall.ENOTCONN) {
		t.Fatalf("write on an unconnected socket: %v, want ENOTCONN", err)
	}
	select {
	case <-p.Done():
	default:
		t.Fatalf("Done of a finished request is not closed")
	}
}

// replies collects completion messages.
type replies struct{ ch chan any }

func (r *replies) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *sockactor.ReadPDUDone:
		r.ch <- m
	}
}

// A Cancel names a request message: a message that completed (or that
// another socket holds) is left alone; a message sent again is the new
// request.
func TestCancelNamesTheMessage(t *testing.T) {
	sys, ctx := realSys(t)
	a, b := connPair(t, sys, ctx)
	r := &replies{ch: make(chan any, 8)}
	to, _ := sys.Spawn(actor.PropsFromProducer(func() actor.Actor { return r }))
	next := func() sockactor.NextFunc { return sockactor.LengthPrefixed(4, 100).Next }
	get := func() *sockactor.ReadPDUDone {
		t.Helper()
		select {
		case m := <-r.ch:
			return m.(*sockactor.ReadPDUDone)
		case <-ctx.Done():
			t.Fatal("no completion")
		}
		return nil
	}

	// A read at each socket; a Cancel naming a's message cancels it at a,
	// and is ignored by b, which never saw that message.
	req := &sockactor.ReadPDU{Next: next(), ReplyTo: to}
	sys.Send(a.PID(), req)
	req2 := &sockactor.ReadPDU{Next: next(), ReplyTo: to}
	sys.Send(b.PID(), req2)
	sys.Send(a.PID(), &sockactor.Cancel{Req: req})
	if d := get(); !d.Socket.Equal(a.PID()) || !errors.Is(d.Err, syscall.ECANCELED) {
		t.Fatalf("cancel at a: %v from %v", d.Err, d.Socket)
	}
	sys.Send(b.PID(), &sockactor.Cancel{Req: req}) // b never saw req
	if _, err := a.WritevQueue(pdu([]byte("to b"))).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if d := get(); !d.Socket.Equal(b.PID()) || d.Err != nil || d.Req != req2 {
		t.Fatalf("b's read: %v (req %p, want %p)", d.Err, d.Req, req2)
	}

	// req completed at a; sent again it is a new request, and a Cancel
	// now withdraws that one.
	req.Next = next()
	sys.Send(a.PID(), req)
	sys.Send(a.PID(), &sockactor.Cancel{Req: req})
	if d := get(); !errors.Is(d.Err, syscall.ECANCELED) {
		t.Fatalf("the resent request: %v, want ECANCELED", d.Err)
	}
	// Cancelling a finished request changes nothing: a's next read works.
	sys.Send(a.PID(), &sockactor.Cancel{Req: req})
	sys.Send(a.PID(), &sockactor.ReadPDU{Next: next(), ReplyTo: to})
	if _, err := b.WritevQueue(pdu([]byte("to a"))).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if d := get(); d.Err != nil || d.N != 8 {
		t.Fatalf("a's read after a stale cancel: n=%d err=%v", d.N, d.Err)
	}
	// A Cancel naming nil or a non-request is ignored.
	sys.Send(a.PID(), &sockactor.Cancel{Req: (*sockactor.ReadPDU)(nil)})
	sys.Send(a.PID(), &sockactor.Cancel{Req: "nothing"})
	if a.Stopped() {
		t.Fatalf("a bad Cancel stopped the socket")
	}
}

// A read chunk larger than the read buffer is clamped to it: a socket
// configured for 1 MiB reads still reads a large PDU whole and intact.
func TestLargeReadChunk(t *testing.T) {
	sys, ctx := realSys(t)
	cfg := sockactor.StreamConfig{ReadChunk: 1 << 20, ReadAhead: 4 << 20}
	c, s := connPair(t, sys, ctx, sockactor.WithStreamConfig(cfg))
	body := make([]byte, 3<<20)
	for i := range body {
		body[i] = byte(i * 7)
	}
	w := s.WritevQueue(pdu(body))
	f := sockactor.LengthPrefixed(4, 4<<20)
	if n, err := c.ReadPDU(f.Next).Wait(ctx); err != nil || n != 4+len(body) || !bytes.Equal(f.Body(), body) {
		t.Fatalf("large PDU: n=%d err=%v", n, err)
	}
	if _, err := w.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

// The machine reuses its write vector from one transport write to the
// next, and lets go of the written buffers as soon as the write is
// reported: a finished 64 KiB PDU is not kept alive until the next write.
func TestWriteVectorReused(t *testing.T) {
	m := sockactor.NewStreamMachine(sockactor.StreamConfig{}, true)
	m.Effects()
	write := func(data ...string) [][]byte {
		t.Helper()
		var bufs [][]byte
		for _, d := range data {
			bufs = append(bufs, []byte(d))
		}
		m.Writev(bufs, true, 0)
		m.Flush()
		for _, e := range m.Effects() {
			if w, ok := e.(*sockactor.EffWrite); ok {
				return w.Bufs
			}
		}
		t.Fatalf("no transport write for %q", data)
		return nil
	}
	first := write("ab", "cd")
	if got := string(bytes.Join(first, nil)); got != "abcd" {
		t.Fatalf("first write %q", got)
	}
	m.OnWritten(4, nil)
	for i, b := range first {
		if b != nil {
			t.Fatalf("entry %d of the written vector still holds %q", i, b)
		}
	}
	second := write("efg")
	if &second[0] != &first[0] {
		t.Fatal("the second write got a new vector instead of reusing the first")
	}
	if got := string(bytes.Join(second, nil)); got != "efg" {
		t.Fatalf("second write %q", got)
	}
}
