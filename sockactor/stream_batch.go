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
	m.reads.Push(reuse(&m.freeReads, readOp{id: id, kind: kind, frame: f, max: max}))
	m.arm(id, timeout)
	m.pumpReads()
	return id
}

// takeBatch gives op, which has no PDU yet, first (the PDU it read
// itself, if any) and every PDU whole at the head of the receive buffer
// while op has room, and reports whether op has any PDU now. The whole
// PDUs are found by their headers without consuming anything, then taken
// in one copy into one buffer of their total size, which they share
// (each PDU is a full slice of its own bytes, so an append to one never
// writes into the next): one allocation per batch, not per PDU. The list
// of PDUs is the caller's and lives as long as they do, so it is made
// once they are counted, exactly their number. The frame is left as if
// it had read the last one (PDU returns it, the next read starts at a
// header).
func (m *StreamMachine) takeBatch(op *readOp, first []byte) bool {
	f := op.frame
	have := 0
	if first != nil {
		have = 1
	}
	count, total := 0, 0
	for cur := (cursor{m: m}); have+count < op.max; count++ {
		size, ok := cur.wholePDU(f, total)
		if !ok {
			break
		}
		total += size
		cur.skip(size)
	}
	if have+count == 0 {
		return false
	}
	op.pdus = make([][]byte, have, have+count)
	if first != nil {
		op.pdus[0] = first
	}
	if count > 0 {
		buf := m.take(total)
		for off := 0; off < total; {
			n, _ := f.Length(buf[off : off+f.Header]) // decoded once already
			end := off + f.Header + n
			op.pdus = append(op.pdus, buf[off:end:end])
			off = end
		}
		f.took(op.pdus[len(op.pdus)-1])
		op.total += total
	}
	return true
}

// endBatch completes op, the front read, with the PDUs it took.
func (m *StreamMachine) endBatch(op *readOp) {
	m.reads.Pop()
	m.complete(Completion{ID: op.id, Kind: op.kind, N: op.total, PDUs: op.pdus})
	recycle(&m.freeReads, op)
}

// cursor walks the receive buffer without consuming it.
type cursor struct {
	m      *StreamMachine
	ci, co int // chunk index and offset in it
}

// skip moves the cursor n bytes on (all buffered).
func (c *cursor) skip(n int) {
	for n > 0 {
		rest := len(c.m.rbuf[c.ci].p) - c.co
		if n < rest {
			c.co += n
			return
		}
		n -= rest
		c.ci, c.co = c.ci+1, 0
	}
}

// wholePDU returns the size of the PDU of f's framing at the cursor, at
// offset off of the receive buffer, if all of it is there and within
// MaxPDU. A header that does not decode counts as no: the next read
// meets its error.
func (c *cursor) wholePDU(f *Frame, off int) (int, bool) {
	m := c.m
	if m.rlen-off < f.Header || m.rlen == off {
		return 0, false
	}
	hdr := m.rbuf[c.ci].p[c.co:]
	if len(hdr) < f.Header { // the header spans chunks
		var small [16]byte
		hdr = small[:0]
		if f.Header > len(small) {
			hdr = make([]byte, 0, f.Header)
		}
		for i, o := c.ci, c.co; len(hdr) < f.Header; i, o = i+1, 0 {
			p := m.rbuf[i].p[o:]
			hdr = append(hdr, p[:min(len(p), f.Header-len(hdr))]...)
		}
	}
	n, err := f.Length(hdr[:f.Header])
	if err != nil || n > m.cfg.MaxPDU-f.Header || m.rlen-off-f.Header < n {
		return 0, false
	}
	return f.Header + n, true
}

// take consumes the next size bytes of the receive buffer (all there)
// into a buffer of their own (within one chunk, a copy that is not
// zeroed first).
func (m *StreamMachine) take(size int) []byte {
	if c := &m.rbuf[0]; len(c.p) >= size {
		pdu := detach(c.p[:size])
		m.dropFront(size)
		return pdu
	}
	pdu := make([]byte, size)
	for off := 0; off < size; {
		off += m.takeFront(pdu[off:])
	}
	return pdu
}
