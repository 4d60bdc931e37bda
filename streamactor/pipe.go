package streamactor

import (
	"context"

	"github.com/actorio/actorio/actors"
	"github.com/pkg/errors"
)

// Pipe returns the two ends of an in-memory stream on sys: what is sent on
// w is received on r. Both ends get opts (the receiving end's Window
// bounds what the stream holds).
//
// Both ends live in one actor, so a blocking Send can hand its bytes
// straight to a waiting Recv (one copy); otherwise it copies into the
// stream's buffer, within the window.
func Pipe(sys *actors.System, opts ...Option) (w, r *Stream, err error) {
	cfg, err := NewConfig(opts...)
	if err != nil {
		return nil, nil, err
	}
	sts, err := spawnHost(sys, cfg, 2, nil)
	if err != nil {
		return nil, nil, err
	}
	w, r = sts[0], sts[1]
	ctx := context.Background()
	if err = w.attach(ctx, RoleSender, nil); err == nil {
		err = r.attach(ctx, RoleReceiver, nil)
	}
	if err != nil {
		_ = w.Free()
		_ = r.Free()
		return nil, nil, errors.Wrap(err, "pipe")
	}
	return w, r, nil
}

// Connect attaches two unattached ends of the same system to each other:
// w sends, r receives. They must agree on Sparse and MaxSegment (as the
// two ends of a remote stream do, which both take the dialer's), or
// Connect is ErrBadOption: a sender whose segments are larger than the
// receiver's would emit segments its window may be too small to take, and
// a blocking Send would wait for them forever. The window is r's own.
//
// If either end cannot be attached (ErrAttached: it has a peer already;
// ErrClosed), Connect fails and neither stream changes: the other end is
// left unattached, and a stream that r or w was already part of goes on
// undisturbed.
func Connect(ctx context.Context, w, r *Stream) error {
	if w == nil || r == nil || w.pid == r.pid {
		return errors.Wrap(ErrBadOption, "connect: need two separate streams (from New)")
	}
	if w.sys != r.sys {
		return errors.Wrap(ErrBadOption, "connect: the streams live on different systems")
	}
	if w.cfg.Sparse != r.cfg.Sparse {
		return errors.Wrapf(ErrBadOption, "connect: sparse sender %v, sparse receiver %v: must agree", w.cfg.Sparse, r.cfg.Sparse)
	}
	if w.cfg.MaxSegment != r.cfg.MaxSegment {
		return errors.Wrapf(ErrBadOption, "connect: max segment of the sender %d, of the receiver %d: must agree", w.cfg.MaxSegment, r.cfg.MaxSegment)
	}
	// The sender first: the receiver grants its window as it attaches.
	if err := w.attach(ctx, RoleSender, r.pid); err != nil {
		return errors.Wrap(err, "connect: sending end")
	}
	if err := r.attach(ctx, RoleReceiver, w.pid); err != nil {
		// w is attached to an end that refused it. Undo that without a
		// word to r (an abort would reach r's actor and abort the stream
		// r may already be part of), so that w is not left waiting for
		// credit that cannot come.
		if derr := w.detach(context.WithoutCancel(ctx)); derr != nil && !errors.Is(derr, ErrClosed) {
			return errors.Wrapf(err, "connect: receiving end (and undoing the sending end: %v)", derr)
		}
		return errors.Wrap(err, "connect: receiving end")
	}
	return nil
}
