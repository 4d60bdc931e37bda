package sockactor_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sockactor"
	"github.com/asynkron/protoactor-go/actor"
	"pgregory.net/rapid"
)

// batchRun is pduRun with ReadPDUs: wire is fed in segments sized by seg
// (cycled), and batches of at most maxes[i] PDUs (cycled, 1..8) are read
// with 2-byte-length framing of at most max body bytes until one fails.
// It checks each batch as it completes: one PDU at least, at most its
// maximum, N their total, and nothing left behind that it could have
// taken (a whole, valid PDU already delivered but not read while the
// batch had room).
func batchRun(t fataler, wire, seg, maxes []byte, max int) (pdus [][]byte, err error) {
	t.Helper()
	m := sockactor.NewStreamMachine(sockactor.StreamConfig{ReadAhead: 1 << 20, ReadChunk: 1 << 20}, true)
	delivered, si, bi, consumed := 0, 0, 0, 0
	frame, single := sockactor.LengthPrefixed(2, max), sockactor.LengthPrefixed(2, max)
	var cur sockactor.ReqID
	var limit int
	isSingle := false
	start := func() {
		limit, isSingle = 1, false
		if len(maxes) > 0 {
			limit = int(maxes[bi%len(maxes)]) % 9
			bi++
		}
		if limit == 0 { // a single queued read among the batches
			limit, isSingle = 1, true
			cur = m.Readv(single.Next, true, 0)
			return
		}
		cur = m.ReadPDUs(frame, limit, 0)
	}
	start()
	// Every completion is checked before the machine is fed again, so
	// that what it left behind is what it had when it completed.
	wantRead := 0
	var end error
	finished := false
	for step := 0; step < 1<<20; step++ {
		for effs := m.Effects(); len(effs) > 0 && !finished; effs = m.Effects() {
			for _, e := range effs {
				switch e := e.(type) {
				case *sockactor.EffRead:
					wantRead = e.Max
				case *sockactor.Completion:
					if e.ID != cur || finished {
						continue
					}
					if e.Err != nil {
						if len(e.PDUs) != 0 || e.N != 0 {
							t.Fatalf("failed batch carries %d PDUs, N=%d", len(e.PDUs), e.N)
						}
						end, finished = e.Err, true
						continue
					}
					if isSingle {
						e.PDUs = [][]byte{single.PDU()}
					}
					total := 0
					for _, p := range e.PDUs {
						total += len(p)
					}
					if len(e.PDUs) == 0 || len(e.PDUs) > limit || total != e.N {
						t.Fatalf("batch of %d PDUs (max %d), N=%d for %d bytes", len(e.PDUs), limit, e.N, total)
					}
					consumed += total
					if len(e.PDUs) < limit && wholePDU(wire[consumed:delivered], max) {
						t.Fatalf("batch of %d (max %d) left a whole PDU behind: %q", len(e.PDUs), limit, wire[consumed:delivered])
					}
					if m.Buffered() != delivered-consumed {
						t.Fatalf("the machine holds %d bytes, want %d: a batch consumed past its PDUs", m.Buffered(), delivered-consumed)
					}
					pdus = append(pdus, e.PDUs...)
					start()
				}
			}
		}
		if finished {
			return pdus, end
		}
		// The pending batch may hold part of its first PDU, never all of
		// it: once it has one PDU it completes without waiting.
		if held := delivered - consumed - m.Buffered(); held > 0 && len(wire)-consumed >= 2 {
			if first := 2 + int(binary.BigEndian.Uint16(wire[consumed:])); held >= first {
				t.Fatalf("a pending batch holds %d bytes, its first PDU is %d: it waits with a whole PDU in hand", held, first)
			}
		}
		if wantRead == 0 {
			return pdus, errors.New("stalled")
		}
		if delivered >= len(wire) {
			m.OnData(nil, io.EOF)
		} else {
			n := 1
			if len(seg) > 0 {
				n = int(seg[si%len(seg)])%64 + 1
				si++
			}
			n = min(n, len(wire)-delivered, wantRead)
			m.OnData(append([]byte(nil), wire[delivered:delivered+n]...), nil)
			delivered += n
		}
		wantRead = 0
	}
	return pdus, errors.New("too many steps")
}

// fataler is what batchRun and checkPDUs need of *testing.T or *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// TestReadPDUsProperty: any PDUs (ending, on some runs, in a bad length
// or a cut PDU), any segmentation, any mix of batch sizes and single
// queued reads: the batches and reads give back exactly the PDUs on the
// wire, in order, each batch takes every whole PDU it has room for and
// no more, and the stream ends with the error a direct parse predicts.
func TestReadPDUsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		max := rapid.IntRange(0, 300).Draw(t, "max")
		var wire []byte
		for i, n := 0, rapid.IntRange(0, 30).Draw(t, "pdus"); i < n; i++ {
			body := rapid.SliceOfN(rapid.Byte(), 0, max).Draw(t, "body")
			wire = append(wire, pdu2(string(body))...)
		}
		switch rapid.IntRange(0, 3).Draw(t, "end") {
		case 1: // a length over max
			wire = binary.BigEndian.AppendUint16(wire, uint16(max+1))
		case 2: // a PDU cut short
			cut := pdu2(string(make([]byte, max)))
			wire = append(wire, cut[:rapid.IntRange(0, len(cut)-1).Draw(t, "cut")]...)
		}
		seg := rapid.SliceOfN(rapid.Byte(), 1, 8).Draw(t, "seg")
		maxes := rapid.SliceOfN(rapid.Byte(), 1, 8).Draw(t, "maxes")
		pdus, err := batchRun(t, wire, seg, maxes, max)
		checkPDUs(t, wire, max, pdus, err)
	})
}

// wholePDU reports whether p starts with a whole 2-byte-length PDU of at
// most max body bytes.
func wholePDU(p []byte, max int) bool {
	if len(p) < 2 {
		return false
	}
	n := int(binary.BigEndian.Uint16(p))
	return n <= max && len(p) >= 2+n
}

// FuzzReadPDUs fuzzes batch reads with any byte stream, segmentation and
// batch sizes: the same PDUs and the same final error as a direct parse
// (and so as one ReadPDU at a time). Its seed corpus runs as a regular
// test.
func FuzzReadPDUs(f *testing.F) {
	f.Add([]byte{0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 'z'}, []byte{63}, []byte{7}, 10)
	f.Add([]byte{0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 'z'}, []byte{0}, []byte{7}, 10)
	f.Add([]byte{0, 1, 'a', 0xff, 0xff, 1, 2, 3}, []byte{63}, []byte{7}, 100) // a bad length behind a good PDU
	f.Add([]byte{0, 1, 'a', 0, 9, 1, 2}, []byte{63}, []byte{7}, 100)          // peer closes mid-PDU behind a good one
	f.Add([]byte{}, []byte{}, []byte{}, 0)                                    // empty stream
	f.Add(bytes.Repeat([]byte{0, 0}, 50), []byte{63}, []byte{2, 7}, 0)        // header-only PDUs
	f.Add(bytes.Repeat([]byte{0, 1, 7}, 100), []byte{5, 40}, []byte{0, 3, 7}, 1)
	f.Fuzz(func(t *testing.T, wire, seg, maxes []byte, max int) {
		if max < 0 {
			max = -max
		}
		max %= 70000
		pdus, err := batchRun(t, wire, seg, maxes, max)
		checkPDUs(t, wire, max, pdus, err)
	})
}

// readPDUsNow submits a ReadPDUs to m and returns its completion, which
// must come from what m already holds.
func readPDUsNow(t *testing.T, m *sockactor.StreamMachine, f *sockactor.Frame, max int) *sockactor.Completion {
	t.Helper()
	id := m.ReadPDUs(f, max, 0)
	for _, e := range m.Effects() {
		if c, ok := e.(*sockactor.Completion); ok && c.ID == id {
			return c
		}
	}
	t.Fatalf("ReadPDUs did not complete from the buffer")
	return nil
}

func pdu2(body string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(body))), body...)
}

func TestReadPDUsMachine(t *testing.T) {
	newM := func() *sockactor.StreamMachine {
		return sockactor.NewStreamMachine(sockactor.StreamConfig{MaxPDU: 64}, true)
	}
	t.Run("refusals", func(t *testing.T) {
		for _, tc := range []struct {
			f    *sockactor.Frame
			max  int
			want syscall.Errno
		}{
			{nil, 0, syscall.EINVAL},
			{sockactor.LengthPrefixed(2, 10), -1, syscall.EINVAL},
			{sockactor.LengthPrefixed(5, 10), 0, syscall.EINVAL},
		} {
			m := newM()
			if c := readPDUsNow(t, m, tc.f, tc.max); !errors.Is(c.Err, tc.want) || c.Kind != sockactor.OpReadPDUs {
				t.Fatalf("%+v: got %+v, want %v", tc, c, tc.want)
			}
			if m.Err() != nil {
				t.Fatalf("a refused batch poisoned the stream: %v", m.Err())
			}
		}
	})
	t.Run("takes every whole PDU, up to max, and leaves a partial one whole", func(t *testing.T) {
		m := newM()
		f := sockactor.LengthPrefixed(2, 10)
		wire := append(append(append(pdu2("a"), pdu2("")...), pdu2("ccc")...), pdu2("dddd")[:3]...)
		m.OnData(wire, nil)
		c := readPDUsNow(t, m, f, 2)
		if c.Err != nil || len(c.PDUs) != 2 || string(c.PDUs[0]) != "\x00\x01a" || string(c.PDUs[1]) != "\x00\x00" || c.N != 5 {
			t.Fatalf("first batch: %+v", c)
		}
		_ = append(c.PDUs[0], 'X') // the PDUs share a buffer: an append must not reach the next
		if cap(c.PDUs[0]) != len(c.PDUs[0]) || string(c.PDUs[1]) != "\x00\x00" {
			t.Fatalf("an append to one PDU of a batch wrote into the next: %q (cap %d)", c.PDUs[1], cap(c.PDUs[0]))
		}
		c = readPDUsNow(t, m, f, 0)
		if c.Err != nil || len(c.PDUs) != 1 || string(c.PDUs[0]) != "\x00\x03ccc" {
			t.Fatalf("second batch (stops before the partial PDU): %+v", c)
		}
		if m.Buffered() != 3 {
			t.Fatalf("the partial PDU was consumed: %d bytes left", m.Buffered())
		}

		id := m.ReadPDUs(f, 0, 0)
		m.Effects()
		m.OnData([]byte("ddd"), nil)
		c = lastCompletion(m.Effects())
		if c == nil || c.ID != id || c.Err != nil || len(c.PDUs) != 1 || string(c.PDUs[0]) != "\x00\x04dddd" {
			t.Fatalf("a batch waits for its first PDU: %+v", c)
		}
	})
	t.Run("does not start a PDU one byte short", func(t *testing.T) {
		m := newM()
		m.OnData(append(pdu2("a"), pdu2("bbbb")[:5]...), nil)
		if c := readPDUsNow(t, m, sockactor.LengthPrefixed(2, 10), 0); c.Err != nil || len(c.PDUs) != 1 || m.Buffered() != 5 {
			t.Fatalf("%+v, %d bytes left", c, m.Buffered())
		}
	})
	t.Run("stops before a bad length, which the next read meets", func(t *testing.T) {
		m := newM()
		f := sockactor.LengthPrefixed(2, 10)
		m.OnData(append(pdu2("ok"), 0, 200, 1, 2), nil)
		if c := readPDUsNow(t, m, f, 0); c.Err != nil || len(c.PDUs) != 1 {
			t.Fatalf("the good PDU: %+v", c)
		}
		if c := readPDUsNow(t, m, f, 0); !errors.Is(c.Err, syscall.EMSGSIZE) {
			t.Fatalf("the bad length: %+v", c)
		}
		if !errors.Is(m.Err(), syscall.EMSGSIZE) {
			t.Fatalf("framing lost, the stream must be poisoned: %v", m.Err())
		}
	})
	t.Run("a PDU over MaxPDU is left for the next read", func(t *testing.T) {
		m := newM() // MaxPDU 64
		f := sockactor.LengthPrefixed(2, 1000)
		m.OnData(append(pdu2("ok"), pdu2(string(make([]byte, 100)))...), nil)
		if c := readPDUsNow(t, m, f, 0); c.Err != nil || len(c.PDUs) != 1 {
			t.Fatalf("the good PDU: %+v", c)
		}
		if c := readPDUsNow(t, m, f, 0); !errors.Is(c.Err, syscall.EMSGSIZE) {
			t.Fatalf("the oversize PDU: %+v", c)
		}
	})
	t.Run("EOF after whole PDUs: the batch succeeds, the next read gets EPIPE", func(t *testing.T) {
		m := newM()
		f := sockactor.LengthPrefixed(2, 10)
		m.OnData(append(pdu2("x"), pdu2("y")...), io.EOF)
		if c := readPDUsNow(t, m, f, 0); c.Err != nil || len(c.PDUs) != 2 {
			t.Fatalf("%+v", c)
		}
		if c := readPDUsNow(t, m, f, 0); !errors.Is(c.Err, syscall.EPIPE) {
			t.Fatalf("%+v", c)
		}
	})
	t.Run("cancel before start is clean; after part of its first PDU it poisons", func(t *testing.T) {
		m := newM()
		f1, f2 := sockactor.LengthPrefixed(2, 10), sockactor.LengthPrefixed(2, 10)
		first := m.Readv(f1.Next, true, 0)
		second := m.ReadPDUs(f2, 0, 0)
		m.Cancel(second)
		if c := lastCompletion(m.Effects()); c == nil || c.ID != second || !errors.Is(c.Err, syscall.ECANCELED) || m.Err() != nil {
			t.Fatalf("cancel before start: %+v (stream %v)", c, m.Err())
		}
		m.OnData(pdu2("a"), nil)
		if c := lastCompletion(m.Effects()); c == nil || c.ID != first || c.Err != nil {
			t.Fatalf("the read before it: %+v", c)
		}
		third := m.ReadPDUs(f2, 0, time.Second)
		m.OnData([]byte{0}, nil)
		m.Expire(third)
		c := lastCompletion(m.Effects())
		if c == nil || c.ID != third || !errors.Is(c.Err, syscall.ETIMEDOUT) || !errors.Is(m.Err(), syscall.ECONNABORTED) {
			t.Fatalf("timeout after a partial header: %+v (stream %v)", c, m.Err())
		}
	})
	t.Run("in order with single reads", func(t *testing.T) {
		m := newM()
		f, g := sockactor.LengthPrefixed(2, 10), sockactor.LengthPrefixed(2, 10)
		single := sockactor.LengthPrefixed(2, 10)
		a := m.ReadPDUs(f, 0, 0)
		b := m.Readv(single.Next, true, 0)
		c := m.ReadPDUs(g, 0, 0)
		m.Effects()
		m.OnData([]byte(string(pdu2("1"))+string(pdu2("2"))+string(pdu2("3"))+string(pdu2("4"))), nil)
		var got []string
		for _, e := range m.Effects() {
			if x, ok := e.(*sockactor.Completion); ok {
				switch x.ID {
				case a, c:
					for _, p := range x.PDUs {
						got = append(got, string(p[2:]))
					}
					got = append(got, "|")
				case b:
					got = append(got, string(single.Body()), "|")
				}
			}
		}
		// The first batch takes what is there; the single read and the
		// second batch then find nothing and wait.
		if want := "1234|"; joined(got) != want {
			t.Fatalf("got %q, want %q", joined(got), want)
		}
		m.OnData(append(pdu2("5"), pdu2("6")...), nil)
		got = got[:0]
		for _, e := range m.Effects() {
			if x, ok := e.(*sockactor.Completion); ok {
				if x.ID == b {
					got = append(got, string(single.Body()), "|")
				} else if x.ID == c {
					for _, p := range x.PDUs {
						got = append(got, string(p[2:]))
					}
					got = append(got, "|")
				}
			}
		}
		if want := "5|6|"; joined(got) != want {
			t.Fatalf("got %q, want %q", joined(got), want)
		}
	})
}

func joined(s []string) string {
	var b bytes.Buffer
	for _, x := range s {
		b.WriteString(x)
	}
	return b.String()
}

// batchEcho collects ReadPDUsDone messages for TestReadPDUsConn.
type batchCollector struct{ got chan *sockactor.ReadPDUsDone }

func (b batchCollector) Receive(c actor.Context) {
	if m, ok := c.Message().(*sockactor.ReadPDUsDone); ok {
		b.got <- m
	}
}

// TestReadPDUsConn: batches over real loopback TCP, through the Go face
// and as actor messages (the completion names its request and tag, and
// the completed request message may be sent again).
func TestReadPDUsConn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sys := actors.New()
	defer sys.Close(ctx)
	tr := sockactor.RealTransport()
	l, err := sockactor.Listen(sys, tr, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	acc := l.Accept()
	c, err := sockactor.Dial(ctx, sys, tr, "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := acc.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	var want []string
	for i := 0; i < 500; i++ {
		body := string(bytes.Repeat([]byte{byte(i)}, i%300))
		want = append(want, body)
		c.WritevQueue(pdu2(body))
	}
	f := sockactor.LengthPrefixed(2, 1000)
	var got []string
	for len(got) < 250 {
		pdus, err := s.ReadPDUs(f, 7).Wait(ctx)
		if err != nil || len(pdus) == 0 || len(pdus) > 7 {
			t.Fatalf("Go face batch: %d PDUs, %v", len(pdus), err)
		}
		for _, p := range pdus {
			got = append(got, string(p[2:]))
		}
	}
	coll := batchCollector{got: make(chan *sockactor.ReadPDUsDone, 1)}
	to, _ := sys.Spawn(actor.PropsFromProducer(func() actor.Actor { return coll }))
	req := &sockactor.ReadPDUs{Frame: f, ReplyTo: to, Tag: "t"}
	for len(got) < len(want) {
		sys.Send(s.PID(), req)
		var d *sockactor.ReadPDUsDone
		select {
		case d = <-coll.got:
		case <-ctx.Done():
			t.Fatal("no completion")
		}
		if d.Err != nil || d.Req != req || d.Tag != "t" || !d.Socket.Equal(s.PID()) || len(d.PDUs) == 0 {
			t.Fatalf("actor batch: err %v, req %p (want %p), tag %v, socket %v (want %v), %d PDUs", d.Err, d.Req, req, d.Tag, d.Socket, s.PID(), len(d.PDUs))
		}
		for _, p := range d.PDUs {
			got = append(got, string(p[2:]))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d PDUs, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("PDU %d differs", i)
		}
	}
	s.Close()
	if _, err := s.ReadPDUs(f, 0).Wait(ctx); !errors.Is(err, syscall.ECONNABORTED) {
		t.Fatalf("ReadPDUs on a closed socket: %v, want ECONNABORTED", err)
	}
}
