package sockactor_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/actorio/actorio/sockactor"
)

// pduRun feeds wire to a StreamMachine in segments whose sizes come from
// seg (cycled), reading 2-byte-length PDUs of at most max body bytes until
// one fails, and returns the PDUs and the error that ended the reads.
func pduRun(wire, seg []byte, max int) (pdus [][]byte, err error) {
	m := sockactor.NewStreamMachine(sockactor.StreamConfig{ReadAhead: 1 << 20, ReadChunk: 1 << 20}, true)
	delivered, si := 0, 0
	var frame *sockactor.Frame
	var cur sockactor.ReqID
	start := func() {
		frame = sockactor.LengthPrefixed(2, max)
		cur = m.Readv(frame.Next, true, 0)
	}
	start()
	for step := 0; step < 1<<20; step++ {
		progressed := false
		for _, e := range m.Effects() {
			switch e := e.(type) {
			case *sockactor.EffRead:
				if delivered >= len(wire) {
					m.OnData(nil, io.EOF)
				} else {
					n := 1
					if len(seg) > 0 {
						n = int(seg[si%len(seg)])%64 + 1
						si++
					}
					n = min(n, len(wire)-delivered, e.Max)
					m.OnData(append([]byte(nil), wire[delivered:delivered+n]...), nil)
					delivered += n
				}
				progressed = true
			case *sockactor.Completion:
				if e.ID != cur {
					continue
				}
				if e.Err != nil {
					return pdus, e.Err
				}
				pdus = append(pdus, frame.PDU())
				start()
				progressed = true
			}
		}
		if !progressed {
			return pdus, errors.New("stalled")
		}
	}
	return pdus, errors.New("too many steps")
}

// checkPDUs checks a run against a direct parse of wire: the same PDUs in
// order (framing independence, no over-read), then EMSGSIZE for a length
// over max or EPIPE for a stream that ends inside a PDU (or on a PDU
// boundary: Samba's EOF is EPIPE too).
func checkPDUs(t fataler, wire []byte, max int, pdus [][]byte, err error) {
	t.Helper()
	pos := 0
	for i, p := range pdus {
		if len(wire)-pos < 2 {
			t.Fatalf("PDU %d read past the end of the wire", i)
		}
		n := int(binary.BigEndian.Uint16(wire[pos:]))
		if n > max || len(wire)-pos < 2+n || !bytes.Equal(p, wire[pos:pos+2+n]) {
			t.Fatalf("PDU %d = %q, wire has %q", i, p, wire[pos:min(len(wire), pos+2+n)])
		}
		pos += 2 + n
	}
	rest := wire[pos:]
	switch {
	case len(rest) >= 2 && int(binary.BigEndian.Uint16(rest)) > max:
		if !errors.Is(err, syscall.EMSGSIZE) {
			t.Fatalf("length %d over max %d: %v, want EMSGSIZE", binary.BigEndian.Uint16(rest), max, err)
		}
	default:
		if !errors.Is(err, syscall.EPIPE) {
			t.Fatalf("end of stream with %d bytes left: %v, want EPIPE", len(rest), err)
		}
	}
}

// FuzzPDUReader fuzzes the PDU reader with any byte stream and any
// segmentation. Its seed corpus runs as a regular test.
func FuzzPDUReader(f *testing.F) {
	f.Add([]byte{0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 'z'}, []byte{1}, 10)
	f.Add([]byte{0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 'z'}, []byte{63}, 10)
	f.Add([]byte{0xff, 0xff, 1, 2, 3}, []byte{0}, 100)      // length over max
	f.Add([]byte{0, 9, 1, 2}, []byte{2}, 100)               // peer closes mid-PDU
	f.Add([]byte{0}, []byte{0}, 100)                        // mid-header
	f.Add([]byte{}, []byte{}, 0)                            // empty stream
	f.Add([]byte{0, 0, 0, 0, 0, 0}, []byte{0, 1}, 0)        // zero-length bodies
	f.Add(bytes.Repeat([]byte{0, 1, 7}, 100), []byte{5}, 1) // many tiny PDUs coalesced
	f.Fuzz(func(t *testing.T, wire, seg []byte, max int) {
		if max < 0 {
			max = -max
		}
		max %= 70000
		pdus, err := pduRun(wire, seg, max)
		checkPDUs(t, wire, max, pdus, err)
	})
}

// FuzzFrameLength fuzzes the header decoding of HeaderLength framings.
func FuzzFrameLength(f *testing.F) {
	f.Add([]byte{0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5}, 12, 8, 4, 100)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, 4, 0, 4, 1<<20)
	f.Add([]byte{1, 2}, 2, 1, 2, 10) // field outside the header
	f.Fuzz(func(t *testing.T, hdr []byte, header, offset, width, max int) {
		fr := &sockactor.Frame{Header: header % 64, Offset: offset % 64, Width: width % 8, Max: max}
		n, err := fr.Length(hdr)
		if err == nil && (n < 0 || n > max) {
			t.Fatalf("length %d outside [0,%d] without an error", n, max)
		}
		if err != nil && sockactor.Errno(err) != syscall.EINVAL && sockactor.Errno(err) != syscall.EMSGSIZE {
			t.Fatalf("error without EINVAL/EMSGSIZE: %v", err)
		}
	})
}

// TestBadInput: each bad input of the issue gets its defined error at
// the machine level (the conformance suite in props checks them again
// through real and simulated sockets).
func TestBadInput(t *testing.T) {
	t.Run("length over max: EMSGSIZE, poisoned", func(t *testing.T) {
		pdus, err := pduRun([]byte{0, 2, 'o', 'k', 0, 200, 1, 2, 3, 0, 1, 'x'}, []byte{1}, 100)
		if len(pdus) != 1 || !errors.Is(err, syscall.EMSGSIZE) {
			t.Fatalf("%q %v", pdus, err)
		}
	})
	t.Run("oversize datagram: EMSGSIZE (send and receive)", func(t *testing.T) {
		m := sockactor.NewDgramMachine(sockactor.DgramConfig{MaxDatagram: 10})
		dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
		m.SendTo(make([]byte, 11), dst, true, 0)
		m.RecvFrom(0)
		m.OnDatagram(sockactor.EvDatagram{Data: make([]byte, 11), Src: dst})
		var errs []error
		for _, e := range m.Effects() {
			if c, ok := e.(*sockactor.Completion); ok {
				errs = append(errs, c.Err)
			}
		}
		if len(errs) != 2 || !errors.Is(errs[0], syscall.EMSGSIZE) || !errors.Is(errs[1], syscall.EMSGSIZE) {
			t.Fatalf("%v", errs)
		}
	})
	t.Run("zero-length sendto: EINVAL", func(t *testing.T) {
		m := sockactor.NewDgramMachine(sockactor.DgramConfig{})
		m.SendTo(nil, &net.UDPAddr{}, false, 0)
		if c := lastCompletion(m.Effects()); c == nil || !errors.Is(c.Err, syscall.EINVAL) {
			t.Fatalf("%+v", c)
		}
	})
	t.Run("next returns a bad vector: EINVAL; no errno: EIO; panic: EIO", func(t *testing.T) {
		for _, tc := range []struct {
			next sockactor.NextFunc
			want syscall.Errno
		}{
			{func() ([][]byte, error) { return [][]byte{nil, {}}, nil }, syscall.EINVAL},
			{func() ([][]byte, error) { return nil, errors.New("no errno") }, syscall.EIO},
			{func() ([][]byte, error) { panic("boom") }, syscall.EIO},
			{func() ([][]byte, error) { return nil, syscall.ENOMEM }, syscall.ENOMEM},
			{func() ([][]byte, error) { return make([][]byte, sockactor.IOVMax+1), nil }, syscall.EMSGSIZE},
		} {
			m := sockactor.NewStreamMachine(sockactor.StreamConfig{}, true)
			m.Readv(tc.next, false, 0)
			if c := lastCompletion(m.Effects()); c == nil || !errors.Is(c.Err, tc.want) {
				t.Fatalf("got %+v, want %v", c, tc.want)
			}
			if m.Err() != nil {
				t.Fatalf("an error before any byte was consumed poisoned the stream: %v", m.Err())
			}
		}
	})
	t.Run("peer closes mid-PDU: EPIPE, never a short PDU", func(t *testing.T) {
		pdus, err := pduRun([]byte{0, 5, 'a', 'b'}, []byte{0}, 100)
		if len(pdus) != 0 || !errors.Is(err, syscall.EPIPE) {
			t.Fatalf("%q %v", pdus, err)
		}
	})
	t.Run("connect refused: ECONNREFUSED", func(t *testing.T) {
		m := sockactor.NewStreamMachine(sockactor.StreamConfig{}, false)
		m.Connect("tcp", "127.0.0.1:1", 0)
		m.OnConnected(nil, nil, syscall.ECONNREFUSED)
		if c := lastCompletion(m.Effects()); c == nil || !errors.Is(c.Err, syscall.ECONNREFUSED) {
			t.Fatalf("%+v", c)
		}
	})
}

func lastCompletion(effs []sockactor.Effect) *sockactor.Completion {
	var last *sockactor.Completion
	for _, e := range effs {
		if c, ok := e.(*sockactor.Completion); ok {
			last = c
		}
	}
	return last
}
