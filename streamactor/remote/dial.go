package remote

import (
	"context"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/wire"
	"github.com/actorio/actorio/streamactor"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// Dial opens a stream with the service svc (a Serve actor on another
// node) and returns this node's end: a *streamactor.Stream like any
// other, whose peer is on svc's node. role is this end's direction
// (streamactor.RoleSender: this end sends, the service's receives). meta
// says what is asked for; the service's handler reads it. opts configure
// the stream as for streamactor.New: Sparse (both ends), MaxSegment (the
// sender's segments), Window (the receiving end's; a service may lower
// it), NonBlock (this end only). o sets the timeouts and the nodes'
// message size.
//
// Dial blocks until the service answers (at most o.DialTimeout), runs
// outside actors (actors use DialAsync), and fails with ErrRejected (and
// the service's reason), ErrDialTimeout, ErrPeerLost or ErrBadConfig. The
// caller frees the stream it returns, as any other.
func Dial(ctx context.Context, sys *actors.System, svc *actor.PID, role streamactor.Role, meta string, o Options, opts ...streamactor.Option) (*streamactor.Stream, error) {
	st, link, err := dial(sys, svc, role, meta, o, opts)
	if err != nil {
		return nil, err
	}
	reply, err := sys.Request(ctx, link, &awaitDial{})
	if err == nil {
		if out, ok := reply.(*dialOutcome); ok && out.err != nil {
			err = out.err
		}
	}
	if err != nil {
		sys.Stop(link)
		_ = st.Free()
		return nil, errors.Wrapf(err, "dial %s/%s", svc.Address, svc.Id)
	}
	return st, nil
}

// DialAsync is Dial for actors: it returns at once, and the calling
// actor gets a *DialResult (with tag) once the service answered.
func DialAsync(ctx actor.Context, svc *actor.PID, role streamactor.Role, meta string, o Options, tag any, opts ...streamactor.Option) {
	sys := actors.FromContext(ctx)
	_, link, err := dial(sys, svc, role, meta, o, opts)
	if err != nil {
		ctx.Send(ctx.Self(), &DialResult{Err: errors.Wrapf(err, "dial %s/%s", svc.Address, svc.Id), Tag: tag})
		return
	}
	ctx.Send(link, &awaitDial{tag: tag, replyTo: ctx.Self()})
}

// dial starts the link and the local end; the link sends the open.
func dial(sys *actors.System, svc *actor.PID, role streamactor.Role, meta string, o Options, opts []streamactor.Option) (*streamactor.Stream, *actor.PID, error) {
	if sys == nil || svc == nil {
		return nil, nil, errors.Wrap(streamactor.ErrBadOption, "nil system or service")
	}
	if role != streamactor.RoleSender && role != streamactor.RoleReceiver {
		return nil, nil, errors.Wrapf(streamactor.ErrBadOption, "role %v", role)
	}
	o = o.withDefaults()
	if err := o.check(); err != nil {
		return nil, nil, err
	}
	cfg, err := streamactor.NewConfig(opts...)
	if err != nil {
		return nil, nil, err
	}
	if err := o.checkStream(cfg); err != nil {
		return nil, nil, err
	}
	// The link draws the stream's id and names itself in the open when
	// it starts.
	lcfg := LinkConfig{
		Role: role, Sparse: cfg.Sparse, MaxSegment: cfg.MaxSegment, Options: o, Peer: svc.Address, Service: svc.Id,
		Open: &wire.StreamOpen{
			DialerSends: role == streamactor.RoleSender,
			Sparse:      cfg.Sparse, Window: cfg.Window, MaxSegment: int64(cfg.MaxSegment), Meta: meta,
			PeerTimeoutNs: int64(o.PeerTimeout),
		},
	}
	link, err := sys.Spawn(newLinkProps(lcfg, svc, nil))
	if err != nil {
		return nil, nil, errors.Wrap(err, "streamactor/remote: start link")
	}
	st, err := streamactor.NewPeer(sys, role, link, opts...)
	if err != nil {
		sys.Stop(link)
		return nil, nil, err
	}
	sys.Send(link, &bindLocal{pid: st.PID(), st: st})
	return st, link, nil
}

// streamID draws a stream id (never 0) from the system's seeded rand.
func streamID(sys *actors.System) uint64 {
	for {
		if id := sys.Rand().Uint64(); id != 0 {
			return id
		}
	}
}
