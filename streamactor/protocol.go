package streamactor

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
)

// The stream protocol: what the two ends of a stream say to each other.
// The sending end emits segments (Data, Hole, EOF) numbered from 1; the
// receiving end grants credit (cumulative, so a repeated grant is
// harmless) and ends the stream with a Close. Either end may abort with a
// Close carrying the reason. Every segment kind costs credit (data: its
// buffer class plus SegmentOverhead; a hole: SegmentOverhead; EOF: 0), so
// the receiver never holds more than its window, whatever the consumer
// does. Locally the messages go by pointer between actors; a remote end
// speaks the same protocol over another transport.

// SegKind is the kind of a segment.
type SegKind uint8

// Segment kinds.
const (
	SegData SegKind = iota + 1
	SegHole
	SegEOF
)

// String names the kind.
func (k SegKind) String() string {
	switch k {
	case SegData:
		return "data"
	case SegHole:
		return "hole"
	case SegEOF:
		return "eof"
	}
	return fmt.Sprintf("segkind(%d)", uint8(k))
}

// Segment travels from the sending end to the receiving end.
type Segment struct {
	// Seq numbers the stream's segments from 1 without gaps.
	Seq uint64
	// Kind says what the segment is.
	Kind SegKind
	// Data is the payload of a data segment.
	Data []byte
	// Hole is the length of a hole segment (> 0).
	Hole int64
	// Cost is what the segment takes from the window.
	Cost int64
	// Borrowed: Data is the sending caller's own buffer, lent for the
	// time the receiving end takes to copy it (used only between two ends
	// hosted by the same actor, where that time is within one step). The
	// receiver never keeps a borrowed segment: it copies it straight into
	// a waiting Recv or into a buffer of its own, and says so with
	// Credit.Returned.
	Borrowed bool

	buf []byte                // pooled buffer behind Data
	env actor.MessageEnvelope // local delivery without allocation
}

// String describes the segment, as "#3 data(4096)".
func (s *Segment) String() string {
	switch s.Kind {
	case SegData:
		return fmt.Sprintf("#%d data(%d)", s.Seq, len(s.Data))
	case SegHole:
		return fmt.Sprintf("#%d hole(%d)", s.Seq, s.Hole)
	}
	return fmt.Sprintf("#%d %v", s.Seq, s.Kind)
}

// Credit travels from the receiving end to the sending end: the total
// cost the sender may have emitted since the start of the stream.
type Credit struct {
	Granted int64
	// Returned is the highest borrowed segment the receiver is done with.
	Returned uint64
	// Handoff: that segment went straight into a waiting Recv.
	Handoff bool

	env actor.MessageEnvelope
}

// Close ends the stream from one side. Finished (receiver → sender) says
// the receiver took everything up to EOF and its consumer confirmed it
// (the Finish sync point); otherwise the sender of the Close aborted, for
// Cause if it has one.
//
// Lost says the Close comes from the transport between the ends, not from
// the peer: the transport lost the peer (its node died, the network
// between them failed, segments were lost in transit) and Cause says how.
// The end then fails with Cause itself, not with a *PeerError.
type Close struct {
	Finished bool
	Cause    error
	Lost     bool
}
