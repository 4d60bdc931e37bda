package remote_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/internal/wire"
	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
	"google.golang.org/protobuf/proto"
	"pgregory.net/rapid"
)

// The link state machines, driven directly: a sending link and a
// receiving link, with a model of each local end, and a network between
// them that drops, duplicates and reorders at rapid's choice for a while,
// then heals. What must hold, whatever happened:
//
//	L1  the receiving end gets segments numbered 1, 2, 3, … in order,
//	    each exactly as sent: no duplicate, no gap, no reordering
//	L2  the receiving link never holds more early segments than the
//	    window
//	L3  Finish succeeds (the sender's end gets Close{Finished}) only if
//	    the receiving end got everything and finished; never if a
//	    segment was lost
//	L4  both links end; an end that did not finish got an error, and an
//	    error of the transport names the peer
//	L5  without losses (duplicates and reordering only, no silence
//	    longer than the timeouts), the transfer succeeds

const (
	lw       = 4 * 600 // the window: four small segments
	sName    = "node-s"
	rName    = "node-r"
	streamID = 42
)

type flight struct{ m proto.Message }

type linkHarness struct {
	t   *rapid.T
	now time.Time
	s   *remote.Link
	r   *remote.Link

	toR, toS []flight

	// The sending end.
	plan   []*streamactor.Segment
	next   int
	credit int64
	spent  int64
	sDone  bool // got its Close
	sFin   bool
	sErr   error

	// The receiving end.
	got      []*streamactor.Segment
	queued   []*streamactor.Segment
	consumed int64
	granted  int64
	rDone    bool
	rFin     bool
	rErr     error

	arrived map[uint64]bool // segments that reached the receiving link
}

func newLinkHarness(t *rapid.T) *linkHarness {
	o := remote.Options{PingEvery: 100 * time.Millisecond, PeerTimeout: 500 * time.Millisecond, GapTimeout: 300 * time.Millisecond}
	h := &linkHarness{t: t, now: time.Unix(1000, 0), arrived: map[uint64]bool{}}
	h.s = remote.NewLink(remote.LinkConfig{Stream: streamID, Role: streamactor.RoleSender, Sparse: true, MaxSegment: 512, Options: o, Peer: rName}, h.now)
	h.r = remote.NewLink(remote.LinkConfig{Stream: streamID, Role: streamactor.RoleReceiver, Sparse: true, MaxSegment: 512, Options: o, Peer: sName}, h.now)
	n := rapid.IntRange(0, 12).Draw(t, "segments")
	for i := 0; i < n; i++ {
		seg := &streamactor.Segment{Seq: uint64(i + 1)}
		if rapid.Bool().Draw(t, "hole") {
			seg.Kind, seg.Hole, seg.Cost = streamactor.SegHole, rapid.Int64Range(1, 1<<30).Draw(t, "len"), streamactor.SegmentOverhead
		} else {
			seg.Kind, seg.Data = streamactor.SegData, bytes.Repeat([]byte{byte(i)}, rapid.IntRange(1, 512).Draw(t, "size"))
			seg.Cost = streamactor.SegmentCost(len(seg.Data))
		}
		h.plan = append(h.plan, seg)
	}
	h.plan = append(h.plan, &streamactor.Segment{Seq: uint64(n + 1), Kind: streamactor.SegEOF})
	h.granted = lw
	h.r.FromLocal(&streamactor.Credit{Granted: lw}, h.now)
	h.flush()
	return h
}

// flush carries out both links' output and lets the ends react.
func (h *linkHarness) flush() {
	for busy := true; busy; {
		busy = false
		for _, side := range []struct {
			l     *remote.Link
			out   *[]flight
			local func(any)
		}{{h.s, &h.toR, h.sLocal}, {h.r, &h.toS, h.rLocal}} {
			o := side.l.Output()
			if len(o.ToPeer)+len(o.ToLocal) == 0 {
				continue
			}
			busy = true
			peer := append([]proto.Message(nil), o.ToPeer...)
			local := append([]any(nil), o.ToLocal...)
			side.l.ResetOutput()
			for _, m := range peer {
				*side.out = append(*side.out, flight{m: proto.Clone(m)})
			}
			for _, m := range local {
				side.local(m)
			}
		}
		if h.r.Stats().PendingCost > lw {
			h.t.Fatalf("L2: the receiving link holds %d of early segments, window %d", h.r.Stats().PendingCost, lw)
		}
	}
}

// sLocal is the sending end: it sends what its credit allows.
func (h *linkHarness) sLocal(m any) {
	switch m := m.(type) {
	case *streamactor.Credit:
		h.credit = max(h.credit, m.Granted)
	case *streamactor.Close:
		if h.sDone {
			h.t.Fatalf("the sending end got a second Close: %+v", m)
		}
		h.sDone, h.sFin = true, m.Finished
		if !m.Finished {
			h.sErr = m.Cause
			h.checkNamed(m, rName)
		}
	}
}

func (h *linkHarness) sendMore() {
	for !h.sDone && h.next < len(h.plan) && h.spent+h.plan[h.next].Cost <= h.credit {
		seg := h.plan[h.next]
		h.next++
		h.spent += seg.Cost
		h.s.FromLocal(seg, h.now)
	}
}

// rLocal is the receiving end.
func (h *linkHarness) rLocal(m any) {
	switch m := m.(type) {
	case *streamactor.Segment:
		if h.rDone {
			return
		}
		want := len(h.got) + 1
		if int(m.Seq) != want || want > len(h.plan) {
			h.t.Fatalf("L1: the receiving end got #%d, want #%d", m.Seq, want)
		}
		p := h.plan[want-1]
		if m.Kind != p.Kind || m.Hole != p.Hole || m.Cost != p.Cost || !bytes.Equal(m.Data, p.Data) {
			h.t.Fatalf("L1: segment #%d arrived as %v, sent as %v", m.Seq, m, p)
		}
		h.got = append(h.got, m)
		h.queued = append(h.queued, m)
	case *streamactor.Close:
		if h.rDone {
			return
		}
		h.rDone = true
		h.rErr = m.Cause
		if m.Cause == nil {
			h.rErr = errors.New("plain abort")
		}
		h.checkNamed(m, sName)
	}
}

// consume lets the receiving end take its oldest segment, grant credit,
// and finish at the end.
func (h *linkHarness) consume() {
	if h.rDone || len(h.queued) == 0 {
		return
	}
	seg := h.queued[0]
	h.queued = h.queued[1:]
	if seg.Kind == streamactor.SegEOF {
		h.rDone, h.rFin = true, true
		h.r.FromLocal(&streamactor.Close{Finished: true}, h.now)
		return
	}
	h.consumed += seg.Cost
	h.granted = h.consumed + lw
	h.r.FromLocal(&streamactor.Credit{Granted: h.granted}, h.now)
}

// checkNamed: an error from the transport, or from the peer, names the
// peer (L4).
func (h *linkHarness) checkNamed(m *streamactor.Close, peer string) {
	if m.Cause == nil {
		h.t.Fatalf("L4: an abort without a reason")
	}
	if !strings.Contains(m.Cause.Error(), peer) {
		h.t.Fatalf("L4: %q does not name the peer %s", m.Cause.Error(), peer)
	}
	if m.Lost && !errors.Is(m.Cause, remote.ErrPeerLost) && !errors.Is(m.Cause, remote.ErrGap) && !errors.Is(m.Cause, streamactor.ErrProtocol) {
		h.t.Fatalf("L4: a transport error of an unknown kind: %v", m.Cause)
	}
}

// deliver takes flight i off q and hands it to l.
func (h *linkHarness) deliver(q *[]flight, i int, l *remote.Link, keep bool) {
	f := (*q)[i]
	if !keep {
		*q = append((*q)[:i:i], (*q)[i+1:]...)
	}
	if seg, ok := f.m.(*wire.StreamSegment); ok && l == h.r {
		h.arrived[seg.GetSeq()] = true
	}
	l.FromPeer(proto.Clone(f.m), h.now)
	h.flush()
}

func (h *linkHarness) tick() {
	h.s.Tick(h.now)
	h.r.Tick(h.now)
	h.flush()
}

func (h *linkHarness) step(faults bool) {
	queues := []struct {
		q *[]flight
		l *remote.Link
	}{{&h.toR, h.r}, {&h.toS, h.s}}
	switch rapid.IntRange(0, 9).Draw(h.t, "action") {
	case 0, 1, 2:
		qi := rapid.IntRange(0, 1).Draw(h.t, "queue")
		if q := queues[qi]; len(*q.q) > 0 {
			i := 0
			if faults {
				i = rapid.IntRange(0, len(*q.q)-1).Draw(h.t, "reorder")
			}
			h.deliver(q.q, i, q.l, false)
		}
	case 3:
		if q := queues[rapid.IntRange(0, 1).Draw(h.t, "queue")]; faults && len(*q.q) > 0 {
			h.deliver(q.q, rapid.IntRange(0, len(*q.q)-1).Draw(h.t, "dup"), q.l, true)
		}
	case 4:
		if q := queues[rapid.IntRange(0, 1).Draw(h.t, "queue")]; faults && rapid.IntRange(0, 3).Draw(h.t, "lossy") == 0 && len(*q.q) > 0 {
			i := rapid.IntRange(0, len(*q.q)-1).Draw(h.t, "drop")
			*q.q = append((*q.q)[:i:i], (*q.q)[i+1:]...)
		}
	case 5, 6:
		h.sendMore()
		h.flush()
	case 7, 8:
		h.consume()
		h.flush()
	case 9:
		h.now = h.now.Add(time.Duration(rapid.IntRange(0, 2).Draw(h.t, "ms")) * time.Millisecond)
		h.tick()
	}
}

func TestLinkProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := newLinkHarness(t)
		faulty := rapid.Bool().Draw(t, "faults")
		steps := rapid.IntRange(0, 200).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			h.step(faulty)
		}
		// Heal: everything in flight arrives in order, both ends work,
		// time passes, until both links are done.
		deadline := h.now.Add(30 * time.Second)
		for !(h.s.Done() && h.r.Done()) {
			if h.now.After(deadline) {
				t.Fatalf("L4: links not done 30s after the heal: sender %v (end done %v), receiver %v (end done %v)", h.s.Done(), h.sDone, h.r.Done(), h.rDone)
			}
			for len(h.toR)+len(h.toS) > 0 {
				if len(h.toR) > 0 {
					h.deliver(&h.toR, 0, h.r, false)
				}
				if len(h.toS) > 0 {
					h.deliver(&h.toS, 0, h.s, false)
				}
			}
			h.sendMore()
			h.consume()
			h.flush()
			h.now = h.now.Add(20 * time.Millisecond)
			h.tick()
		}
		h.check(faulty)
	})
}

func (h *linkHarness) check(faulty bool) {
	t := h.t
	if h.sFin {
		if !h.rFin || len(h.got) != len(h.plan) {
			t.Fatalf("L3: the sender finished, the receiver finished %v with %d of %d segments", h.rFin, len(h.got), len(h.plan))
		}
		for i := 1; i <= h.next; i++ {
			if !h.arrived[uint64(i)] {
				t.Fatalf("L3: the sender finished although segment #%d was lost", i)
			}
		}
	}
	if !h.sDone || (!h.sFin && h.sErr == nil) {
		t.Fatalf("L4: the sending end ended without a word (done %v, finished %v)", h.sDone, h.sFin)
	}
	if !h.rDone {
		t.Fatalf("L4: the receiving end never ended")
	}
	if !faulty && !h.sFin {
		t.Fatalf("L5: no loss, yet the transfer failed: sender %v, receiver %v", h.sErr, h.rErr)
	}
}

// TestLinkStrays: messages of another stream are ignored, and a refusal
// from the peer's node fails the stream.
func TestLinkStrays(t *testing.T) {
	now := time.Unix(0, 0)
	l := remote.NewLink(remote.LinkConfig{Stream: 1, Role: streamactor.RoleReceiver, MaxSegment: 512, Peer: "p"}, now)
	l.FromLocal(&streamactor.Credit{Granted: lw}, now)
	l.ResetOutput()
	l.FromPeer(streamSeg(2, 1), now)
	if out := l.Output(); len(out.ToLocal) != 0 || l.Stats().Strays != 1 {
		t.Fatalf("a stray was not ignored: %+v", out)
	}
	l.FromPeer(streamSeg(1, 1), now)
	l.FromPeer(streamSeg(1, 1), now)
	if out := l.Output(); len(out.ToLocal) != 1 || l.Stats().Duplicates != 1 {
		t.Fatalf("a duplicate was delivered: %d messages", len(out.ToLocal))
	}
}

func streamSeg(stream, seq uint64) proto.Message {
	return &wire.StreamSegment{Stream: stream, Seq: seq, Kind: uint32(streamactor.SegData), Data: []byte("x"), Cost: streamactor.SegmentCost(1)}
}
