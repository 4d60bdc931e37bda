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
// w sends, r receives. They must agree on Sparse.
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
	// The sender first: the receiver grants its window as it attaches.
	if err := w.attach(ctx, RoleSender, r.pid); err != nil {
		return errors.Wrap(err, "connect: sending end")
	}
	if err := r.attach(ctx, RoleReceiver, w.pid); err != nil {
		// The sender is attached to an end that is not: abort it so that
		// it is not left waiting for credit that cannot come.
		_ = w.Abort(ctx)
		return errors.Wrap(err, "connect: receiving end")
	}
	return nil
}
