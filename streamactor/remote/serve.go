package remote

import (
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/wire"
	"github.com/actorio/actorio/streamactor"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// Handler decides what serves a stream a dialer opens: it reads the
// Request and accepts it with one of its Accept methods, or returns an
// error, which the dialer's Dial returns (with ErrRejected). A handler
// that accepts and then returns an error refuses too: the stream it
// accepted is failed with that error at once. An Accept after the
// handler returned fails with streamactor.ErrClosed. It runs
// inside the service's actor: it must not block (the Accept methods do
// not), and a stream it accepts with AcceptStream is best handed to an
// actor (the message face) or to a goroutine.
type Handler func(req *Request) error

// Service is a named actor on a node that accepts remote streams.
type Service struct {
	sys *actors.System
	pid *actor.PID
}

// Serve starts the service name on sys: dialers on other nodes address
// it as actor.NewPID(node address, name). Start the node first (actors/
// node.Start), so that the service and its links carry the node's
// address. o sets the links' timeouts, the nodes' message size and the
// largest window a dialer may ask of this node.
func Serve(sys *actors.System, name string, h Handler, o Options) (*Service, error) {
	if sys == nil || h == nil || name == "" {
		return nil, errors.Wrap(streamactor.ErrBadOption, "streamactor/remote: serve: need a system, a name and a handler")
	}
	o = o.withDefaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	pid, err := sys.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
		return &acceptor{h: h, o: o, open: map[string]*openStream{}}
	}), name)
	if err != nil {
		return nil, errors.Wrapf(err, "streamactor/remote: serve %q", name)
	}
	return &Service{sys: sys, pid: pid}, nil
}

// PID returns the service's address.
func (s *Service) PID() *actor.PID { return s.pid }

// Stop stops accepting (streams already open go on).
func (s *Service) Stop() { s.sys.Stop(s.pid) }

// Request is a dialer's open, as the handler sees it.
type Request struct {
	// Meta is what the dialer asked for.
	Meta string
	// Peer is the dialer's node address.
	Peer string
	// Role is the direction of the service's end: streamactor.RoleReceiver
	// when the dialer sends (an upload), RoleSender when it receives.
	Role streamactor.Role
	// Config is the stream's configuration, as negotiated: the dialer's
	// Sparse and MaxSegment, and the window of the receiving end.
	Config streamactor.Config

	sys      *actors.System
	o        Options
	open     *wire.StreamOpen
	link     *actor.PID
	accepted bool
	// decided: the handler returned, and the dialer has its answer; an
	// Accept now (from a goroutine the handler left behind) would start
	// a stream nobody dialled.
	decided atomic.Bool
}

// AcceptStream accepts with a stream end of this node, returned for the
// service's code to Send or Recv. opts may only add NonBlock (the rest
// is negotiated). It never blocks.
func (r *Request) AcceptStream(opts ...streamactor.Option) (*streamactor.Stream, error) {
	var st *streamactor.Stream
	err := r.accept(func(link *actor.PID) (*actor.PID, error) {
		all := append(r.streamOptions(), opts...)
		cfg, err := streamactor.NewConfig(all...)
		if err != nil {
			return nil, err
		}
		if cfg.Sparse != r.Config.Sparse || cfg.Window != r.Config.Window || cfg.MaxSegment != r.Config.MaxSegment {
			return nil, errors.Wrap(streamactor.ErrBadOption, "accept stream: only NonBlock may be set; the rest is the dialer's")
		}
		if st, err = streamactor.NewPeer(r.sys, r.Role, link, all...); err != nil {
			return nil, err
		}
		return st.PID(), nil
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// AcceptFileSink accepts an upload into f: a file sink driver writes what
// the dialer sends (see streamactor.AttachFileSink; fo.Commit runs before
// the dialer's Finish may return nil). The request's Role must be
// RoleReceiver. It never blocks; the driver owns f.
func (r *Request) AcceptFileSink(f streamactor.File, fo streamactor.FileOptions) error {
	if r.Role != streamactor.RoleReceiver {
		return errors.Wrap(streamactor.ErrDirection, "accept file sink: the dialer receives")
	}
	return r.accept(func(link *actor.PID) (*actor.PID, error) {
		return streamactor.StartFileSink(r.sys, f, fo, link, r.streamOptions()...)
	})
}

// AcceptFileSource accepts a download of f: a file source driver sends it
// to the dialer (see streamactor.AttachFileSource). The request's Role
// must be RoleSender. It never blocks; the driver owns f.
func (r *Request) AcceptFileSource(f streamactor.File, fo streamactor.FileOptions) error {
	if r.Role != streamactor.RoleSender {
		return errors.Wrap(streamactor.ErrDirection, "accept file source: the dialer sends")
	}
	return r.accept(func(link *actor.PID) (*actor.PID, error) {
		return streamactor.StartFileSource(r.sys, f, fo, link, r.streamOptions()...)
	})
}

func (r *Request) streamOptions() []streamactor.Option {
	opts := []streamactor.Option{streamactor.Window(r.Config.Window), streamactor.MaxSegment(r.Config.MaxSegment)}
	if r.Config.Sparse {
		opts = append(opts, streamactor.Sparse())
	}
	return opts
}

// accept starts the service's link and, through start, its end.
func (r *Request) accept(start func(link *actor.PID) (*actor.PID, error)) error {
	if r.decided.Load() {
		return errors.Wrap(streamactor.ErrClosed, "accept after the handler returned: the dialer has its answer")
	}
	if r.accepted {
		return errors.Wrap(streamactor.ErrAttached, "the request was accepted already")
	}
	cfg := LinkConfig{
		Stream: r.open.GetStream(), Role: r.Role, Sparse: r.Config.Sparse, MaxSegment: r.Config.MaxSegment,
		Options: r.o, Peer: r.open.GetLinkAddress(), PeerTimeout: time.Duration(r.open.GetPeerTimeoutNs()),
	}
	dialer := actor.NewPID(r.open.GetLinkAddress(), r.open.GetLinkId())
	link, err := r.sys.Spawn(newLinkProps(cfg, nil, dialer))
	if err != nil {
		return errors.Wrap(err, "streamactor/remote: start link")
	}
	end, err := start(link)
	if err != nil {
		r.sys.Stop(link)
		return err
	}
	r.sys.Send(link, &bindLocal{pid: end})
	r.accepted, r.link = true, link
	return nil
}

// openStream is the service's decision on one open, kept to answer a
// repeat of that open (the dialer sends it again until answered, and the
// network may duplicate or delay it) the same way, without running the
// handler again: an accepted stream's link while it lives, else the
// refusal, until forget.
type openStream struct {
	link    *actor.PID // the stream's link (nil: refused, or the link ended)
	window  int64
	refusal *wire.StreamError
	forget  time.Time // once link is nil: when the decision is dropped
}

// acceptor is the service's actor.
type acceptor struct {
	h    Handler
	o    Options
	open map[string]*openStream // by dialer link and stream id
	// sweep drops decisions past their forget time; it runs only while
	// some are kept (so that an idle service has no timer).
	sweep *actors.Timer
}

// sweepOpens is the acceptor's timer message.
type sweepOpens struct{}

// remembered is how long a service keeps answering a repeated open of a
// stream it refused, or whose link ended, without running its handler:
// the dialer repeats its open for at most DialTimeout (the service's
// value is taken for the dialer's), and PeerTimeout more covers an open
// delayed in transit.
func (o Options) remembered() time.Duration { return o.DialTimeout + o.PeerTimeout }

func (a *acceptor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *wire.StreamOpen:
		a.onOpen(ctx, m)
	case *actor.Terminated:
		for _, k := range actors.SortedKeys(a.open) {
			if o := a.open[k]; o.link != nil && o.link.Equal(m.Who) {
				a.settle(ctx, o, EncodeError(errors.Wrap(streamactor.ErrClosed, "streamactor/remote: the stream was opened already, and is over")))
			}
		}
	case *sweepOpens:
		a.sweep = nil
		a.forgetOld(ctx)
	}
}

// settle keeps a decision that no longer has a live link: a repeat of its
// open is refused with refusal until it is forgotten.
func (a *acceptor) settle(ctx actor.Context, o *openStream, refusal *wire.StreamError) {
	o.link, o.refusal = nil, refusal
	o.forget = actors.FromContext(ctx).Now().Add(a.o.remembered())
	if a.sweep == nil {
		a.sweep = actors.After(ctx, a.o.remembered(), &sweepOpens{})
	}
}

// forgetOld drops the decisions past their forget time, and runs again
// for the earliest of the others.
func (a *acceptor) forgetOld(ctx actor.Context) {
	now := actors.FromContext(ctx).Now()
	var next time.Time
	for _, k := range actors.SortedKeys(a.open) {
		o := a.open[k]
		switch {
		case o.link != nil:
		case !now.Before(o.forget):
			delete(a.open, k)
		case next.IsZero() || o.forget.Before(next):
			next = o.forget
		}
	}
	if !next.IsZero() {
		a.sweep = actors.After(ctx, next.Sub(now), &sweepOpens{})
	}
}

func (a *acceptor) onOpen(ctx actor.Context, m *wire.StreamOpen) {
	if m.GetStream() == 0 || m.GetLinkAddress() == "" || m.GetLinkId() == "" {
		return // nowhere to answer
	}
	dialer := actor.NewPID(m.GetLinkAddress(), m.GetLinkId())
	key := fmt.Sprintf("%s/%s#%d", m.GetLinkAddress(), m.GetLinkId(), m.GetStream())
	if o, ok := a.open[key]; ok {
		// A repeat: our answer was lost, or this is a late copy. The
		// handler ran once and decided; say the same again.
		if o.link != nil {
			ctx.Send(dialer, &wire.StreamAccept{Stream: m.GetStream(), LinkAddress: o.link.Address, LinkId: o.link.Id, Window: o.window, PeerTimeoutNs: int64(a.o.PeerTimeout)})
		} else {
			ctx.Send(dialer, &wire.StreamReject{Stream: m.GetStream(), Error: o.refusal})
		}
		return
	}
	req, err := a.request(ctx, m)
	if err == nil {
		err = a.call(req)
		req.decided.Store(true)
		if err == nil && !req.accepted {
			err = errors.New("the service's handler accepted nothing")
		}
		if err != nil && req.accepted {
			// The handler accepted, then failed: the stream it started
			// must not live on. Its link fails it at once (its end, a
			// driver's or the handler's own, sees why), instead of when
			// it notices that the dialer, refused, is gone.
			ctx.Send(req.link, &abandonLink{cause: errors.Wrap(err, "streamactor/remote: the service's handler failed after accepting the stream")})
		}
	}
	if err != nil {
		actors.FromContext(ctx).Logger().Info("streamactor/remote: refused a stream",
			slog.String("peer", m.GetLinkAddress()), slog.String("meta", m.GetMeta()), slog.String("error", err.Error()))
		refusal := EncodeError(err)
		o := &openStream{}
		a.open[key] = o
		a.settle(ctx, o, refusal)
		ctx.Send(dialer, &wire.StreamReject{Stream: m.GetStream(), Error: refusal})
		return
	}
	a.open[key] = &openStream{link: req.link, window: req.Config.Window}
	ctx.Watch(req.link)
	ctx.Send(dialer, &wire.StreamAccept{Stream: m.GetStream(), LinkAddress: req.link.Address, LinkId: req.link.Id, Window: req.Config.Window, PeerTimeoutNs: int64(a.o.PeerTimeout)})
}

// request checks an open (peer input) and makes the handler's Request.
func (a *acceptor) request(ctx actor.Context, m *wire.StreamOpen) (*Request, error) {
	role, cfg, err := Negotiate(m, a.o)
	if err != nil {
		return nil, err
	}
	return &Request{Meta: m.GetMeta(), Peer: m.GetLinkAddress(), Role: role, Config: cfg,
		sys: actors.FromContext(ctx), o: a.o, open: m}, nil
}

// Negotiate checks a dialer's open against a service's options (o; zero
// fields take the defaults, as everywhere) and returns the service end's role and the stream's
// configuration: the dialer's Sparse and MaxSegment, and its Window,
// lowered to o.MaxWindow when the service's end receives. Whatever the
// peer sent, the result is a valid configuration or an ErrBadConfig.
func Negotiate(m *wire.StreamOpen, o Options) (streamactor.Role, streamactor.Config, error) {
	o = o.withDefaults()
	role := streamactor.RoleSender
	if m.GetDialerSends() {
		role = streamactor.RoleReceiver
	}
	seg := m.GetMaxSegment()
	if seg < streamactor.MinSegmentClass || seg > streamactor.MaxSegmentLimit {
		return 0, streamactor.Config{}, errors.Wrapf(ErrBadConfig, "max segment %d", seg)
	}
	window := m.GetWindow()
	if role == streamactor.RoleReceiver {
		window = min(window, o.MaxWindow) // this node's memory: the service's limit
	}
	opts := []streamactor.Option{streamactor.Window(window), streamactor.MaxSegment(int(seg))}
	if m.GetSparse() {
		opts = append(opts, streamactor.Sparse())
	}
	cfg, err := streamactor.NewConfig(opts...)
	if err != nil {
		return 0, streamactor.Config{}, errors.Wrapf(ErrBadConfig, "%v", err)
	}
	if err := o.checkStream(cfg); err != nil {
		return 0, streamactor.Config{}, err
	}
	return role, cfg, nil
}

// call runs the handler; a panic in it refuses the stream.
func (a *acceptor) call(req *Request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errors.Wrapf(streamactor.ErrInternal, "the service's handler panicked: %v", p)
		}
	}()
	return a.h(req)
}
