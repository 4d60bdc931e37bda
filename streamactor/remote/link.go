package remote

import (
	"time"

	"github.com/actorio/actorio/internal/wire"
	"github.com/actorio/actorio/streamactor"
	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"
)

// Link is the pure state machine of one side of a remote stream: it
// stands between a local stream end (which speaks streamactor's protocol:
// *Segment, *Credit, *Close) and the link of the other end on another
// node (which speaks the wire messages of internal/wire's stream.proto).
// It has no goroutines, clock, I/O or actors: its shell feeds it the
// local end's messages (FromLocal), the peer's (FromPeer), timer ticks
// (Tick) and the peer's death (PeerGone), each with the current time, and
// carries out its Output.
//
// What it adds to the local protocol, because protoactor remote delivers
// at most once, with silent gaps when a connection breaks:
//   - Every wire message carries the stream's id; others are ignored.
//   - Segments are numbered: a duplicate is dropped, a segment that comes
//     early waits (within the window) for the missing ones, and one that
//     stays missing for GapTimeout aborts the stream with ErrGap on both
//     sides. The sender's ping carries its last number, so a lost last
//     segment is noticed too.
//   - Credit is cumulative and repeated in every ping: a lost credit is
//     repaired by the next one.
//   - A Close is sent again until acknowledged.
//   - A peer heard nothing from for PeerTimeout, or whose node died
//     (PeerGone), is lost: the local end fails with ErrPeerLost naming it.
//
// A dialing link first sends its StreamOpen to the service (again every
// tick) until a StreamAccept or StreamReject comes, or DialTimeout.
type Link struct {
	cfg   LinkConfig
	phase linkPhase
	peer  string // the peer's node address, for errors
	start time.Time
	heard time.Time // when the peer was last heard from
	// pingEvery is how often the link ticks (and pings): its own
	// PingEvery, or less for a peer whose PeerTimeout needs it.
	pingEvery time.Duration

	// The local end sends.
	sentSeq uint64 // the last segment passed on
	granted int64  // the peer's credit, as passed to the local end

	// The local end receives (see link_recv.go).
	recv recvState

	closeOut    *wire.StreamClose // our Close, until acknowledged
	closeAcked  bool
	peerClosed  bool              // the peer's Close arrived (and was passed on)
	earlyClose  *wire.StreamClose // the peer's Close while dialing
	localClosed bool              // the local end is over (closed, or told)
	err         error             // why the link failed
	// telling is the Close of a link that failed, sent to the peer
	// again until acknowledged (or the peer is silent for PeerTimeout);
	// the link is done, but does not stop until then.
	telling *wire.StreamClose

	stats LinkStats
	out   Output
}

// LinkConfig is what a link needs to know.
type LinkConfig struct {
	// Stream is the stream's id, on every wire message.
	Stream uint64
	// Role is the local end's direction.
	Role streamactor.Role
	// Sparse, MaxSegment: what segments from the peer may be.
	Sparse     bool
	MaxSegment int
	// Options: the timeouts (defaults applied).
	Options Options
	// Open, for a dialing link, is what it sends to the service (named
	// Service); Peer is then the service's address until the accept
	// names the peer link.
	Open    *wire.StreamOpen
	Service string
	// Peer is the peer's node address.
	Peer string
	// PeerTimeout is the peer's Options.PeerTimeout, if known (a
	// service's link learns it from the open; a dialer's, from the
	// accept); 0 if not (an older peer). The link pings at least three
	// times per peer timeout, whatever its own PingEvery.
	PeerTimeout time.Duration
	// SkipGaps is a planted bug for the simulator's checkers (the
	// CanarySkipGaps canary): segments are delivered past a gap as if
	// nothing were missing. Never set otherwise.
	SkipGaps bool
}

type linkPhase uint8

const (
	phaseDialing linkPhase = iota
	phaseOpen
	phaseDone
)

// Output is what the shell must do after each input, in order.
type Output struct {
	// ToPeer: wire messages for the peer link.
	ToPeer []proto.Message
	// ToService: the StreamOpen, for the service (dialing only).
	ToService []proto.Message
	// ToLocal: *streamactor.Segment, *Credit or *Close for the local end.
	ToLocal []any
	// Accepted is set once, when the service accepted: the peer link.
	Accepted *wire.StreamAccept
	// PingEvery, if not 0, is the link's new tick interval (the accept
	// named the service's PeerTimeout): the shell ticks at it from now
	// on.
	PingEvery time.Duration
	// Dialed is set once a dial is decided; DialErr is nil if accepted.
	Dialed  bool
	DialErr error
	// Stop: the link is done; the shell stops its actor.
	Stop bool
}

// LinkStats counts what a link saw.
type LinkStats struct {
	// SegmentsIn and SegmentsOut count the segments taken from the peer
	// and passed to it.
	SegmentsIn, SegmentsOut int64
	// Duplicates were dropped; Early segments waited for missing ones;
	// Strays were messages of another stream.
	Duplicates, Early, Strays int64
	// PendingCost is the cost of the early segments held now, and
	// MaxPendingCost the most ever held (never more than the window).
	PendingCost, MaxPendingCost int64
}

// NewLink returns a link. A link with cfg.Open dials (its output holds
// the first StreamOpen); one without is open at once (a service's).
func NewLink(cfg LinkConfig, now time.Time) *Link {
	cfg.Options = cfg.Options.withDefaults()
	l := &Link{cfg: cfg, peer: cfg.Peer, start: now, heard: now}
	l.pingEvery = pingInterval(cfg.Options.PingEvery, cfg.PeerTimeout)
	l.recv.init()
	if cfg.Open != nil {
		l.out.ToService = append(l.out.ToService, cfg.Open)
	} else {
		l.phase = phaseOpen
	}
	return l
}

// Output returns what the shell must do; ResetOutput forgets it.
func (l *Link) Output() *Output { return &l.out }

// ResetOutput empties the output once the shell acted on it.
func (l *Link) ResetOutput() {
	clear(l.out.ToPeer)
	clear(l.out.ToService)
	clear(l.out.ToLocal)
	l.out = Output{ToPeer: l.out.ToPeer[:0], ToService: l.out.ToService[:0], ToLocal: l.out.ToLocal[:0]}
}

// Done reports whether the stream is over for the link (its local end
// knows). A link that failed may still tell its peer why until
// Output.Stop.
func (l *Link) Done() bool { return l.phase == phaseDone }

// Err returns why the link failed, if it did.
func (l *Link) Err() error { return l.err }

// Stats returns the link's counters.
func (l *Link) Stats() LinkStats {
	s := l.stats
	s.PendingCost = l.recv.pendingCost
	return s
}

// Peer returns the peer's address.
func (l *Link) Peer() string { return l.peer }

// PingEvery returns how often the shell must call Tick: the link's own
// PingEvery, or less if the peer's PeerTimeout needs more pings.
func (l *Link) PingEvery() time.Duration { return l.pingEvery }

// minPing is the shortest ping interval a peer's PeerTimeout can ask
// for (whatever it sent).
const minPing = time.Millisecond

// maxPingSpeedup bounds how much more often than its own PingEvery a
// peer's PeerTimeout (peer input) can make a link ping: a peer sending
// a PeerTimeout of a few nanoseconds must not get a ping every
// millisecond for as long as the stream lives.
const maxPingSpeedup = 10

// pingInterval is how often a link whose own PingEvery is own pings a
// peer that declares it lost after peerTimeout of silence (0 or less:
// unknown): at least three times per timeout, so that one or two lost
// pings do not lose a live peer, but not more often than
// own/maxPingSpeedup (nor every minPing).
func pingInterval(own, peerTimeout time.Duration) time.Duration {
	if peerTimeout <= 0 {
		return own
	}
	return min(own, max(peerTimeout/3, own/maxPingSpeedup, minPing))
}

func (l *Link) toPeer(m proto.Message) {
	if l.phase == phaseOpen {
		l.out.ToPeer = append(l.out.ToPeer, m)
	}
}

func (l *Link) toLocal(m any) { l.out.ToLocal = append(l.out.ToLocal, m) }

// FromLocal takes a message from the local end.
func (l *Link) FromLocal(msg any, now time.Time) {
	if l.phase == phaseDone {
		return // the local end's late words: nobody listens
	}
	switch m := msg.(type) {
	case *streamactor.Segment:
		if l.cfg.Role != streamactor.RoleSender || m.Seq != l.sentSeq+1 || l.phase != phaseOpen {
			l.fail(errors.Wrapf(streamactor.ErrInternal, "streamactor/remote: local end sent %v (role %v, last #%d)", m, l.cfg.Role, l.sentSeq))
			return
		}
		l.sentSeq = m.Seq
		l.stats.SegmentsOut++
		l.toPeer(&wire.StreamSegment{Stream: l.cfg.Stream, Seq: m.Seq, Kind: uint32(m.Kind), Data: m.Data, Hole: m.Hole, Cost: m.Cost})
	case *streamactor.Credit:
		if l.cfg.Role == streamactor.RoleReceiver && m.Granted > l.recv.granted {
			l.recv.granted = m.Granted
			l.toPeer(&wire.StreamCredit{Stream: l.cfg.Stream, Granted: m.Granted})
		}
	case *streamactor.Close:
		l.localClosed = true
		// The local end is over: a gap no longer matters (it must not
		// fail the link before the peer acknowledged this Close).
		l.recv.drop()
		l.closeOut = &wire.StreamClose{Stream: l.cfg.Stream, Finished: m.Finished, Cause: EncodeError(m.Cause)}
		if l.phase == phaseDialing {
			l.fail(errors.Wrap(streamactor.ErrClosed, "streamactor/remote: the stream was closed while dialing"))
			return
		}
		l.toPeer(l.closeOut)
		l.checkDone()
	}
}

// FromPeer takes a wire message from the peer link (or, dialing, from
// the service).
func (l *Link) FromPeer(msg proto.Message, now time.Time) {
	if r, ok := msg.(*wire.Refused); ok {
		// The peer's node does not know our wire messages (an older
		// build): nothing will get through, not even the Close a
		// failed link repeats.
		if l.phase == phaseDone {
			l.stopTelling()
			return
		}
		l.failOnce(newError(ErrRejected, "peer %s refused a %s: %s", l.peer, r.GetTypeName(), r.GetReason()))
		return
	}
	if streamOf(msg) != l.cfg.Stream {
		l.stats.Strays++
		return
	}
	switch l.phase {
	case phaseDone:
		switch msg.(type) {
		case *wire.StreamClose:
			// A repeat: our acknowledgement was lost (or the peer
			// closed too while we told it why we failed). The shell
			// still knows the peer until the actor stops.
			l.out.ToPeer = append(l.out.ToPeer, &wire.StreamCloseAck{Stream: l.cfg.Stream})
			l.stopTelling()
		case *wire.StreamCloseAck:
			l.stopTelling()
		}
		return
	case phaseDialing:
		l.fromPeerDialing(msg, now)
		return
	}
	l.heard = now
	switch m := msg.(type) {
	case *wire.StreamSegment:
		l.onSegment(m, now)
	case *wire.StreamCredit:
		l.onCredit(m.GetGranted())
	case *wire.StreamPing:
		l.onCredit(m.GetGranted())
		l.onPeerSent(m.GetSent(), now)
	case *wire.StreamClose:
		l.toPeer(&wire.StreamCloseAck{Stream: l.cfg.Stream})
		l.onClose(m)
	case *wire.StreamCloseAck:
		if l.closeOut != nil {
			l.closeAcked = true
		}
	}
	l.checkDone()
}

func (l *Link) fromPeerDialing(msg proto.Message, now time.Time) {
	switch m := msg.(type) {
	case *wire.StreamAccept:
		if m.GetLinkAddress() == "" || m.GetLinkId() == "" {
			l.fail(newError(ErrBadConfig, "the stream service at %s accepted without naming a link", l.peer))
			return
		}
		l.phase = phaseOpen
		l.peer = m.GetLinkAddress()
		l.heard = now
		l.out.Accepted = m
		if p := pingInterval(l.cfg.Options.PingEvery, time.Duration(m.GetPeerTimeoutNs())); p != l.pingEvery {
			l.pingEvery, l.out.PingEvery = p, p
		}
		l.out.Dialed = true
		if l.recv.granted > 0 {
			l.toPeer(&wire.StreamCredit{Stream: l.cfg.Stream, Granted: l.recv.granted})
		}
		if l.granted > 0 {
			l.toLocal(&streamactor.Credit{Granted: l.granted})
		}
		if c := l.earlyClose; c != nil {
			l.earlyClose = nil
			l.toPeer(&wire.StreamCloseAck{Stream: l.cfg.Stream})
			l.onClose(c)
			l.checkDone()
		}
	case *wire.StreamReject:
		l.fail(&rejectError{cause: DecodeError(l.peer, m.GetError())})
	case *wire.StreamCredit:
		// The service's link may speak before its accept arrives: keep
		// the credit for when it does (it is cumulative).
		l.granted = max(l.granted, m.GetGranted())
	case *wire.StreamPing:
		l.granted = max(l.granted, m.GetGranted())
	case *wire.StreamClose:
		if l.earlyClose == nil {
			l.earlyClose = m
		}
	}
}

// rejectError is a refusal: errors.Is finds ErrRejected and the
// service's reason.
type rejectError struct{ cause error }

func (e *rejectError) Error() string {
	if e.cause == nil {
		return "streamactor/remote: the stream service refused"
	}
	return "streamactor/remote: the stream service refused: " + e.cause.Error()
}

func (e *rejectError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrRejected}
	}
	return []error{ErrRejected, e.cause}
}

func (l *Link) onCredit(g int64) {
	if l.cfg.Role == streamactor.RoleSender && g > l.granted {
		l.granted = g
		l.toLocal(&streamactor.Credit{Granted: g})
	}
}

func (l *Link) onClose(m *wire.StreamClose) {
	if l.peerClosed {
		return
	}
	l.peerClosed = true
	l.localClosed = true
	c := &streamactor.Close{Finished: m.GetFinished(), Cause: DecodeError(l.peer, m.GetCause())}
	if !c.Finished && c.Cause == nil {
		c.Cause = &Error{Peer: l.peer, Msg: "aborted", Kinds: []string{"streamactor.ErrAborted"}, known: []error{streamactor.ErrAborted}}
	}
	l.recv.drop()
	l.toLocal(c)
}

// checkDone ends the link once the stream is over on both sides as far
// as it can know: the local end is over, and the peer closed or
// acknowledged our Close.
func (l *Link) checkDone() {
	if l.phase == phaseOpen && l.localClosed && (l.peerClosed || l.closeAcked) {
		l.phase = phaseDone
		l.out.Stop = true
	}
}

// Tick is the periodic timer: a dialing link sends its open again (or
// gives up), an open one pings, repeats an unacknowledged Close, and
// checks for a silent peer and for a lasting gap.
func (l *Link) Tick(now time.Time) {
	o := l.cfg.Options
	switch l.phase {
	case phaseDialing:
		if now.Sub(l.start) >= o.DialTimeout {
			l.fail(newError(ErrDialTimeout, "no answer from the stream service at %s within %v", l.peer, o.DialTimeout))
			return
		}
		l.out.ToService = append(l.out.ToService, l.cfg.Open)
	case phaseOpen:
		l.toPeer(&wire.StreamPing{Stream: l.cfg.Stream, Sent: l.sentSeq, Granted: l.recv.granted})
		if l.closeOut != nil && !l.closeAcked {
			l.toPeer(l.closeOut)
		}
		if silent := now.Sub(l.heard); silent >= o.PeerTimeout {
			if l.localClosed {
				l.phase, l.out.Stop = phaseDone, true // nothing left to tell anyone
				return
			}
			l.failOnce(lostf(l.peer, "nothing heard for %v (keepalive)", silent.Round(time.Millisecond)))
			return
		}
		l.checkGap(now)
	case phaseDone:
		if l.telling == nil {
			return
		}
		if now.Sub(l.heard) >= o.PeerTimeout {
			l.stopTelling() // the peer is gone, or will say it lost us
			return
		}
		l.out.ToPeer = append(l.out.ToPeer, l.telling)
	}
}

// stopTelling ends a failed link that was telling its peer why: the
// peer knows, or is past hearing it.
func (l *Link) stopTelling() {
	if l.telling != nil {
		l.telling = nil
		l.out.Stop = true
	}
}

// Why a peer is gone (from its Terminated).
const (
	GoneStopped  = iota // the actor stopped
	GoneAddress         // its node died or cannot be reached
	GoneNotFound        // there was no such actor
)

// PeerGone reports the peer link's end (why: GoneStopped, GoneAddress,
// GoneNotFound). While dialing it is the service that is gone.
func (l *Link) PeerGone(why int, now time.Time) {
	switch l.phase {
	case phaseDone:
		l.stopTelling()
		return
	case phaseDialing:
		if why == GoneAddress {
			l.fail(lostf(l.peer, "its node is gone (address terminated) while dialing %s", l.cfg.Service))
			return
		}
		// protoactor remote reports a watch of an actor that does not
		// exist as a stop: the two cannot be told apart.
		l.fail(newError(ErrNoService, "no stream service %s at %s (none, or it stopped)", l.cfg.Service, l.peer))
		return
	}
	if l.localClosed {
		l.phase, l.out.Stop = phaseDone, true // the stream is over here: nothing to report
		return
	}
	if why == GoneAddress {
		l.failOnce(lostf(l.peer, "its node is gone (address terminated)"))
		return
	}
	l.failOnce(lostf(l.peer, "its link stopped before the stream ended"))
}

// Stopping reports that the link's own actor is stopping (its system
// closes): the stream fails on both sides.
func (l *Link) Stopping(now time.Time) {
	l.telling = nil // the actor stops anyway
	l.failOnce(errors.Wrap(streamactor.ErrClosed, "streamactor/remote: link stopped (its system is closing)"))
}

// fail ends the link for err: the local end fails with it (unless it is
// over already), a dial in progress fails with it, and the peer is told
// why, again every tick until it acknowledges (or is silent for
// PeerTimeout): only then does the link stop.
func (l *Link) fail(err error) { l.failing(err, true) }

// failOnce is fail for a peer that cannot hear (it is lost, refuses our
// messages) or a link that stops anyway: the peer is told once, and the
// link stops at once.
func (l *Link) failOnce(err error) { l.failing(err, false) }

func (l *Link) failing(err error, repeat bool) {
	if l.phase == phaseDone {
		return
	}
	l.err = err
	if !l.localClosed {
		l.localClosed = true
		l.toLocal(&streamactor.Close{Lost: true, Cause: err})
	}
	if l.phase == phaseOpen && !l.peerClosed && l.closeOut == nil {
		c := &wire.StreamClose{Stream: l.cfg.Stream, Cause: EncodeError(err)}
		l.toPeer(c)
		if repeat {
			l.telling = c
		}
	}
	if l.phase == phaseDialing {
		l.out.Dialed, l.out.DialErr = true, err
	}
	l.recv.drop()
	l.phase = phaseDone
	l.out.Stop = l.telling == nil
}

// streamOf returns the stream id of a wire message (0 for others).
func streamOf(m proto.Message) uint64 {
	if s, ok := m.(interface{ GetStream() uint64 }); ok {
		return s.GetStream()
	}
	return 0
}
