package sockactor

import (
	"fmt"
	"math"
	"syscall"
)

// This file is the data path of StreamMachine: the PDU reader fed from
// the receive buffer, and the write lane that coalesces queued writes.

// OnData feeds a transport read: bytes (possibly none) and an error
// (io.EOF when the peer closed). The error surfaces only once the bytes
// before it have been read (drain, then fail).
func (m *StreamMachine) OnData(p []byte, err error) { m.OnDataFree(p, nil, err) }

// OnDataFree is OnData for bytes that free takes back once the machine
// has consumed all of them (EvData.Free); free may be nil.
func (m *StreamMachine) OnDataFree(p []byte, free func([]byte), err error) {
	m.reading = false
	if m.state != StateConnected {
		return
	}
	if len(p) > 0 {
		moves := len(m.rbuf) == cap(m.rbuf)
		m.rbuf = append(m.rbuf, chunk{p: p, all: p, free: free})
		if moves { // a new array: it starts at rbuf[0]
			m.rbase = m.rbuf[:0]
		}
		m.rlen += len(p)
	}
	if err != nil && m.reof == nil {
		m.reof = err
	}
	m.pumpReads()
	m.wantRead()
}

// wantRead keeps one transport read outstanding while the receive buffer
// has room, so that data, EOF and resets are seen without a pending read.
func (m *StreamMachine) wantRead() {
	if m.reading || m.state != StateConnected || m.err != nil || m.reof != nil || m.rlen >= m.cfg.ReadAhead {
		return
	}
	m.reading = true
	m.reff = EffRead{Max: m.cfg.ReadChunk}
	m.emit(&m.reff)
}

// rbufKeep is the most chunks the receive buffer's array may hold and
// still be kept for reuse once the buffer empties (a burst of tiny reads
// does not pin a large array for the socket's life).
const rbufKeep = 64

// popChunk drops the receive buffer's first chunk, all of it consumed,
// giving its memory back to the transport. An emptied buffer starts over
// at the front of its array, so a socket whose reads keep up appends
// without allocating (sliced from the front alone, the array was used up
// by the next append).
func (m *StreamMachine) popChunk() {
	c := &m.rbuf[0]
	if c.free != nil {
		c.free(c.all)
	}
	*c = chunk{}
	m.rbuf = m.rbuf[1:]
	if len(m.rbuf) == 0 {
		if cap(m.rbase) > rbufKeep {
			m.rbase = nil
		}
		m.rbuf = m.rbase
	}
}

// takeFront copies into dst what it can of the receive buffer's first
// chunk (which must exist), consumes it, and returns how much.
func (m *StreamMachine) takeFront(dst []byte) int {
	n := copy(dst, m.rbuf[0].p)
	m.dropFront(n)
	return n
}

// dropFront consumes the first n bytes of the receive buffer, all in its
// first chunk.
func (m *StreamMachine) dropFront(n int) {
	if c := &m.rbuf[0]; n == len(c.p) {
		m.popChunk()
	} else {
		c.p = c.p[n:]
	}
	m.rlen -= n
}

// pumpReads advances the read lane as far as the buffered bytes allow.
func (m *StreamMachine) pumpReads() {
	for m.reads.Len() > 0 {
		op := m.reads.Front()
		if m.err != nil {
			m.poison(m.err)
			return
		}
		if !op.started {
			if op.frame != nil && m.takeBatch(op, nil) {
				m.endBatch(op) // whole PDUs were waiting
				continue
			}
			op.started = true
			if op.frame != nil {
				// A batch starts at a PDU boundary: whatever an earlier
				// read that ended without its PDU left in the Frame
				// (a stale header) must not be taken for this one's.
				op.frame.Reset()
			}
			if !m.askNext(op) {
				continue
			}
		}
		for m.fill(op) {
			if !m.askNext(op) {
				break
			}
		}
		if m.reads.Front() == op {
			// op needs bytes that are not here.
			if m.rlen == 0 && m.reof != nil {
				m.poison(AsErrno("readv", m.reof, syscall.EIO))
				return
			}
			break
		}
	}
	m.wantRead()
}

// fill copies buffered bytes into op's array and reports whether the
// array is now full.
func (m *StreamMachine) fill(op *readOp) bool {
	for op.vi < len(op.vec) {
		dst := op.vec[op.vi][op.off:]
		if len(dst) == 0 {
			op.vi, op.off = op.vi+1, 0
			continue
		}
		if m.rlen == 0 {
			return false
		}
		n := m.takeFront(dst)
		op.off += n
		op.consumed += n
	}
	return true
}

// askNext calls op's next function for the next array. It returns false
// when op is finished (done or failed) and removed from the lane.
func (m *StreamMachine) askNext(op *readOp) bool {
	next := op.next
	if op.frame != nil {
		next = op.frame.Next // bound here, not per request: no allocation
	}
	vec, err := callNext(next)
	if err == nil {
		var total int
		total, err = vectorSize("readv", vec, m.cfg.MaxPDU-op.consumed)
		switch {
		case err != nil:
			if Errno(err) == syscall.EMSGSIZE && len(vec) <= IOVMax {
				err = errf("readv", syscall.EMSGSIZE, "PDU would exceed the maximum of %d bytes (%d read so far)", m.cfg.MaxPDU, op.consumed)
			}
		case len(vec) == 0:
			if op.frame != nil {
				// A batch's first PDU: then every whole one behind it.
				op.total = op.consumed
				m.takeBatch(op, op.frame.PDU())
				m.endBatch(op)
				return false
			}
			m.reads.Pop()
			m.complete(Completion{ID: op.id, Kind: op.kind, N: op.consumed})
			recycle(&m.freeReads, op)
			return false
		case total == 0:
			err = errf("readv", syscall.EINVAL, "next returned %d entries totalling 0 bytes (an empty vector ends the PDU)", len(vec))
		}
	} else {
		err = AsErrno("readv", err, syscall.EIO)
	}
	if err != nil {
		if op.consumed > 0 {
			// Framing is lost: the bytes already taken cannot be given back.
			m.poison(err)
			return false
		}
		m.reads.Pop()
		m.fail(op.id, op.kind, err)
		return false
	}
	op.vec, op.vi, op.off = vec, 0, 0
	return true
}

// callNext runs a next function; a panic becomes an EIO error, so no
// panic escapes the library.
func callNext(next NextFunc) (vec [][]byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			vec, err = nil, errf("readv", syscall.EIO, "next function panicked: %v", r)
		}
	}()
	return next()
}

// OnWritten feeds the outcome of the outstanding transport write.
func (m *StreamMachine) OnWritten(n int, err error) {
	m.writing = false
	// The written buffers are the callers' again; an unusually long
	// vector is not kept for the next write.
	if cap(m.weff.Bufs) > IOVMax {
		m.weff.Bufs = nil
	}
	clear(m.weff.Bufs)
	k := m.inflight
	m.inflight, m.aborting = 0, false
	if m.state == StateStopped {
		return // everything it carried was already completed
	}
	if m.err != nil {
		m.failWrites(m.err) // the writes held for this report
		return
	}
	if m.state != StateConnected {
		return
	}
	done := 0
	for done < k && n >= m.writes.Front().total {
		op := m.writes.Pop()
		n -= op.total
		done++
		m.complete(Completion{ID: op.id, Kind: op.kind, N: op.total})
		recycle(&m.freeWrites, op)
	}
	if done < k {
		if err == nil {
			err = fmt.Errorf("transport wrote %d bytes short without an error", m.writes.Front().total-n)
		}
		m.poison(AsErrno("writev", err, syscall.EIO))
		return
	}
	m.pumpWrites()
}

// pumpWrites hands the queued writes to the transport, coalesced up to
// WriteBatch bytes, when no transport write is outstanding.
func (m *StreamMachine) pumpWrites() {
	if m.err != nil {
		m.poison(m.err)
		return
	}
	if m.writing || m.writes.Len() == 0 || m.state != StateConnected {
		return
	}
	k, size, entries := 0, 0, 0
	for k < m.writes.Len() {
		op := m.writes.At(k)
		if k > 0 && (size+op.total > m.cfg.WriteBatch || size+op.total > math.MaxInt32) {
			break
		}
		size += op.total
		entries += len(op.bufs)
		k++
	}
	bufs := m.weff.Bufs[:0]
	if cap(bufs) < entries {
		bufs = make([][]byte, 0, entries)
	}
	for i := range k {
		for _, b := range m.writes.At(i).bufs {
			if len(b) > 0 {
				bufs = append(bufs, b)
			}
		}
	}
	m.writing, m.inflight = true, k
	m.weff.Bufs = bufs
	m.emit(&m.weff)
}
