package props

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// SockModel is the reference model of a stream socket's data path: the
// peer's byte stream as a list of length-prefixed PDUs (2-byte big-endian
// prefix, as DNS over TCP), and what a sequence of whole-PDU reads must
// return from it, whatever the segmentation. The rapid state machines and
// the socket scenario compare the socket's behaviour with it.
type SockModel struct {
	MaxBody int    // the readers' maximum body size
	Wire    []byte // every byte the peer sent, in order
	pos     int    // bytes the reads have consumed
}

// AppendPDU appends a PDU with body to the peer's stream.
func (m *SockModel) AppendPDU(body []byte) {
	m.Wire = binary.BigEndian.AppendUint16(m.Wire, uint16(len(body)))
	m.Wire = append(m.Wire, body...)
}

// Outcome is what the next whole-PDU read must produce.
type Outcome struct {
	PDU      []byte // the PDU (header included), when OK
	OK       bool
	TooLarge bool // the length field exceeds MaxBody (EMSGSIZE)
	Short    bool // the stream ends before the PDU does (EPIPE at EOF)
}

// Next returns the outcome of the next read given that delivered bytes of
// Wire have reached the socket, and advances past a PDU read whole.
func (m *SockModel) Next(delivered int, eof bool) Outcome {
	rest := m.Wire[m.pos:min(delivered, len(m.Wire))]
	if len(rest) < 2 {
		return Outcome{Short: eof}
	}
	n := int(binary.BigEndian.Uint16(rest))
	if n > m.MaxBody {
		return Outcome{TooLarge: true}
	}
	if len(rest) < 2+n {
		return Outcome{Short: eof}
	}
	m.pos += 2 + n
	return Outcome{PDU: rest[:2+n], OK: true}
}

// Consumed returns how many bytes whole-PDU reads have consumed.
func (m *SockModel) Consumed() int { return m.pos }

// CheckWire checks what a socket wrote against invariants 11, 16, 19
// and 20: the wire is the concatenation of the completed writes, in
// submission order, followed by at most a prefix of the concatenation of
// the failed writes that the transport had been given, in submission
// order. started holds those failed writes: the ones handed to the
// transport before they completed and before the stream had a sticky
// error. So a write cancelled or timed out before its turn, refused
// (EBUSY, EINVAL) or failed by the sticky error never adds a byte (19,
// 16), and the partial bytes of a failed write are followed by nothing
// but the rest of the same transport write (20).
func CheckWire(wire []byte, completed, started [][]byte) error {
	want := bytes.Join(completed, nil)
	if !bytes.HasPrefix(wire, want) {
		return fmt.Errorf("inv 11: the wire (%d bytes) does not start with the %d completed writes (%d bytes) in order", len(wire), len(completed), len(want))
	}
	tail, may := wire[len(want):], bytes.Join(started, nil)
	if !bytes.HasPrefix(may, tail) {
		n := 0
		for n < len(tail) && n < len(may) && tail[n] == may[n] {
			n++
		}
		return fmt.Errorf("inv 19/20: after the %d completed writes the wire holds %d more bytes, of which only %d are a prefix of the %d failed writes the transport was given (%d bytes): a write that never started, or another request's bytes after a partial one, reached the wire", len(completed), len(tail), n, len(started), len(may))
	}
	return nil
}
