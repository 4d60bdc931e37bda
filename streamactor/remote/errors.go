package remote

import (
	"fmt"

	"github.com/actorio/actorio/streamactor"
	"github.com/pkg/errors"
)

// The errors of remote streams. Each is a distinct value for errors.Is;
// the error a call returns wraps one of them with the peer's address and
// what happened.
var (
	// ErrPeerLost: the other end cannot be reached any more: its node
	// died (Terminated{AddressTerminated}), its link actor stopped before
	// the stream ended, or nothing was heard from it for PeerTimeout (a
	// partition, a hung process). The stream is aborted; the error names
	// the peer.
	ErrPeerLost = errors.New("streamactor/remote: peer lost")

	// ErrGap: segments were lost in transit (protoactor remote delivers
	// at most once, and a broken connection loses what it carried): a
	// sequence number stayed missing for GapTimeout. errors.Is(err,
	// streamactor.ErrProtocol) holds too. The stream is aborted; both
	// ends are told.
	ErrGap error = gapError{}

	// ErrDialTimeout: the service did not answer an open within
	// DialTimeout (it may not exist, or its node is unreachable).
	ErrDialTimeout = errors.New("streamactor/remote: no answer from the stream service")

	// ErrRejected: the service refused the stream; the error also
	// carries the service's reason (an *Error).
	ErrRejected = errors.New("streamactor/remote: stream refused by the service")

	// ErrNoService: no actor of that name on the node dialled.
	ErrNoService = errors.New("streamactor/remote: no such stream service")

	// ErrBadConfig: options that cannot work across nodes (a segment
	// larger than a message may be, a window that cannot hold one
	// segment, a zero timeout), or a peer asking for such a stream.
	ErrBadConfig = errors.New("streamactor/remote: bad remote stream configuration")
)

type gapError struct{}

func (gapError) Error() string { return "streamactor/remote: segments lost in transit" }

// Is makes errors.Is(ErrGap, streamactor.ErrProtocol) true.
func (gapError) Is(target error) bool { return target == streamactor.ErrProtocol }

// linkError is an error of this package with its own text, for
// errors.Is its sentinel.
type linkError struct {
	sentinel error
	msg      string
}

func (e *linkError) Error() string { return e.msg }
func (e *linkError) Unwrap() error { return e.sentinel }

// newError makes an error of kind sentinel whose text is
// "streamactor/remote: " and the formatted rest.
func newError(sentinel error, format string, args ...any) error {
	return &linkError{sentinel: sentinel, msg: "streamactor/remote: " + fmt.Sprintf(format, args...)}
}

// lostf builds an ErrPeerLost naming peer.
func lostf(peer, format string, args ...any) error {
	return newError(ErrPeerLost, "peer %s lost: %s", peer, fmt.Sprintf(format, args...))
}
