package sockactor_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/actorio/actorio/sockactor"
	"pgregory.net/rapid"
)

// frameRef parses wire directly with f's framing under maxPDU: the PDUs
// it holds, in order, up to the first that is cut short, has a bad
// length or is over maxPDU (bad reports which of the last two it was).
func frameRef(f *sockactor.Frame, maxPDU int, wire []byte) (pdus [][]byte, bad bool) {
	for pos := 0; ; {
		if len(wire)-pos < f.Header {
			return pdus, false
		}
		n, err := f.Length(wire[pos : pos+f.Header])
		if err != nil || n > maxPDU-f.Header {
			return pdus, true
		}
		if len(wire)-pos-f.Header < n {
			return pdus, false
		}
		pdus = append(pdus, wire[pos:pos+f.Header+n])
		pos += f.Header + n
	}
}

// anyFrame draws a framing: any header size (past 16 bytes too), field
// position, width, byte order and adjustment (-Header: the field counts
// the whole PDU).
func anyFrame(t *rapid.T) (*sockactor.Frame, func(body []byte) []byte) {
	f := &sockactor.Frame{Width: rapid.IntRange(1, 3).Draw(t, "width")}
	f.Header = f.Width + rapid.IntRange(0, 30).Draw(t, "extra")
	f.Offset = rapid.IntRange(0, f.Header-f.Width).Draw(t, "offset")
	if rapid.Bool().Draw(t, "little") {
		f.Order = binary.LittleEndian
	}
	if rapid.Bool().Draw(t, "whole") && f.Width > 1 {
		f.Adjust = -f.Header
	}
	f.Max = rapid.IntRange(0, 200).Draw(t, "max")
	fill := byte(rapid.IntRange(0, 255).Draw(t, "fill"))
	return f, func(body []byte) []byte {
		h := bytes.Repeat([]byte{fill}, f.Header)
		v := uint64(len(body) - f.Adjust)
		for i := 0; i < f.Width; i++ {
			shift := 8 * uint(f.Width-1-i)
			if f.Order != nil {
				shift = 8 * uint(i)
			}
			h[f.Offset+i] = byte(v >> shift)
		}
		return append(h, body...)
	}
}

// TestReadPDUsAnyFraming: batches with any framing (headers over 16
// bytes, little endian, lengths counting the whole PDU), any MaxPDU,
// a stream fed in segments of 1 to 40 bytes whose chunks are scribbled
// over once the machine frees them, batches of any maximum (some of them
// reaching it mid-buffer), PDUs over the framing's Max or over MaxPDU
// behind good ones: every batch gives back exactly the PDUs of a direct
// parse, in order and intact at the end of the run (no PDU shares a
// chunk's memory), N their size, never more than its maximum, never
// leaving behind a whole PDU it had room for, consuming nothing past its
// PDUs, and the Frame's PDU is the batch's last. (Review coverage.)
func TestReadPDUsAnyFraming(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f, frame := anyFrame(t)
		maxPDU := rapid.IntRange(1, 300).Draw(t, "maxPDU")
		var wire []byte
		for i, n := 0, rapid.IntRange(0, 40).Draw(t, "pdus"); i < n; i++ {
			body := rapid.SliceOfN(rapid.Byte(), 0, min(f.Max, 1<<(8*f.Width)-1-f.Header)).Draw(t, "body")
			wire = append(wire, frame(body)...)
		}
		wire = append(wire, rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "tail")...)
		want, _ := frameRef(f, maxPDU, wire)
		seg := rapid.SliceOfN(rapid.IntRange(1, 40), 1, 8).Draw(t, "seg")
		maxes := rapid.SliceOfN(rapid.IntRange(1, 9), 1, 8).Draw(t, "maxes")
		checkAnyFraming(t, f, maxPDU, wire, want, seg, maxes)
	})
}

func checkAnyFraming(t *rapid.T, f *sockactor.Frame, maxPDU int, wire []byte, want [][]byte, seg, maxes []int) {
	m := sockactor.NewStreamMachine(sockactor.StreamConfig{MaxPDU: maxPDU, ReadAhead: 1 << 20, ReadChunk: 1 << 20}, true)
	scribble := func(b []byte) {
		for i := range b {
			b[i] = 0xEE
		}
	}
	var got [][]byte
	delivered, consumed, si, bi := 0, 0, 0, 0
	limit := 0
	var cur sockactor.ReqID
	next := func() {
		limit = maxes[bi%len(maxes)]
		bi++
		cur = m.ReadPDUs(f, limit, 0)
	}
	next()
	for done, steps := false, 0; !done; steps++ {
		if steps > 1<<16 {
			t.Fatalf("stalled after %d PDUs", len(got))
		}
		for effs := m.Effects(); len(effs) > 0 && !done; effs = m.Effects() {
			for _, e := range effs {
				c, ok := e.(*sockactor.Completion)
				if !ok || c.ID != cur || done {
					continue
				}
				if c.Err != nil {
					done = true
					break
				}
				total := 0
				for _, p := range c.PDUs {
					total += len(p)
				}
				if len(c.PDUs) == 0 || len(c.PDUs) > limit || total != c.N {
					t.Fatalf("batch of %d PDUs (max %d), N=%d for %d bytes", len(c.PDUs), limit, c.N, total)
				}
				if last := c.PDUs[len(c.PDUs)-1]; !bytes.Equal(f.PDU(), last) || &f.PDU()[0] != &last[0] {
					t.Fatalf("the Frame's PDU %q is not the batch's last %q", f.PDU(), last)
				}
				consumed += total
				got = append(got, c.PDUs...)
				if m.Buffered() != delivered-consumed {
					t.Fatalf("machine holds %d bytes, want %d", m.Buffered(), delivered-consumed)
				}
				if len(got) > len(want) {
					t.Fatalf("%d PDUs read, the wire holds %d", len(got), len(want))
				}
				if ahead, _ := frameRef(f, maxPDU, wire[consumed:delivered]); len(c.PDUs) < limit && len(ahead) > 0 {
					t.Fatalf("batch of %d (max %d) left a whole PDU behind", len(c.PDUs), limit)
				}
				next()
			}
		}
		if done {
			break
		}
		if delivered == len(wire) {
			m.OnDataFree(nil, nil, io.EOF)
			continue
		}
		n := min(seg[si%len(seg)], len(wire)-delivered)
		si++
		m.OnDataFree(append([]byte(nil), wire[delivered:delivered+n]...), scribble, nil)
		delivered += n
	}
	if len(got) != len(want) {
		t.Fatalf("%d PDUs read, the wire holds %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("PDU %d = %x, want %x", i, got[i], want[i])
		}
	}
}

// TestReadPDUsListNotSizedByEarlierBatch: a batch's list of PDUs is the
// caller's and is kept as long as its PDUs are (an echo server queues it
// as a write vector), but it was sized by the batch before: after one
// batch of 10000 PDUs, the next batch's one PDU came in a list with room
// for 10000 (240 KB held for 24 bytes), whether that PDU was already
// buffered or read first. (Found in review.)
func TestReadPDUsListNotSizedByEarlierBatch(t *testing.T) {
	for _, first := range []string{"buffered", "read"} {
		m := sockactor.NewStreamMachine(sockactor.StreamConfig{ReadAhead: 1 << 20}, true)
		f := sockactor.LengthPrefixed(1, 10)
		m.OnData(make([]byte, 10000), nil)
		if c := readPDUsNow(t, m, f, 1<<20); c.Err != nil || len(c.PDUs) != 10000 {
			t.Fatalf("big batch: %v, %d PDUs", c.Err, len(c.PDUs))
		}
		var c *sockactor.Completion
		if first == "buffered" {
			m.OnData([]byte{1, 'x'}, nil)
			c = readPDUsNow(t, m, f, 1<<20)
		} else {
			id := m.ReadPDUs(f, 1<<20, 0)
			m.Effects()
			m.OnData([]byte{1}, nil)
			m.OnData([]byte{'x', 0}, nil) // the rest, and a header-only PDU
			if c = lastCompletion(m.Effects()); c == nil || c.ID != id {
				t.Fatalf("%s: batch did not complete: %+v", first, c)
			}
		}
		if c.Err != nil || len(c.PDUs) == 0 || len(c.PDUs) > 2 {
			t.Fatalf("%s: small batch: %v, %d PDUs", first, c.Err, len(c.PDUs))
		}
		if cap(c.PDUs) > 16 {
			t.Fatalf("%s: a batch of %d PDUs came in a list with room for %d", first, len(c.PDUs), cap(c.PDUs))
		}
	}
}

// TestTransportReadCostsNoAllocation: a socket whose reads keep up
// (each transport read consumed before the next, as on any busy
// connection with a read pending) allocated twice per transport read in
// the machine, whatever the read: the receive buffer, a queue sliced
// from its front, had always used up its array by the next append (so
// every chunk appended allocated a new one), and every EffRead was a new
// one. A transport read now costs the machine nothing. (Found in review
// of the batch read, which walks that buffer.)
func TestTransportReadCostsNoAllocation(t *testing.T) {
	m := sockactor.NewStreamMachine(sockactor.StreamConfig{}, true)
	vec := [][]byte{make([]byte, 8)}
	done := false
	next := func() ([][]byte, error) { // one NextFunc for every read
		if done {
			return nil, nil
		}
		done = true
		return vec, nil
	}
	data := []byte("12345678")
	run := func() {
		done = false
		id := m.Readv(next, true, 0)
		m.OnData(data[:3], nil)
		m.OnData(data[3:], nil)
		if c := lastCompletion(m.Effects()); c == nil || c.ID != id || c.Err != nil || c.N != 8 {
			t.Fatalf("read: %+v", c)
		}
	}
	run()
	if a := testing.AllocsPerRun(100, run); a != 0 {
		t.Fatalf("%v allocations per read of two transport reads, want 0", a)
	}
}

// TestReadPDUsBatchAllocs: a batch of PDUs already buffered costs two
// allocations, the buffer its PDUs share and their list. It cost a
// third, the Frame's Next bound as a method value for every ReadPDUs
// (the batch's first PDU is read through it only when not buffered).
// (Found in review.)
func TestReadPDUsBatchAllocs(t *testing.T) {
	m := sockactor.NewStreamMachine(sockactor.StreamConfig{}, true)
	f := sockactor.LengthPrefixed(2, 100)
	wire := append(pdu2("abc"), pdu2("de")...)
	run := func() {
		m.OnData(wire, nil)
		id := m.ReadPDUs(f, 0, 0)
		if c := lastCompletion(m.Effects()); c == nil || c.ID != id || c.Err != nil || len(c.PDUs) != 2 {
			t.Fatalf("batch: %+v", c)
		}
	}
	run()
	if a := testing.AllocsPerRun(100, run); a > 2 {
		t.Fatalf("%v allocations for a batch of 2 buffered PDUs, want 2", a)
	}
}
