package streamactor

import (
	"fmt"
	"syscall"

	"github.com/pkg/errors"
)

// The errors a stream call returns. Each is a distinct value for errors.Is;
// the error actually returned usually wraps one of them with the name of
// the call and the offending value. Bad input never changes the stream:
// the call fails and the stream stays as it was.
var (
	// ErrWouldBlock is libvirt's -2: a NonBlock stream cannot move any
	// data now. errors.Is(err, syscall.EAGAIN) also holds. Blocking
	// streams never return it.
	ErrWouldBlock error = wouldBlock{}

	// ErrHole is libvirt's -3: RecvFlags with RecvStopAtHole found a hole
	// at the head of the stream. Nothing was consumed; RecvHole returns
	// the hole's length.
	ErrHole = errors.New("streamactor: at a hole")

	// ErrClosed: a call after Finish or Abort (or after the stream was
	// finished or aborted by the system closing).
	ErrClosed = errors.New("streamactor: stream closed")

	// ErrAborted: the other end aborted the stream. When it gave a
	// reason, the error returned is a *PeerError whose Cause is that
	// reason (errors.Is finds both).
	ErrAborted = errors.New("streamactor: stream aborted by peer")

	// ErrNotAttached: a data call or Finish on a stream that no driver
	// or peer has been attached to yet.
	ErrNotAttached = errors.New("streamactor: stream not attached")

	// ErrAttached: attaching a stream that already has a peer (Connect,
	// AttachFileSource, AttachFileSink). The stream, and the end or
	// driver that was to be its peer, are left as they were (a refused
	// driver closes its file and stops).
	ErrAttached = errors.New("streamactor: stream already attached")

	// ErrDirection: Send or SendHole on the receiving end of a stream, or
	// Recv, RecvFlags or RecvHole on its sending end.
	ErrDirection = errors.New("streamactor: wrong direction for this end of the stream")

	// ErrBadHole: SendHole with a length ≤ 0.
	ErrBadHole = errors.New("streamactor: hole length must be positive")

	// ErrNotSparse: SendHole or RecvHole on a stream opened without
	// Sparse (libvirt: "Skipping is not supported with this stream").
	ErrNotSparse = errors.New("streamactor: holes are not supported on a non-sparse stream")

	// ErrBadFlags: unknown flags given to New, RecvFlags, SendHole or
	// RecvHole (the last two take no flags yet and require 0).
	ErrBadFlags = errors.New("streamactor: unsupported flags")

	// ErrBadOption: an option to New is out of range, or an argument is
	// (a nil system, stream or file, a negative offset, Connect of two ends that
	// disagree on Sparse or MaxSegment).
	ErrBadOption = errors.New("streamactor: bad option")

	// ErrBusy: a second data call (Send, Recv, SendHole, RecvHole) while
	// one is still pending on the stream, or Finish while a data call is
	// pending.
	ErrBusy = errors.New("streamactor: another call is pending on this stream")

	// ErrNotAtEOF: Finish on the receiving end before Recv returned
	// io.EOF, even if everything has arrived. The stream is left as it
	// was.
	ErrNotAtEOF = errors.New("streamactor: finish before the end of the stream was received")

	// ErrCallbackRegistered: EventAddCallback when a callback is already
	// registered (one per stream).
	ErrCallbackRegistered = errors.New("streamactor: stream already has an event callback")

	// ErrNoCallback: EventUpdateCallback or EventRemoveCallback with no
	// callback registered.
	ErrNoCallback = errors.New("streamactor: stream has no event callback")

	// ErrNonBlockAll: SendAll, RecvAll, SparseSendAll or SparseRecvAll on
	// a NonBlock stream. As in libvirt, the stream is aborted.
	ErrNonBlockAll = errors.New("streamactor: data sources and sinks cannot be used with non-blocking streams")

	// ErrFreed: a call on a stream whose last reference was freed, or a
	// Free without a matching reference.
	ErrFreed = errors.New("streamactor: stream freed")

	// ErrProtocol: the other end broke the stream protocol (a gap or
	// duplicate in sequence numbers, more data than its credit, a hole on
	// a non-sparse stream). The stream is aborted.
	ErrProtocol = errors.New("streamactor: stream protocol violation")

	// ErrBadCallback: a Source, Sink or hole function broke its contract
	// (a count out of range, no progress, a negative length). The *All
	// helper aborts the stream.
	ErrBadCallback = errors.New("streamactor: callback broke its contract")

	// ErrLength: a file sink received more than its Length allows. Like
	// libvirt's length window it reports ENOSPC: errors.Is(err,
	// syscall.ENOSPC) holds.
	ErrLength error = lengthError{}
)

type wouldBlock struct{}

func (wouldBlock) Error() string { return "streamactor: operation would block" }

// Is makes errors.Is(ErrWouldBlock, syscall.EAGAIN) true.
func (wouldBlock) Is(target error) bool { return target == syscall.EAGAIN }

type lengthError struct{}

func (lengthError) Error() string { return "streamactor: write past the stream's length" }

// Is makes errors.Is(ErrLength, syscall.ENOSPC) true.
func (lengthError) Is(target error) bool { return target == syscall.ENOSPC }

// PeerError is the error latched on one end when the other end aborted
// with a reason (for example a file sink whose write failed). errors.Is
// finds both ErrAborted and the cause.
type PeerError struct {
	Cause error
}

// Error says that the peer aborted, and why.
func (e *PeerError) Error() string {
	return fmt.Sprintf("streamactor: stream aborted by peer: %v", e.Cause)
}

// Unwrap returns the peer's reason.
func (e *PeerError) Unwrap() error { return e.Cause }

// Is makes errors.Is(err, ErrAborted) true.
func (e *PeerError) Is(target error) bool { return target == ErrAborted }

// peerError builds the error latched for a peer's abort.
func peerError(cause error) error {
	if cause == nil {
		return ErrAborted
	}
	return &PeerError{Cause: cause}
}

// ErrInternal reports a panic inside a stream actor or a file driver's
// actor (a bug). The stream is aborted with it: the call the actor was
// serving when it panicked, the calls waiting on the stream and every
// later one return it (a file driver closes its file, and a sink runs
// Discard unless the file was committed).
var ErrInternal = errors.New("streamactor: internal error")
