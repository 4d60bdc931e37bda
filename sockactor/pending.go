package sockactor

// This file is the blocking Go face of a request: a handle that a caller
// outside the actors waits on. It is allowlisted in internal/detguard for
// its channel: the socket actor finishes a handle by closing its channel
// (which never blocks), and the caller waits on it through the System's
// Waiter (a channel wait in a real system, a run of the World in a
// simulation).

import (
	"context"
	"sync"
	"syscall"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
)

// finisher is what a socket actor calls to complete a Go caller's
// request: finish with the machine's completion, or abort when the socket
// is gone.
type finisher interface {
	finish(c *Completion)
	abort(err error)
}

// Pending is the handle of one request made through the Go face (Conn,
// Dgram, Listener methods). It completes exactly once.
type Pending[R any] struct {
	sys  *actors.System
	sock *actor.PID
	req  any
	face *face
	conv func(*Completion) R
	link handleLink // in face's list of open handles

	mu   sync.Mutex
	fin  bool
	done chan struct{} // made on demand: most handles finish unwatched
	res  R
	err  error
}

// closed is the Done channel of a handle that finished before anyone
// asked for its channel.
var closed = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// Wait blocks until the request completes, or ctx ends (in a simulation:
// runs the World until it completes). A Wait that returns ctx's error
// leaves the request running: Cancel it if it is no longer wanted.
func (p *Pending[R]) Wait(ctx context.Context) (R, error) {
	p.mu.Lock()
	if p.fin {
		defer p.mu.Unlock()
		return p.res, p.err
	}
	done := p.doneLocked()
	p.mu.Unlock()
	if err := p.sys.Wait(ctx, done); err != nil {
		var zero R
		return zero, err
	}
	return p.Result()
}

// Done is closed when the request has completed. In a simulation use
// Wait, which runs the World; Done alone does not.
func (p *Pending[R]) Done() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.doneLocked()
}

func (p *Pending[R]) doneLocked() chan struct{} {
	if p.done == nil {
		if p.fin {
			return closed
		}
		p.done = make(chan struct{})
	}
	return p.done
}

// Result returns the outcome of a completed request (the zero value and
// nil before that; check Done).
func (p *Pending[R]) Result() (R, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.res, p.err
}

// Cancel withdraws the request (see the Cancel message). It returns at
// once; the request still completes exactly once, with ECANCELED unless
// it finished first.
func (p *Pending[R]) Cancel() { p.sys.Send(p.sock, &Cancel{Req: p.req}) }

// Request returns the request message this handle stands for (the value
// that a Cancel message names). Sent to a socket again while the request
// is pending, it is refused (EALREADY) and the handle is untouched; sent
// again after the handle completed, it is a new request, whose completion
// goes to its ReplyTo or sender, not to this handle.
func (p *Pending[R]) Request() any { return p.req }

func (p *Pending[R]) finish(c *Completion) { p.set(p.conv(c), c.Err) }

func (p *Pending[R]) abort(err error) {
	var zero R
	p.set(zero, err)
}

func (p *Pending[R]) set(r R, err error) {
	p.mu.Lock()
	if p.fin {
		p.mu.Unlock()
		return
	}
	p.fin, p.res, p.err = true, r, err
	if p.done != nil {
		close(p.done)
	}
	p.mu.Unlock()
	p.face.remove(&p.link)
}

// handleLink links a handle into its face's list of open handles (a list
// rather than a set: adding and removing cost no hashing).
type handleLink struct {
	prev, next *handleLink
	h          finisher
}

// face is the Go side of one socket: the handles still waiting, so that a
// socket that stops (or was stopped before it saw a request) fails them
// instead of leaving them hanging.
type face struct {
	mu   sync.Mutex
	dead bool
	open handleLink    // the list's sentinel
	gone chan struct{} // closed once the actor has stopped
}

func newFace() *face {
	f := &face{gone: make(chan struct{})}
	f.open.prev, f.open.next = &f.open, &f.open
	return f
}

// waitStopped waits until the socket actor has stopped.
func (f *face) waitStopped(ctx context.Context, sys *actors.System) error {
	return sys.Wait(ctx, f.gone)
}

func (f *face) add(l *handleLink) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead {
		return false
	}
	l.prev, l.next = f.open.prev, &f.open
	l.prev.next, f.open.prev = l, l
	return true
}

func (f *face) remove(l *handleLink) {
	f.mu.Lock()
	if l.next != nil {
		l.prev.next, l.next.prev = l.next, l.prev
		l.prev, l.next = nil, nil
	}
	f.mu.Unlock()
}

// stopped is called by the socket actor once it has completed everything
// it knew of: what is still open never reached it.
func (f *face) stopped() {
	f.mu.Lock()
	if !f.dead {
		close(f.gone)
	}
	f.dead = true
	var open []finisher
	for l := f.open.next; l != &f.open; {
		next := l.next
		open = append(open, l.h)
		l.prev, l.next = nil, nil
		l = next
	}
	f.open.prev, f.open.next = &f.open, &f.open
	f.mu.Unlock()
	for _, h := range open {
		h.abort(errf("request", syscall.ECONNABORTED, "socket stopped before it handled the request"))
	}
}

// isDead reports whether the socket has stopped.
func (f *face) isDead() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dead
}

// call is a request message and its handle in one allocation.
type call[M any, R any] struct {
	p   Pending[R]
	msg M
}

// submit sends a request with message msg to the socket and returns its
// handle.
func submit[M any, PM interface {
	*M
	request
}, R any](sys *actors.System, sock *actor.PID, f *face, msg M, conv func(*Completion) R) *Pending[R] {
	c := &call[M, R]{msg: msg}
	m := PM(&c.msg)
	p := &c.p
	p.sys, p.sock, p.req, p.face, p.conv = sys, sock, m, f, conv
	p.link.h = p
	m.state().h = p
	if !f.add(&p.link) {
		p.abort(errf("request", syscall.ECONNABORTED, "socket stopped"))
		return p
	}
	sys.Send(sock, m)
	return p
}
