package streamactor

import (
	"math/bits"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// Data buffers come in power-of-two classes from MinSegmentClass to
// MaxSegmentLimit, each class with its own pool, so that a stream in steady
// state allocates nothing per segment and its window counts the memory it
// really holds (a buffer's full capacity).

const (
	minClassShift = 9  // 512
	maxClassShift = 24 // 16 MiB
	numClasses    = maxClassShift - minClassShift + 1
)

// classOf returns the class index and size for a buffer of n bytes.
func classOf(n int) (int, int) {
	if n <= MinSegmentClass {
		return 0, MinSegmentClass
	}
	shift := bits.Len(uint(n - 1))
	return shift - minClassShift, 1 << shift
}

// SegmentCost is what a data segment of n bytes costs in a window: its
// buffer (the power of two at or above n, at least MinSegmentClass) plus
// SegmentOverhead. A transport that carries segments checks the costs it
// is given against it.
func SegmentCost(n int) int64 { return segmentCost(n) }

// segmentCost is what a data segment of n bytes costs in a window.
func segmentCost(n int) int64 {
	_, size := classOf(n)
	return int64(size) + SegmentOverhead
}

// fitData returns the longest data length ≤ want whose cost fits in
// credit, or 0.
func fitData(credit int64, want int) int {
	if credit < MinSegmentClass+SegmentOverhead || want <= 0 {
		return 0
	}
	if segmentCost(want) <= credit {
		return want
	}
	// The largest class that fits; a segment of exactly that size.
	room := credit - SegmentOverhead
	size := 1 << (bits.Len64(uint64(room)) - 1)
	return min(size, want)
}

var segPools [numClasses]sync.Pool

var holePool = sync.Pool{New: func() any { return newSegment() }}

func newSegment() *Segment {
	s := &Segment{}
	s.env.Message = s
	return s
}

// getData returns a data segment with len(Data) == n from its class pool.
func getData(n int) *Segment {
	class, size := classOf(n)
	var s *Segment
	if v := segPools[class].Get(); v != nil {
		s = v.(*Segment)
	} else {
		s = newSegment()
		s.buf = make([]byte, size)
	}
	s.Kind, s.Data, s.Cost, s.Hole, s.Seq, s.Borrowed = SegData, s.buf[:n], int64(size)+SegmentOverhead, 0, 0, false
	return s
}

// getHole returns a hole segment of n bytes.
func getHole(n int64) *Segment {
	s := holePool.Get().(*Segment)
	s.Kind, s.Hole, s.Cost, s.Data, s.Seq, s.Borrowed = SegHole, n, SegmentOverhead, nil, 0, false
	return s
}

// getEOF returns an end-of-stream segment; it costs nothing.
func getEOF() *Segment {
	s := holePool.Get().(*Segment)
	s.Kind, s.Hole, s.Cost, s.Data, s.Seq, s.Borrowed = SegEOF, 0, 0, nil, 0, false
	return s
}

// release returns a segment to its pool. A segment that did not come from
// a pool (decoded from another transport) is left to the collector.
func (s *Segment) release() {
	if s == nil || s.env.Message != s {
		return
	}
	if s.buf != nil {
		class, size := classOf(cap(s.buf))
		if size == cap(s.buf) {
			s.Data = nil
			segPools[class].Put(s)
		}
		return
	}
	s.Data, s.Borrowed = nil, false
	holePool.Put(s)
}

// envelope returns the segment wrapped for delivery to a local actor. The
// envelope lives in the segment, so delivery allocates nothing.
func (s *Segment) envelope() *actor.MessageEnvelope {
	if s.env.Message != s {
		return &actor.MessageEnvelope{Message: s}
	}
	s.env.Sender, s.env.Header = nil, nil
	return &s.env
}

var creditPool = sync.Pool{New: func() any {
	c := &Credit{}
	c.env.Message = c
	return c
}}

func getCredit(granted int64) *Credit {
	c := creditPool.Get().(*Credit)
	c.Granted, c.Returned, c.Handoff = granted, 0, false
	return c
}

// getBorrowed returns a data segment that lends p (see Segment.Borrowed).
func getBorrowed(p []byte) *Segment {
	s := holePool.Get().(*Segment)
	s.Kind, s.Data, s.Cost, s.Hole, s.Seq, s.Borrowed = SegData, p, segmentCost(len(p)), 0, 0, true
	return s
}

func (c *Credit) release() {
	if c != nil && c.env.Message == c {
		creditPool.Put(c)
	}
}

func (c *Credit) envelope() *actor.MessageEnvelope {
	if c.env.Message != c {
		return &actor.MessageEnvelope{Message: c}
	}
	c.env.Sender, c.env.Header = nil, nil
	return &c.env
}
