package remote

import (
	"time"

	"github.com/actorio/actorio/streamactor"
	"github.com/pkg/errors"
)

// Options are the remote side of a stream: timeouts on the actor clock,
// and the message size of the nodes. The zero value takes the defaults.
type Options struct {
	// PingEvery is how often each link tells its peer it is alive (and
	// repeats its credit and its last segment number). Default 500ms.
	// The two nodes tell each other their PeerTimeout when the stream
	// opens, and a link pings more often if the peer's PeerTimeout needs
	// it: at least three times per peer timeout, but never more than ten
	// times as often as its own PingEvery (nor more than every 1ms): a
	// peer whose PeerTimeout is below 3/10 of our PingEvery may lose us.
	PingEvery time.Duration
	// PeerTimeout: a peer heard nothing from for this long is lost
	// (ErrPeerLost). Default 3s.
	PeerTimeout time.Duration
	// GapTimeout: a missing segment (a gap in sequence numbers, or a
	// last segment the peer says it sent) that stays missing this long
	// without progress is lost in transit (ErrGap). Until then segments
	// that arrive out of order wait for it (within the window). Default
	// 1s.
	GapTimeout time.Duration
	// DialTimeout bounds a Dial (the open is sent again every PingEvery
	// meanwhile). Default 5s.
	DialTimeout time.Duration
	// MaxMessage is the largest message the node sends (actors/node's
	// Config.MaxMessage, 1 MiB by default): a data segment and its
	// header must fit in it. Default 1 MiB.
	MaxMessage int
	// MaxWindow (services) is the largest window a dialer may ask of this
	// node's receiving ends; a larger request is lowered to it. Default
	// 64 MiB.
	MaxWindow int64
}

// segmentHeader is what a StreamSegment adds to its data on the wire
// (field tags, lengths, the numbers), rounded up generously.
const segmentHeader = 128

func (o Options) withDefaults() Options {
	if o.PingEvery == 0 {
		o.PingEvery = 500 * time.Millisecond
	}
	if o.PeerTimeout == 0 {
		o.PeerTimeout = 3 * time.Second
	}
	if o.GapTimeout == 0 {
		o.GapTimeout = time.Second
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.MaxMessage == 0 {
		o.MaxMessage = 1 << 20
	}
	if o.MaxWindow == 0 {
		o.MaxWindow = 64 << 20
	}
	return o
}

func (o Options) check() error {
	switch {
	case o.PingEvery < 0 || o.PeerTimeout < 0 || o.GapTimeout < 0 || o.DialTimeout < 0:
		return errors.Wrapf(ErrBadConfig, "negative timeout in %+v", o)
	case o.PeerTimeout < 2*o.PingEvery:
		return errors.Wrapf(ErrBadConfig, "peer timeout %v must be at least two pings (%v)", o.PeerTimeout, o.PingEvery)
	case o.MaxMessage < streamactor.MinSegmentClass+segmentHeader:
		return errors.Wrapf(ErrBadConfig, "max message %d is too small for a segment", o.MaxMessage)
	case o.MaxWindow < streamactor.SegmentCost(streamactor.MinSegmentClass):
		return errors.Wrapf(ErrBadConfig, "max window %d is too small for a segment", o.MaxWindow)
	}
	return nil
}

// checkStream checks that a stream's configuration can cross nodes of
// these options: each data segment must fit in one message.
func (o Options) checkStream(cfg streamactor.Config) error {
	if cfg.MaxSegment+segmentHeader > o.MaxMessage {
		return errors.Wrapf(ErrBadConfig, "max segment %d plus its header does not fit in a message of %d bytes (the node's MaxMessage)", cfg.MaxSegment, o.MaxMessage)
	}
	return nil
}
