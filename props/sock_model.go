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

// CheckWire checks invariant 11: the bytes a socket wrote are the
// concatenation of the completed writes, in submission order, followed
// by at most a prefix of the writes that failed.
func CheckWire(wire []byte, completed [][]byte) error {
	want := bytes.Join(completed, nil)
	if !bytes.HasPrefix(wire, want) {
		return fmt.Errorf("inv 11: the wire (%d bytes) does not start with the %d completed writes (%d bytes) in order", len(wire), len(completed), len(want))
	}
	return nil
}
