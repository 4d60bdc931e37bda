package remote

import (
	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/wire"
	"github.com/actorio/actorio/streamactor"
	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"
)

// CanarySkipGaps is the planted bug of the remote-stream scenario's
// canary: links deliver segments past a gap as if nothing were missing.
// Only a simulation with that canary on (sim.WithCanary) turns it on.
const CanarySkipGaps = "remote-stream-skip-gaps"

// linkActor is the shell around a Link: it feeds it the local end's
// messages, the peer link's, its ticks and the peer's death, and carries
// out what it asks: wire messages to the peer link (or the service),
// protocol messages to the local end, the dial's answer, and its own
// stop. It never blocks.
type linkActor struct {
	cfg   LinkConfig
	link  *Link
	local *actor.PID // the local end (nil until bound)
	st    *streamactor.Stream
	peer  *actor.PID // the peer link (nil until accepted, for a dialer)
	svc   *actor.PID // a dialer's service
	// watchingSvc: the dialer watches its service (until accepted). An
	// actor that stops keeps its watches in the watched actor (and in
	// remote's endpoint watcher), so a link that stops while watching
	// takes its watch back.
	watchingSvc bool
	held        []any // for the local end, until it is bound
	tick        *actors.Timer
	// done: the link is finished with; it stops once its local end is
	// bound (it must still be told what is held) and, for a dialer, once
	// the dial's outcome reached a waiter (Dial asks just after the spawn,
	// and a dial refused at once must not leave it asking a stopped actor).
	done bool

	// A dialer's answer: who waits for it, and what it is once known.
	dialWaiters []dialWaiter
	dialed      bool
	dialErr     error
	answered    bool // a waiter got the outcome
}

type dialWaiter struct {
	pid *actor.PID
	tag any
	req bool // answer with Respond semantics (a Request from outside)
}

// Messages between the package's functions and a link actor.
type (
	// bindLocal tells the link its local end.
	bindLocal struct {
		pid *actor.PID
		st  *streamactor.Stream
	}
	// awaitDial asks for the dial's outcome (a *dialOutcome).
	awaitDial struct {
		tag     any
		replyTo *actor.PID // nil: Respond to the sender
	}
	dialOutcome struct{ err error }
	linkTick    struct{}
	// abandonLink fails the link for cause: the service's handler
	// failed after it accepted the stream.
	abandonLink struct{ cause error }
)

// DialResult answers DialAsync.
type DialResult struct {
	// Stream is this node's end (nil on failure); the actor frees it.
	Stream *streamactor.Stream
	// Err says why the dial failed (as Dial's errors).
	Err error
	// Tag is DialAsync's tag, untouched.
	Tag any
}

func newLinkProps(cfg LinkConfig, svc, peer *actor.PID) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &linkActor{cfg: cfg, svc: svc, peer: peer}
	}, actors.HotPath()...)
}

func (a *linkActor) Receive(ctx actor.Context) {
	sys := actors.FromContext(ctx)
	switch m := ctx.Message().(type) {
	case *actor.Started:
		if a.link != nil {
			return // a restart after a panic: the state is kept
		}
		a.cfg.SkipGaps = sys.Canary(CanarySkipGaps)
		if open := a.cfg.Open; open != nil {
			a.cfg.Stream = streamID(sys)
			self := ctx.Self()
			o := proto.Clone(open).(*wire.StreamOpen)
			o.Stream, o.LinkAddress, o.LinkId = a.cfg.Stream, self.Address, self.Id
			a.cfg.Open = o
		}
		a.link = NewLink(a.cfg, sys.Now())
		a.tick = actors.Every(ctx, a.link.PingEvery(), &linkTick{})
		if a.svc != nil {
			ctx.Watch(a.svc)
			a.watchingSvc = true
		}
		if a.peer != nil {
			ctx.Watch(a.peer)
		}
	case *bindLocal:
		a.local, a.st = m.pid, m.st
		for _, h := range a.held {
			ctx.Send(a.local, h)
		}
		a.held = nil
		a.stopIfDone(ctx)
		return
	case *streamactor.Segment, *streamactor.Credit, *streamactor.Close:
		a.link.FromLocal(m, sys.Now())
	case *linkTick:
		a.link.Tick(sys.Now())
	case *abandonLink:
		a.link.fail(m.cause)
	case *actor.Terminated:
		switch {
		case a.peer != nil && m.Who.Equal(a.peer), a.peer == nil && a.svc != nil && m.Who.Equal(a.svc):
			why := GoneStopped
			switch m.Why {
			case actor.TerminatedReason_AddressTerminated:
				why = GoneAddress
			case actor.TerminatedReason_NotFound:
				why = GoneNotFound
			}
			a.link.PeerGone(why, sys.Now())
		default:
			return
		}
	case *awaitDial:
		w := dialWaiter{pid: m.replyTo, tag: m.tag}
		if w.pid == nil {
			w.pid, w.req = ctx.Sender(), true
		}
		a.dialWaiters = append(a.dialWaiters, w)
		a.answerDial(ctx)
		a.stopIfDone(ctx)
		return
	case *actor.Restarting:
		a.link.Stopping(sys.Now()) // a panic here is a bug: fail the stream
	case *actor.Stopping:
		if a.link != nil {
			a.link.Stopping(sys.Now())
			a.flush(ctx, true)
		}
		a.unwatchService(ctx)
		return
	case proto.Message:
		if a.link == nil {
			return
		}
		a.link.FromPeer(m, sys.Now())
	default:
		return
	}
	a.flush(ctx, false)
}

// flush carries out the link's output.
func (a *linkActor) flush(ctx actor.Context, stopping bool) {
	out := a.link.Output()
	if acc := out.Accepted; acc != nil {
		a.peer = actor.NewPID(acc.GetLinkAddress(), acc.GetLinkId())
		ctx.Watch(a.peer)
		a.unwatchService(ctx)
	}
	if p := out.PingEvery; p > 0 && a.tick != nil && !stopping {
		// The peer needs more pings than we planned: tick faster.
		a.tick.Stop()
		a.tick = actors.Every(ctx, p, &linkTick{})
	}
	for _, m := range out.ToService {
		if a.svc != nil {
			ctx.Send(a.svc, m)
		}
	}
	for _, m := range out.ToPeer {
		if a.peer != nil {
			ctx.Send(a.peer, m)
		}
	}
	for _, m := range out.ToLocal {
		if a.local == nil {
			a.held = append(a.held, m)
			continue
		}
		ctx.Send(a.local, m)
	}
	if out.Dialed {
		a.dialed, a.dialErr = true, out.DialErr
		a.answerDial(ctx)
	}
	stop := out.Stop
	a.link.ResetOutput()
	if stop && !stopping {
		if a.tick != nil {
			a.tick.Stop()
		}
		a.unwatchService(ctx)
		if a.svc != nil && !a.dialed {
			// Decided now (a stop while dialing fails it).
			a.dialed = true
			if a.dialErr == nil && a.link.Err() != nil && a.peer == nil {
				a.dialErr = a.link.Err()
			}
		}
		a.answerDial(ctx)
		a.done = true
		a.stopIfDone(ctx)
	}
}

// unwatchService takes back the dialer's watch on its service, once it
// has its peer link or is done.
func (a *linkActor) unwatchService(ctx actor.Context) {
	if a.watchingSvc {
		a.watchingSvc = false
		ctx.Unwatch(a.svc)
	}
}

// stopIfDone stops the link once it is done, its local end is bound and,
// for a dialer, a waiter got the dial's outcome.
func (a *linkActor) stopIfDone(ctx actor.Context) {
	if a.done && a.local != nil && (a.svc == nil || a.answered) {
		ctx.Stop(ctx.Self())
	}
}

// answerDial answers the dial's waiters once the outcome is known. A
// failed dial's end is stopped (nobody else holds its handle).
func (a *linkActor) answerDial(ctx actor.Context) {
	if !a.dialed {
		return
	}
	if a.dialErr != nil && a.st != nil {
		ctx.Stop(a.st.PID())
		a.st = nil
	}
	if len(a.dialWaiters) > 0 {
		a.answered = true
	}
	for _, w := range a.dialWaiters {
		if w.req {
			ctx.Send(w.pid, &dialOutcome{err: a.dialErr})
			continue
		}
		ctx.Send(w.pid, &DialResult{Stream: a.st, Err: a.dialErr, Tag: w.tag})
	}
	a.dialWaiters = nil
}
