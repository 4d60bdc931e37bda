package sockactor

import (
	"context"
	"net"
	"syscall"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// Listener is a stream listener: an actor that accepts connections and
// hands each over as a new *Conn (already connected, its own actor,
// top-level in the listener's System so that it outlives the listener).
// Samba's seed has no accept; servers need one, so it follows the same
// request/completion rules: Accept requests queue up in order, each
// completes once with one connection; or, with the AcceptTo option,
// every connection is pushed to an actor as an *AcceptDone.
type Listener struct {
	sys     *actors.System
	pid     *actor.PID
	face    *face
	addr    net.Addr
	timeout time.Duration
}

// Accept asks a listener for the next connection. Completion:
// *AcceptDone. A listener with AcceptTo refuses it (EINVAL): its
// connections all go to that actor.
type Accept struct {
	Timeout time.Duration
	ReplyTo *actor.PID
	Tag     any
	reqState
}

// AcceptDone completes an Accept, or pushes a connection to the AcceptTo
// actor (Req nil). Pushed with Err and no Conn, it says that the listener
// failed for good (its socket is unusable: EBADF, EINVAL, ...) and stops;
// accept failures that pass (EMFILE, ENOBUFS, ...) are only logged.
type AcceptDone struct {
	Listener *actor.PID
	Req      *Accept
	Tag      any
	Conn     *Conn
	Err      error
}

// Listen binds a stream listener on network ("tcp", "tcp4", "tcp6",
// "unix") at addr and spawns its actor on owner. WithMode sets a unix
// socket file's mode; WithStreamConfig sizes the accepted connections;
// AcceptTo pushes them to an actor. On the real transport, a unix socket
// file nobody listens on (left by a listener that died) is replaced; a
// live listener's path or a file that is not a socket is EADDRINUSE.
func Listen(owner Owner, tr Transport, network, addr string, opts ...Option) (*Listener, error) {
	if tr == nil {
		return nil, errors.New("sockactor: nil transport")
	}
	sys, err := systemOf(owner)
	if err != nil {
		return nil, err
	}
	o := buildOptions(opts)
	ep, err := tr.Listen(network, addr, o.listen)
	if err != nil {
		return nil, AsErrno("listen "+network+" "+addr, err, syscall.EINVAL)
	}
	l := &Listener{sys: sys, face: newFace(), addr: ep.Addr()}
	pid, err := spawn(owner, sys, "listener", o.name, func() actor.Actor {
		return &listenerActor{shell: newShell(l.face, "listener"), ep: ep, cfg: o.stream, pushTo: o.accept}
	})
	if err != nil {
		ep.Close()
		return nil, err
	}
	l.pid = pid
	return l, nil
}

// PID returns the listener actor's address.
func (l *Listener) PID() *actor.PID { return l.pid }

// Addr returns the bound address.
func (l *Listener) Addr() net.Addr { return l.addr }

// WithTimeout returns a copy of l whose Accept requests time out after d.
func (l *Listener) WithTimeout(d time.Duration) *Listener {
	cp := *l
	cp.timeout = d
	return &cp
}

// Accept waits for the next connection.
func (l *Listener) Accept() *Pending[*Conn] {
	return submit(l.sys, l.pid, l.face, Accept{Timeout: l.timeout}, func(x *Completion) *Conn {
		c, _ := x.Value.(*Conn)
		return c
	})
}

// Close stops listening: pending Accepts complete with ECONNABORTED and
// accepted connections nobody took are closed.
func (l *Listener) Close() { l.sys.Send(l.pid, &Close{}) }

// Stopped reports whether the listener actor has stopped.
func (l *Listener) Stopped() bool { return l.face.isDead() }

// maxReady is how many accepted connections may wait for an Accept.
const maxReady = 64

type listenerActor struct {
	shell
	ep        ListenEndpoint
	cfg       StreamConfig
	pushTo    *actor.PID
	waiting   []ReqID // Accept requests, FIFO
	ready     []*Conn // accepted, not yet taken
	accepting bool
	closed    bool
	failed    error // the permanent accept failure that ended the listener
	nextID    ReqID
	handoff   handoff // accepted connections on their way from the sink
}

func (a *listenerActor) Receive(c actor.Context) {
	defer a.recoverPanic(c)
	switch msg := c.Message().(type) {
	case *actor.Started:
		a.started(c)
		a.ep.Start(a.handoff.wrap(a.sink()))
		a.match(c)
	case *transportEvent:
		switch ev := msg.ev.(type) {
		case *accepted:
			a.handoff.take(ev)
			a.accepted(c, ev.EvAccepted)
		case *EvAccepted: // an error: no connection
			a.accepted(c, ev)
		}
	case *Accept:
		if !a.claim(c, msg) {
			return
		}
		a.nextID++
		id := a.nextID
		a.register(c, id, msg, msg.ReplyTo, msg.Tag)
		if a.closed {
			a.finish(c, id, nil, a.closedErr())
			return
		}
		if a.pushTo != nil {
			a.finish(c, id, nil, errf("accept", syscall.EINVAL, "the listener pushes every connection to its AcceptTo actor %v: none is left for an Accept", a.pushTo))
			return
		}
		a.waiting = append(a.waiting, id)
		if msg.Timeout > 0 {
			a.startTimer(c, &EffStartTimer{ID: id, D: msg.Timeout})
		}
		a.match(c)
	case *Cancel:
		if id, ok := a.cancelID(msg); ok {
			a.withdraw(c, id, errf("accept", syscall.ECANCELED, "accept cancelled"))
		}
	case *expire:
		a.withdraw(c, msg.id, errf("accept", syscall.ETIMEDOUT, "accept timed out"))
	case *Close:
		// Close now; stop once the Accepts queued behind Close were
		// refused (see shell.common).
		a.shutdown(c)
		c.Poison(c.Self())
	case *actor.Stopping:
		a.shutdown(c)
	case *actor.Stopped:
		a.shutdown(c)
		a.handoff.close()
		a.finalize(c)
	default:
		a.unsupported(c, msg)
	}
}

// recoverPanic is deferred by Receive: a panic (in the transport's
// endpoint, say) stops the listener, completing its Accepts, as for a
// socket (shell.recoverPanic). Escaping, it made protoactor restart the
// actor as a new one that knew nothing of the Accepts pending, and they
// never completed.
func (a *listenerActor) recoverPanic(c actor.Context) {
	if r := recover(); r != nil {
		a.shutdown(c)
		c.Logger().Error("sockactor: listener stopped after a panic", "err", panicError(r))
		c.Stop(c.Self())
	}
}

func (a *listenerActor) accepted(c actor.Context, ev *EvAccepted) {
	a.accepting = false
	if a.closed {
		if ev.Stream != nil {
			ev.Stream.Close()
		}
		return
	}
	if ev.Err != nil && permanentAcceptError(ev.Err) {
		a.fail(c, ev.Err)
		return
	} else if ev.Err != nil {
		c.Logger().Warn("sockactor: accept failed", "addr", a.ep.Addr(), "err", ev.Err)
	} else if conn, err := spawnConn(a.sys, nil, ev.Stream, options{stream: a.cfg}); err != nil {
		ev.Stream.Close()
		c.Logger().Warn("sockactor: cannot spawn an accepted connection", "err", err)
	} else if a.pushTo != nil {
		c.Send(a.pushTo, &AcceptDone{Listener: a.self, Conn: conn})
	} else {
		a.ready = append(a.ready, conn)
	}
	a.match(c)
}

// permanentAcceptError reports whether an accept failed because the
// listening socket itself is unusable (closed, not a listening socket),
// so that every later accept would fail the same way: the listener ends.
// Any other failure (lack of descriptors or memory, a network error
// pending on the connection being accepted, an error a transport does not
// classify) is reported and accept tried again, the real transport's
// driver pausing in between. Unlike net/http, which ends its server on
// any error not marked temporary, an unknown error does not end the
// listener: ending a server on a passing failure loses it for good, while
// retrying a lasting one costs a warning a second.
func permanentAcceptError(err error) bool {
	if errors.Is(err, net.ErrClosed) {
		return true
	}
	for _, e := range []syscall.Errno{syscall.EBADF, syscall.EINVAL, syscall.ENOTSOCK, syscall.EFAULT} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// fail ends the listener on a permanent accept failure: the Accepts
// waiting complete with it, the AcceptTo actor is told (an AcceptDone
// with Err and no Conn), and the listener stops.
func (a *listenerActor) fail(c actor.Context, err error) {
	e := AsErrno("accept", err, syscall.EIO)
	a.failed = e
	c.Logger().Error("sockactor: listener stopped: accept failed for good", "addr", a.ep.Addr(), "err", e)
	waiting := a.waiting
	a.waiting = nil
	for _, id := range waiting {
		a.finish(c, id, nil, e)
	}
	if a.pushTo != nil {
		c.Send(a.pushTo, &AcceptDone{Listener: a.self, Err: e})
	}
	a.shutdown(c)
	c.Poison(c.Self())
}

// match pairs ready connections with waiting Accepts and keeps one
// transport accept outstanding while there is room.
func (a *listenerActor) match(c actor.Context) {
	for len(a.waiting) > 0 && len(a.ready) > 0 {
		id, conn := a.waiting[0], a.ready[0]
		a.waiting, a.ready = a.waiting[1:], a.ready[1:]
		a.finish(c, id, conn, nil)
	}
	if !a.accepting && !a.closed && (a.pushTo != nil || len(a.ready) < maxReady) {
		a.accepting = true
		a.ep.Accept()
	}
}

func (a *listenerActor) finish(c actor.Context, id ReqID, conn *Conn, err error) {
	a.stopTimer(&EffStopTimer{ID: id})
	a.deliver(c, &Completion{ID: id, Kind: OpConnect, Err: err, Value: conn})
}

func (a *listenerActor) withdraw(c actor.Context, id ReqID, err error) {
	for i, w := range a.waiting {
		if w == id {
			a.waiting = append(a.waiting[:i:i], a.waiting[i+1:]...)
			a.finish(c, id, nil, err)
			return
		}
	}
}

// closedErr is what an Accept gets once the listener is closed: the
// failure that ended it, if one did.
func (a *listenerActor) closedErr() error {
	if a.failed != nil {
		return a.failed
	}
	return errf("accept", syscall.ECONNABORTED, "listener closed")
}

func (a *listenerActor) shutdown(c actor.Context) {
	if a.closed {
		return
	}
	a.closed = true
	waiting, ready := a.waiting, a.ready
	a.waiting, a.ready = nil, nil
	for _, id := range waiting {
		a.finish(c, id, nil, errf("accept", syscall.ECONNABORTED, "listener closed"))
	}
	for _, conn := range ready {
		conn.Close()
	}
	a.ep.Close() // last: should it panic, the Accepts are answered
}

// WaitStopped waits until the actor has stopped (after Close, or when its
// owner stopped it).
func (l *Listener) WaitStopped(ctx context.Context) error { return l.face.waitStopped(ctx, l.sys) }
