package sockactor

import (
	"encoding/binary"
	"slices"
	"syscall"
)

// Frame is a PDU framing for the common case of a fixed header that
// carries the length of what follows: a 2- or 4-byte big-endian length
// prefix (DNS over TCP, Kerberos over TCP), or a length field at some
// offset of a longer header (memcached's 24-byte header with the body
// length at offset 8, DCE-RPC's frag_length). Its Next method is the
// NextFunc of a ReadPDU: it asks for the header, then for exactly the
// bytes the length field announces, so the next PDU stays in the stream.
//
// A Frame reads one PDU at a time and starts over on the next read; PDU
// returns the last one read (a new buffer per PDU, so it may be kept).
// Use one Frame per queued read. A read that ends without its PDU
// (cancelled or timed out, even before any byte came, or failed) leaves
// the Frame partway through: Reset it, or take a new one, before reading
// with it again. A ReadPDUs batch reads all its PDUs with its one Frame
// and starts it over itself when it begins, so a Frame used only in
// batches needs no Reset.
type Frame struct {
	// Header is the size of the fixed header, which ends at or after the
	// length field.
	Header int
	// Offset and Width locate the length field in the header (Width 1 to
	// 4 bytes).
	Offset, Width int
	// Order is the field's byte order (nil: big endian).
	Order binary.ByteOrder
	// Adjust is added to the field to get the number of bytes that
	// follow the header: 0 when the field counts them, -Header when it
	// counts the whole PDU.
	Adjust int
	// Max is the largest number of bytes allowed after the header;
	// a larger length gets EMSGSIZE (and poisons the stream, whose
	// framing is lost). A length within Max is believed only as far as
	// bytes come (a body over 1 MiB is read in growing pieces), so a
	// Max above the socket's MaxPDU costs no memory for a false claim:
	// the socket refuses the read (EMSGSIZE) once MaxPDU bytes came.
	Max int

	pdu   []byte
	want  int // the whole PDU's length, once the header is read
	phase int
	// hdr holds a short header while it is read (hbuf a longer one,
	// kept for the next) and vec the one-entry vector Next returns, so
	// that a PDU costs one allocation (its own).
	hdr  [16]byte
	hbuf []byte
	vec  [1][]byte
}

// LengthPrefixed returns the framing of a big-endian length prefix of
// width 2 or 4 bytes that counts the bytes after it, at most max.
func LengthPrefixed(width, max int) *Frame {
	return &Frame{Header: width, Width: width, Max: max}
}

// HeaderLength returns the framing of a fixed header of header bytes
// with a big-endian length field of width bytes at offset that counts
// the bytes after the header, at most max.
func HeaderLength(header, offset, width, max int) *Frame {
	return &Frame{Header: header, Offset: offset, Width: width, Max: max}
}

// frameChunk is the most body Next asks for before any of it came: a
// longer body is asked for in pieces, each as long as what came before
// it, so a length field announcing 4 GiB costs memory only for the bytes
// the peer really sends (which the socket's MaxPDU bounds), not for what
// it claims. A body of at most frameChunk bytes is one buffer.
const frameChunk = 1 << 20

// maxFrameHeader is the largest fixed header a Frame takes (EINVAL
// beyond): real ones are tens of bytes.
const maxFrameHeader = 1 << 16

func (f *Frame) check() error {
	switch {
	case f.Width < 1 || f.Width > 4:
		return errf("readv", syscall.EINVAL, "frame: length field width %d is not 1 to 4 bytes", f.Width)
	case f.Offset < 0 || f.Header < f.Width || f.Offset > f.Header-f.Width: // no Offset+Width: it may overflow
		return errf("readv", syscall.EINVAL, "frame: length field [%d,%d) is outside the %d-byte header", f.Offset, f.Offset+f.Width, f.Header)
	case f.Max < 0:
		return errf("readv", syscall.EINVAL, "frame: negative maximum %d", f.Max)
	case f.Header > maxFrameHeader:
		return errf("readv", syscall.EINVAL, "frame: a %d-byte header is more than the %d bytes a fixed header may have", f.Header, maxFrameHeader)
	}
	return nil
}

// Reset makes f start over at the header, as a new Frame would, after a
// read that ended without its PDU. PDU then returns nil.
func (f *Frame) Reset() { f.pdu, f.phase = nil, 0 }

// took makes f as if it had just read pdu, which its socket took whole
// from its buffer for a ReadPDUs batch.
func (f *Frame) took(pdu []byte) { f.pdu, f.phase = pdu, 0 }

// Next is the NextFunc: header, then body, then the empty vector.
func (f *Frame) Next() ([][]byte, error) {
	switch f.phase {
	case 1:
		n, err := f.Length(f.pdu)
		if err != nil {
			f.phase = 0
			return nil, err
		}
		if n == 0 {
			// A header-only PDU: give it its own buffer, as promised.
			f.pdu, f.phase = append([]byte(nil), f.pdu...), 0
			return nil, nil
		}
		pdu := make([]byte, f.Header+min(n, frameChunk))
		copy(pdu, f.pdu)
		f.pdu, f.want, f.phase = pdu, f.Header+n, 2
		f.vec[0] = pdu[f.Header:]
		return f.vec[:], nil
	case 2:
		have := len(f.pdu)
		if have >= f.want {
			f.phase = 0
			return nil, nil
		}
		// A body longer than frameChunk: believe the length field only as
		// far as bytes came, doubling the buffer each time.
		more := min(f.want-have, have)
		f.pdu = slices.Grow(f.pdu, more)[:have+more]
		f.vec[0] = f.pdu[have:]
		return f.vec[:], nil
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	switch {
	case f.Header <= len(f.hdr):
		f.pdu = f.hdr[:f.Header]
	default:
		// The header is copied into the PDU's own buffer once read, so
		// this one serves every PDU.
		if cap(f.hbuf) < f.Header {
			f.hbuf = make([]byte, f.Header)
		}
		f.pdu = f.hbuf[:f.Header]
	}
	f.phase = 1
	f.vec[0] = f.pdu
	return f.vec[:], nil
}

// Length decodes a header: the number of bytes that follow it, or
// EMSGSIZE when that exceeds Max, EINVAL when it is negative.
func (f *Frame) Length(header []byte) (int, error) {
	if err := f.check(); err != nil {
		return 0, err
	}
	if len(header) < f.Header {
		return 0, errf("readv", syscall.EINVAL, "frame: header of %d bytes, want %d", len(header), f.Header)
	}
	field := header[f.Offset : f.Offset+f.Width]
	var v uint64
	order := f.Order
	if order == nil {
		order = binary.BigEndian
	}
	// Any ByteOrder, binary.NativeEndian included (it is not the value
	// binary.LittleEndian even where it is little endian): ask it.
	if order.Uint16(littleProbe[:]) == 1 {
		for i := len(field) - 1; i >= 0; i-- {
			v = v<<8 | uint64(field[i])
		}
	} else {
		for _, b := range field {
			v = v<<8 | uint64(b)
		}
	}
	n := int64(v) + int64(f.Adjust)
	switch {
	case n < 0:
		return 0, errf("readv", syscall.EINVAL, "frame: length field %d gives a negative body (adjust %d)", v, f.Adjust)
	case n > int64(f.Max):
		return 0, errf("readv", syscall.EMSGSIZE, "frame: length %d exceeds the maximum of %d", n, f.Max)
	}
	return int(n), nil
}

// littleProbe reads 1 in a little-endian order (a global: no allocation
// per header).
var littleProbe = [2]byte{1, 0}

// PDU returns the last PDU read, header included.
func (f *Frame) PDU() []byte { return f.pdu }

// Body returns the last PDU read without its header.
func (f *Frame) Body() []byte {
	if len(f.pdu) < f.Header {
		return nil
	}
	return f.pdu[f.Header:]
}

// AppendLength appends to dst a big-endian length prefix of width bytes
// for a body of n bytes (the writing side of LengthPrefixed), or fails
// with EMSGSIZE when n does not fit.
func AppendLength(dst []byte, width, n int) ([]byte, error) {
	if width < 1 || width > 4 {
		return dst, errf("writev", syscall.EINVAL, "length prefix width %d is not 1 to 4 bytes", width)
	}
	if n < 0 || uint64(n) >= 1<<(8*uint(width)) {
		return dst, errf("writev", syscall.EMSGSIZE, "length %d does not fit in %d bytes", n, width)
	}
	for i := width - 1; i >= 0; i-- {
		dst = append(dst, byte(uint64(n)>>(8*uint(i))))
	}
	return dst, nil
}

// ReadFull returns a NextFunc that fills bufs completely, then ends the
// PDU: a plain readv of fixed buffers. It serves one read; each read
// needs its own.
func ReadFull(bufs ...[]byte) NextFunc {
	done := false
	return func() ([][]byte, error) {
		if done {
			return nil, nil
		}
		done = true
		return bufs, nil
	}
}
