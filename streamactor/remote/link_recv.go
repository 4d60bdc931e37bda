package remote

import (
	"time"

	"github.com/actorio/actorio/internal/wire"
	"github.com/actorio/actorio/streamactor"
	"github.com/pkg/errors"
)

// The receiving side of a link: segments from the peer are checked,
// delivered to the local end in order, duplicates dropped, early ones
// held (their cost is within the credit the local end granted, so the
// window bounds them too) until the missing ones come or GapTimeout
// passes without progress.

type recvState struct {
	granted  int64  // the local end's cumulative credit, as passed to the peer
	expect   uint64 // the next segment to deliver
	costIn   int64  // cumulative cost of the segments taken (delivered or held)
	peerSent uint64 // the last segment the peer says it sent
	eofSeq   uint64 // the end-of-stream segment's number, once seen

	pending     map[uint64]*wire.StreamSegment // early segments
	pendingCost int64
	gap         bool      // something is missing
	gapSince    time.Time // ... since then, without progress
}

func (r *recvState) init() { r.expect = 1 }

// drop forgets held segments (the stream is over).
func (r *recvState) drop() {
	r.pending, r.pendingCost, r.gap = nil, 0, false
}

// validCost reports whether cost is what the sender may have counted for
// a data segment of n bytes: the cost of a buffer class that holds n
// bytes, no larger than the class of the largest segment. A short read
// leaves a segment in the larger buffer it was read into, and the sender
// counts that buffer (it is the memory the segment holds).
func validCost(cost int64, n, maxSegment int) bool {
	if cost < streamactor.SegmentCost(n) || cost > streamactor.SegmentCost(maxSegment) {
		return false
	}
	return cost == streamactor.SegmentCost(int(cost-streamactor.SegmentOverhead))
}

// checkSegment validates a segment from the peer, and returns why it is
// malformed, or nil.
func (l *Link) checkSegment(m *wire.StreamSegment) error {
	n := len(m.GetData())
	switch streamactor.SegKind(m.GetKind()) {
	case streamactor.SegData:
		switch {
		case n == 0 || n > l.cfg.MaxSegment:
			return errors.Errorf("data segment #%d of %d bytes (max %d)", m.GetSeq(), n, l.cfg.MaxSegment)
		case !validCost(m.GetCost(), n, l.cfg.MaxSegment):
			return errors.Errorf("data segment #%d of %d bytes costs %d, not a buffer class from %d to %d",
				m.GetSeq(), n, m.GetCost(), streamactor.SegmentCost(n), streamactor.SegmentCost(l.cfg.MaxSegment))
		case m.GetHole() != 0:
			return errors.Errorf("data segment #%d with a hole", m.GetSeq())
		}
	case streamactor.SegHole:
		switch {
		case !l.cfg.Sparse:
			return errors.Errorf("hole #%d on a non-sparse stream", m.GetSeq())
		case m.GetHole() <= 0 || n != 0 || m.GetCost() != streamactor.SegmentOverhead:
			return errors.Errorf("hole #%d of %d (data %d, cost %d)", m.GetSeq(), m.GetHole(), n, m.GetCost())
		}
	case streamactor.SegEOF:
		if n != 0 || m.GetHole() != 0 || m.GetCost() != 0 {
			return errors.Errorf("end of stream #%d with a payload", m.GetSeq())
		}
	default:
		return errors.Errorf("segment #%d of unknown kind %d", m.GetSeq(), m.GetKind())
	}
	if m.GetSeq() == 0 {
		return errors.New("segment numbered 0")
	}
	return nil
}

func (l *Link) onSegment(m *wire.StreamSegment, now time.Time) {
	r := &l.recv
	if l.cfg.Role != streamactor.RoleReceiver {
		l.fail(errors.Wrapf(streamactor.ErrProtocol, "peer %s sent a segment to the sending end", l.peer))
		return
	}
	if err := l.checkSegment(m); err != nil {
		l.fail(errors.Wrapf(streamactor.ErrProtocol, "peer %s: %v", l.peer, err))
		return
	}
	seq := m.GetSeq()
	if l.localClosed {
		return // the local end is over: nothing waits for it any more
	}
	if _, held := r.pending[seq]; seq < r.expect || held {
		l.stats.Duplicates++
		return
	}
	if r.eofSeq != 0 && seq > r.eofSeq {
		l.fail(errors.Wrapf(streamactor.ErrProtocol, "peer %s: segment #%d after the end of the stream (#%d)", l.peer, seq, r.eofSeq))
		return
	}
	if streamactor.SegKind(m.GetKind()) == streamactor.SegEOF {
		if r.peerSent > seq {
			// A segment held early (or the peer's ping) is numbered past
			// this end of stream: data after the end, whichever came
			// first.
			l.fail(errors.Wrapf(streamactor.ErrProtocol, "peer %s: end of the stream at #%d, but it sent #%d", l.peer, seq, r.peerSent))
			return
		}
		r.eofSeq = seq
	}
	r.costIn += m.GetCost()
	if r.costIn > r.granted {
		l.fail(errors.Wrapf(streamactor.ErrProtocol, "peer %s sent %d of cost with %d of credit", l.peer, r.costIn, r.granted))
		return
	}
	l.stats.SegmentsIn++
	r.peerSent = max(r.peerSent, seq)
	if seq != r.expect && l.cfg.SkipGaps {
		// The planted bug: deliver past the gap, as if nothing were
		// missing.
		m = &wire.StreamSegment{Stream: m.Stream, Seq: r.expect, Kind: m.Kind, Data: m.Data, Hole: m.Hole, Cost: m.Cost}
		seq = r.expect
	}
	if seq != r.expect {
		if r.pending == nil {
			r.pending = map[uint64]*wire.StreamSegment{}
		}
		r.pending[seq] = m
		r.pendingCost += m.GetCost()
		l.stats.Early++
		l.stats.MaxPendingCost = max(l.stats.MaxPendingCost, r.pendingCost)
		l.noteGap(now, false)
		return
	}
	l.deliver(m)
	for {
		next, ok := r.pending[r.expect]
		if !ok {
			break
		}
		delete(r.pending, r.expect)
		r.pendingCost -= next.GetCost()
		l.deliver(next)
	}
	l.noteGap(now, true)
}

// deliver passes the next segment in order to the local end.
func (l *Link) deliver(m *wire.StreamSegment) {
	l.recv.expect = m.GetSeq() + 1
	l.toLocal(&streamactor.Segment{Seq: m.GetSeq(), Kind: streamactor.SegKind(m.GetKind()), Data: m.GetData(), Hole: m.GetHole(), Cost: m.GetCost()})
}

// onPeerSent takes the peer's word for its last segment (a ping).
func (l *Link) onPeerSent(sent uint64, now time.Time) {
	if l.cfg.Role != streamactor.RoleReceiver || sent <= l.recv.peerSent || l.localClosed {
		return
	}
	if eof := l.recv.eofSeq; eof != 0 && sent > eof {
		l.fail(errors.Wrapf(streamactor.ErrProtocol, "peer %s: says it sent #%d, after the end of the stream (#%d)", l.peer, sent, eof))
		return
	}
	l.recv.peerSent = sent
	l.noteGap(now, false)
}

// noteGap updates whether something is missing; progress (a delivery)
// restarts the clock of a gap that remains.
func (l *Link) noteGap(now time.Time, progress bool) {
	r := &l.recv
	missing := len(r.pending) > 0 || r.peerSent >= r.expect
	switch {
	case !missing:
		r.gap = false
	case !r.gap || progress:
		r.gap, r.gapSince = true, now
	}
}

// checkGap fails the stream when a gap lasted GapTimeout without
// progress.
func (l *Link) checkGap(now time.Time) {
	r := &l.recv
	if !r.gap || now.Sub(r.gapSince) < l.cfg.Options.GapTimeout {
		return
	}
	last := r.peerSent
	for seq := range r.pending { //detguard:unordered the maximum does not depend on the order
		last = max(last, seq)
	}
	l.fail(newError(ErrGap, "segments from peer %s lost in transit: #%d missing for %v (the peer sent up to #%d)", l.peer, r.expect, now.Sub(r.gapSince).Round(time.Millisecond), last))
}
