package sockactor

import (
	"syscall"
	"time"
)

// This file is the StreamMachine's batch PDU read (ReadPDUs): one request
// that completes with every whole PDU the socket already holds.

// DefaultReadPDUsMax is how many PDUs a ReadPDUs takes at most when its
// Max is 0.
const DefaultReadPDUsMax = 64

// ReadPDUs submits a batch PDU read through the read queue: like a
// queued Readv with f.Next, except that once the first PDU is read it goes
// on to every further PDU already whole in the receive buffer, up to max
// (0: DefaultReadPDUsMax), and completes with all of them at once
// (Completion.PDUs, N their total size). It never waits for bytes after
// its first PDU, and it only starts a further PDU whose header decodes and
// whose bytes are all buffered: so a batch fails only on its first PDU,
// and a PDU it does not take (a bad header, an oversize length, bytes
// still to come) is left whole for the next read. f is this request's
// until its completion; the batch Resets it when it begins (it starts at
// a PDU boundary), so f needs no Reset after a failed batch.
func (m *StreamMachine) ReadPDUs(f *Frame, max int, timeout time.Duration) ReqID {
	id, kind := m.newID(), OpReadPDUs
	switch {
	case f == nil:
		return m.fail(id, kind, errf("readv", syscall.EINVAL, "nil frame"))
	case max < 0:
		return m.fail(id, kind, errf("readv", syscall.EINVAL, "negative maximum of %d PDUs", max))
	case max == 0:
		max = DefaultReadPDUsMax
	}
	if err := f.check(); err != nil {
		return m.fail(id, kind, err)
	}
	if err := m.ioRefusal("readv"); err != nil {
		return m.fail(id, kind, err)
	}
	m.reads.Push(reuse(&m.freeReads, readOp{id: id, kind: kind, next: f.Next, frame: f, max: max}))
	m.arm(id, timeout)
	m.pumpReads()
	return id
}

// batchGoesOn records the PDU op's frame just read and reports whether op
// takes another: one more is allowed and wholly buffered. op then starts
// it (its consumed count begins again).
func (m *StreamMachine) batchGoesOn(op *readOp) bool {
	op.pdus = append(op.pdus, op.frame.PDU())
	op.total += op.consumed
	if len(op.pdus) >= op.max || !m.wholePDUBuffered(op.frame) {
		return false
	}
	op.consumed = 0
	return true
}

// wholePDUBuffered reports whether the receive buffer starts with a whole
// PDU of f's framing within MaxPDU, without consuming anything. A header
// that does not decode counts as no: the next read meets its error.
func (m *StreamMachine) wholePDUBuffered(f *Frame) bool {
	if m.rlen < f.Header {
		return false
	}
	if p := m.rbuf[0].p; len(p) >= f.Header {
		// The whole header is in one chunk (the usual case): decode it
		// there.
		return m.decodesWhole(f, p[:f.Header])
	}
	var small [16]byte
	hdr := small[:0]
	if f.Header > len(small) {
		hdr = make([]byte, 0, f.Header)
	}
	for i := 0; len(hdr) < f.Header; i++ {
		p := m.rbuf[i].p
		hdr = append(hdr, p[:min(len(p), f.Header-len(hdr))]...)
	}
	return m.decodesWhole(f, hdr)
}

// decodesWhole reports whether hdr, the buffered header of the next PDU,
// decodes to a length within MaxPDU whose bytes are all buffered.
func (m *StreamMachine) decodesWhole(f *Frame, hdr []byte) bool {
	n, err := f.Length(hdr)
	return err == nil && n <= m.cfg.MaxPDU-f.Header && m.rlen-f.Header >= n
}
