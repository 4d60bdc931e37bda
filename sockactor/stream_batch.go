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

// takeBatch moves into op every PDU whole at the head of the receive
// buffer, while op has room, and reports whether op has any PDU now. A
// whole PDU is taken straight from the buffer (its length is known and
// its bytes are all here: no next calls, one copy); the frame is left as
// if it had read it (PDU returns it, the next read starts at a header).
func (m *StreamMachine) takeBatch(op *readOp) bool {
	for len(op.pdus) < op.max {
		size, ok := m.wholePDU(op.frame)
		if !ok {
			break
		}
		pdu := m.take(size)
		op.frame.took(pdu)
		if op.pdus == nil {
			// Room for as many as the last batch had: one allocation
			// where growing from one took six for a batch of 32.
			op.pdus = make([][]byte, 0, min(op.max, max(4, m.lastBatch)))
		}
		op.pdus = append(op.pdus, pdu)
		op.total += size
	}
	return len(op.pdus) > 0
}

// endBatch completes op, the front read, with the PDUs it took.
func (m *StreamMachine) endBatch(op *readOp) {
	m.reads.Pop()
	m.lastBatch = len(op.pdus)
	m.complete(Completion{ID: op.id, Kind: op.kind, N: op.total, PDUs: op.pdus})
	recycle(&m.freeReads, op)
}

// wholePDU returns the size of the PDU of f's framing at the head of the
// receive buffer if all of it is there and within MaxPDU, without
// consuming anything. A header that does not decode counts as no: the
// next read meets its error.
func (m *StreamMachine) wholePDU(f *Frame) (int, bool) {
	if m.rlen < f.Header || m.rlen == 0 {
		return 0, false
	}
	hdr := m.rbuf[0].p
	if len(hdr) < f.Header { // the header spans chunks
		var small [16]byte
		hdr = small[:0]
		if f.Header > len(small) {
			hdr = make([]byte, 0, f.Header)
		}
		for i := 0; len(hdr) < f.Header; i++ {
			p := m.rbuf[i].p
			hdr = append(hdr, p[:min(len(p), f.Header-len(hdr))]...)
		}
	}
	n, err := f.Length(hdr[:f.Header])
	if err != nil || n > m.cfg.MaxPDU-f.Header || m.rlen-f.Header < n {
		return 0, false
	}
	return f.Header + n, true
}

// take consumes the next size bytes of the receive buffer (all there)
// into a buffer of their own.
func (m *StreamMachine) take(size int) []byte {
	var pdu []byte
	if c := &m.rbuf[0]; len(c.p) >= size {
		pdu = detach(c.p[:size])
	} else {
		pdu = make([]byte, size)
	}
	for off := 0; off < size; {
		c := &m.rbuf[0]
		n := min(len(c.p), size-off)
		if off > 0 || n < size {
			copy(pdu[off:], c.p[:n])
		}
		off += n
		if n == len(c.p) {
			if c.free != nil {
				c.free(c.all)
			}
			*c = chunk{}
			m.rbuf = m.rbuf[1:]
		} else {
			c.p = c.p[n:]
		}
	}
	m.rlen -= size
	return pdu
}
