package streamactor

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/goid"
	"github.com/pkg/errors"
)

// EventCallback is called with the events that hold on st
// (virStreamEventCallback). The opaque pointer of libvirt is whatever the
// closure captures.
type EventCallback func(st *Stream, events Event)

// Event callbacks never run inside the stream's actor. The actor decides
// what to report and posts it to the stream's executor, which runs the
// callbacks of one stream one at a time, in order, on the system clock
// (AfterFunc(0): a timer goroutine on a real system, a step of the
// simulation loop in a World). After each invocation the executor tells
// the actor, which reports again only once something changed: events are
// level conditions, re-reported after each change, never in a busy loop.
//
// Truthfulness: READABLE means the next non-blocking Recv will not return
// ErrWouldBlock, WRITABLE the same for Send. Only the stream's own calls
// can take either away, so the executor drops READABLE and WRITABLE from a
// report if a call was made on the handle after the actor decided (the
// actor then decides again).

// eventReg is one registration: EventAddCallback to its removal. free runs
// exactly once, after the last invocation of cb.
type eventReg struct {
	st      *Stream
	cb      EventCallback
	free    func()
	mask    atomic.Uint32
	removed atomic.Bool // no invocation starts once set (the final task excepted)
	freed   bool        // free was claimed; under the executor's callMu
}

// evTask is one thing for the executor to do.
type evTask struct {
	reg   *eventReg
	ev    Event
	stamp uint64 // the handle's call number when the actor decided
	final bool   // the registration ends: report ev (if any), then free
}

// executor runs a stream's event tasks one at a time.
type executor struct {
	clock   actors.Clock
	mu      sync.Mutex
	tasks   []evTask
	running bool
	// callMu is held while a task runs (from its checks to the end of
	// the callback or free function), so that Remove and Update can wait
	// for an invocation under way (lockIdle); dispatch is the goroutine
	// running it, 0 between tasks.
	callMu   sync.Mutex
	dispatch atomic.Uint64
}

func newExecutor(clock actors.Clock) *executor { return &executor{clock: clock} }

// post queues t; it never blocks and never runs user code, so the actor
// may call it from Receive.
func (x *executor) post(t evTask) {
	x.mu.Lock()
	x.tasks = append(x.tasks, t)
	start := !x.running
	x.running = true
	x.mu.Unlock()
	if start {
		x.clock.AfterFunc(0, x.run)
	}
}

func (x *executor) run() {
	g := goid.Get()
	for {
		x.mu.Lock()
		if len(x.tasks) == 0 {
			x.running = false
			x.mu.Unlock()
			return
		}
		t := x.tasks[0]
		x.tasks[0] = evTask{}
		x.tasks = x.tasks[1:]
		x.mu.Unlock()
		x.runTask(t, g)
	}
}

// runTask runs t holding callMu, with dispatch naming the goroutine g.
func (x *executor) runTask(t evTask, g uint64) {
	x.callMu.Lock()
	x.dispatch.Store(g)
	defer func() {
		x.dispatch.Store(0)
		x.callMu.Unlock()
	}()
	x.do(t)
}

func (x *executor) do(t evTask) {
	r := t.reg
	if r.freed {
		return
	}
	if !t.final && r.removed.Load() {
		return // removed meanwhile: no invocation starts after Remove
	}
	ev, stale := t.ev, false
	if ev&(EventReadable|EventWritable) != 0 && r.st.calls.Load() != t.stamp {
		ev &^= EventReadable | EventWritable
		stale = true
	}
	if !t.final {
		ev &= Event(r.mask.Load()) | EventError | EventHangup
	}
	if ev != 0 && r.cb != nil {
		r.invoke(ev)
	}
	if t.final {
		r.freed = true
		if r.free != nil {
			r.callFree()
		}
		return
	}
	if !r.st.dead.Load() {
		r.st.sys.Send(r.st.pid, &evAck{reg: r, end: r.st.idx, stale: stale})
	}
}

// invoke runs the callback. A panic in it is the caller's bug, but it must
// not take the process down from a goroutine the caller does not own: the
// stream is aborted with the panic as the reason, and the panic logged.
func (r *eventReg) invoke(ev Event) {
	defer func() {
		if p := recover(); p != nil {
			err := errors.Errorf("streamactor: event callback panicked: %v", p)
			r.st.sys.Logger().Error("streamactor: event callback panicked; aborting the stream", slog.String("panic", fmt.Sprint(p)))
			req := newRequest()
			req.op.Kind, req.op.Cause, req.end = OpAbort, err, r.st.idx
			r.st.sys.Send(r.st.pid, &req.env)
		}
	}()
	r.cb(r.st, ev)
}

func (r *eventReg) callFree() {
	defer func() {
		if p := recover(); p != nil {
			r.st.sys.Logger().Error("streamactor: event free function panicked", slog.String("panic", fmt.Sprint(p)))
		}
	}()
	r.free()
}

// EventAddCallback registers cb for events (virStreamEventAddCallback).
// READABLE and WRITABLE are reported when asked for; ERROR and HANGUP
// always (as poll does). One callback per stream: a second is
// ErrCallbackRegistered. free, if not nil, runs exactly once after the
// last invocation of cb: after EventRemoveCallback, or once the caller
// ended the stream: a Finish completed (the sending end's when the
// receiver confirmed) or failed for good, an Abort (the callback is told
// ERROR once first, as it is when a Finish given up by its context aborts
// the stream), or the last Free. An abort by the peer or an error does
// not end the registration: the callback is told ERROR (and HANGUP).
func (s *Stream) EventAddCallback(events Event, cb EventCallback, free func()) error {
	if cb == nil {
		return errors.Wrap(ErrBadOption, "event add callback: nil callback")
	}
	if events&^allEvents != 0 {
		return errors.Wrapf(ErrBadFlags, "event add callback: events %#x", uint32(events))
	}
	reg := &eventReg{st: s, cb: cb, free: free}
	reg.mask.Store(uint32(events))
	return s.ctlCall(context.Background(), ctlEventAdd, func(r *request) { r.reg = reg }, nil)
}

// EventUpdateCallback changes the events the callback is asked for
// (virStreamEventUpdateCallback); it succeeds whenever a callback is
// registered. Every invocation that starts after it returns is told only
// the new events (and ERROR and HANGUP): called from outside the
// callback, it waits for an invocation in progress to return, as
// EventRemoveCallback does.
func (s *Stream) EventUpdateCallback(events Event) error {
	if events&^allEvents != 0 {
		return errors.Wrapf(ErrBadFlags, "event update callback: events %#x", uint32(events))
	}
	if err := s.ctlCall(context.Background(), ctlEventUpdate, func(r *request) { r.events = events }, nil); err != nil {
		return err
	}
	if s.exec.lockIdle() {
		s.exec.callMu.Unlock()
	}
	return nil
}

// EventRemoveCallback removes the callback (virStreamEventRemoveCallback).
// No invocation is under way or starts after it returns, and free has
// run: called from another goroutine, it waits for an invocation in
// progress to return (so it must not be called holding something the
// callback waits for), then runs free itself, as libvirt does. Called
// from the callback (or from a callback that the running one waits for,
// through Remove or Update calls on other streams), it returns at once:
// the invocation in progress is the last, and free runs after it
// returns.
func (s *Stream) EventRemoveCallback() error {
	var reg *eventReg
	if err := s.ctlCall(context.Background(), ctlEventRemove, nil, func(r *request) { reg = r.reg }); err != nil {
		return err
	}
	if reg == nil || !s.exec.lockIdle() {
		return nil
	}
	claim := !reg.freed
	reg.freed = true
	s.exec.callMu.Unlock()
	if claim && reg.free != nil {
		reg.callFree()
	}
	return nil
}
