package qmp

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"slices"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// Stream is a session's byte stream as the endpoint uses it: requests
// made from inside the session actor, completions delivered to it as
// messages. The sockactor adapter (Listen) implements it over a stream
// socket; tests and the simulator may implement it in memory.
type Stream interface {
	// ReadLine asks for the next line (without its terminator): a
	// *LineRead arrives when it is there. One read at a time.
	ReadLine(c actor.Context)
	// Write asks for bufs to be written in order: a *Written arrives when
	// they are. One write at a time.
	Write(c actor.Context, bufs [][]byte)
	// Close ends the stream; no completion follows.
	Close(c actor.Context)
}

// LineRead completes Stream.ReadLine: a line, or a line that was over the
// limit (TooLong bytes, discarded up to its end), or an error (io.EOF when
// the client closed).
type LineRead struct {
	Line    []byte
	TooLong int
	Err     error
}

// Written completes Stream.Write.
type Written struct{ Err error }

// Conn is one QMP session: the actor around a Machine, its bus session and
// its Stream. Command handlers get it to reach the session.
type Conn struct {
	srv    *Server
	stream Stream
	m      *Machine
	sess   *signalbus.Session
	self   *actor.PID
	ctx    context.Context
	reject bool // over the connection limit: say so and close

	inbox   [][]byte // lines read, waiting to be handled
	reading bool
	eof     bool
	busy    *Call // waiting for Flushed replies before its response
	result  []byte
	flushID uint64   // the last Flush's ID
	flushes []uint64 // IDs of the Flushes still to be answered

	out     [][]byte // lines waiting to be written
	outAcks []signalbus.Delivery
	// bytes in out, and in the write in progress
	outBytes, writingBytes int
	writing                bool
	acks                   []signalbus.Delivery // acknowledged when the current write completes
	closed                 bool
	down                   bool

	// accessorArgs holds, for each explicit connection made by
	// <accessor>-connect, the accessor arguments it was made with
	// (checked by <accessor>-disconnect).
	accessorArgs map[signalbus.Handle]accessorArgs
}

// Session returns the session's bus session.
func (c *Conn) Session() *signalbus.Session { return c.sess }

// Server returns the server.
func (c *Conn) Server() *Server { return c.srv }

// Receive implements actor.Actor.
func (c *Conn) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		c.start(ctx)
	case *LineRead:
		c.reading = false
		c.lineRead(ctx, m)
	case *Written:
		c.written(ctx, m)
	case signalbus.Delivery:
		c.deliver(ctx, m)
	case *signalbus.Fence:
		ctx.Respond(&struct{}{})
	case *signalbus.Flushed:
		c.flushed(ctx, m.ID)
	case *actor.Restarting:
		// Something panicked outside a command handler: the session's
		// state cannot be trusted, so it ends here (and the Started of
		// the restart stops the actor) rather than greeting again.
		c.closed = true
		c.shutdown(ctx)
	case *actor.Stopping:
		c.shutdown(ctx)
	default:
		if tr, ok := c.stream.(Translator); ok {
			if out, handled := tr.Translate(ctx, m); handled && out != nil {
				switch o := out.(type) {
				case *LineRead:
					c.reading = false
					c.lineRead(ctx, o)
				case *Written:
					c.written(ctx, o)
				}
			}
		}
	}
}

func (c *Conn) start(ctx actor.Context) {
	if c.down { // restarted after a failure: shutdown ran already
		ctx.Stop(ctx.Self())
		return
	}
	c.self = ctx.Self()
	c.ctx = signalbus.InActor(context.Background())
	if c.reject {
		c.queue(ctx, errorLine(nil, Errorf("too many QMP connections (limit %d)", c.srv.limits.MaxConns)), nil)
		c.eof = true
		return
	}
	sess, err := c.srv.bus.NewSession(signalbus.ActorSink(c.self), signalbus.SessionQueue(c.srv.limits.EventQueue, signalbus.DropOldest))
	if err != nil {
		c.queue(ctx, errorLine(nil, Errorf("server is closing")), nil)
		c.eof = true
		return
	}
	c.sess = sess
	c.queue(ctx, c.m.Greeting(c.srv.version), nil)
	c.read(ctx)
}

// read asks for the next line, unless one is asked for already, the
// inbox is full (MaxPending), or a write is in progress: a sockactor
// stream makes the peer's EOF sticky for writes too, so reading ahead
// past a client's half-close would lose the replies still owed to it.
func (c *Conn) read(ctx actor.Context) {
	if c.reading || c.eof || c.closed || c.writing || c.busy != nil || len(c.inbox) >= c.srv.limits.MaxPending {
		return
	}
	c.reading = true
	c.stream.ReadLine(ctx)
}

func (c *Conn) lineRead(ctx actor.Context, m *LineRead) {
	switch {
	case m.Err != nil:
		c.eof = true
		if m.Err != io.EOF {
			actors.FromContext(ctx).Logger().Debug("qmp: read failed", "err", m.Err)
		}
	case m.TooLong > 0:
		c.queue(ctx, c.m.TooLong(m.TooLong), nil)
	default:
		c.inbox = append(c.inbox, m.Line)
	}
	c.process(ctx)
	c.read(ctx)
	c.maybeClose(ctx)
}

// process handles queued lines in order; a command that must flush the
// signals first holds the ones behind it.
func (c *Conn) process(ctx actor.Context) {
	for c.busy == nil && len(c.inbox) > 0 && !c.closed {
		in := c.inbox[0]
		c.inbox = c.inbox[1:]
		reply, call := c.m.Input(in)
		if reply != nil {
			c.queue(ctx, reply, nil)
			continue
		}
		res := c.run(ctx, call)
		if !call.Command.Flush {
			c.queue(ctx, res, nil)
			continue
		}
		// An application command may have emitted events: they go out
		// before its response (its return, or its error), as in QEMU.
		// Each signal answers the Flush once it has handed this session
		// every delivery of what was emitted before it, those waiting
		// for window space included.
		if !c.flushSignals(ctx) {
			c.queue(ctx, res, nil)
			continue
		}
		c.busy, c.result = call, res
	}
}

// flushSignals sends a Flush to every signal of the bus and reports
// whether there is a reply to wait for. A closed signal delivers nothing
// more (its connections are closed first) and, once stopped, does not
// answer: it is not waited for. Checking after the Flush went catches a
// close racing with it (the signal is closed before it is told to stop,
// so a Flush that came too late to be answered finds it closed); a late
// answer has an ID no longer waited for.
func (c *Conn) flushSignals(ctx actor.Context) bool {
	c.flushes = c.flushes[:0]
	for _, s := range c.srv.bus.Signals() {
		if s.Closed() {
			continue
		}
		c.flushID++
		ctx.Request(s.PID(), &signalbus.Flush{ID: c.flushID})
		if !s.Closed() {
			c.flushes = append(c.flushes, c.flushID)
		}
	}
	return len(c.flushes) > 0
}

// run runs call's handler and formats its outcome. A handler that panics
// (or returns a value whose encoding panics) gets a GenericError
// response, and the session goes on.
func (c *Conn) run(ctx actor.Context, call *Call) (res []byte) {
	defer func() {
		if r := recover(); r != nil {
			c.srv.handlerPanics.Add(1)
			actors.FromContext(ctx).Logger().Error("qmp: command handler panicked",
				"command", call.Name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			res = errorLine(call.ID, Errorf("Command '%s' failed: internal error", call.Name))
		}
	}()
	value, err := call.Command.Handler(c.ctx, c, call)
	return c.m.Result(call, value, err)
}

func (c *Conn) flushed(ctx actor.Context, id uint64) {
	i := slices.Index(c.flushes, id)
	if i < 0 {
		return // from a closed signal, no longer waited for
	}
	c.flushes = slices.Delete(c.flushes, i, i+1)
	if len(c.flushes) > 0 || c.busy == nil {
		return
	}
	c.busy = nil
	c.queue(ctx, c.result, nil)
	c.result = nil
	c.process(ctx)
	c.read(ctx)
	c.maybeClose(ctx)
}

func (c *Conn) deliver(ctx actor.Context, d signalbus.Delivery) {
	if !d.Live() || c.closed {
		d.Done()
		return
	}
	ev := d.AnyEvent()
	if ev.EventDropped() > 0 {
		c.queue(ctx, OverflowLine(ev), nil)
	}
	b, err := safeEventLine(ev)
	if err != nil {
		actors.FromContext(ctx).Logger().Error("qmp: cannot encode event", "event", ev.Head().Signal.Wire, "err", err)
		d.Done()
		return
	}
	c.queue(ctx, b, d)
}

// safeEventLine is EventLine with a panic of the event's own encoding
// (a MarshalJSON method) turned into an error.
func safeEventLine(ev signalbus.AnyEvent) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, errors.Errorf("encoding panicked: %v", r)
		}
	}()
	return EventLine(ev)
}

// queue adds a line to the output; ack (if any) is acknowledged once the
// line is written, so a client that stops reading holds its connections'
// windows and the bus applies their overflow policy.
func (c *Conn) queue(ctx actor.Context, b []byte, ack signalbus.Delivery) {
	c.out = append(c.out, b)
	c.outBytes += len(b)
	if ack != nil {
		// While the output backlog is small the event is acknowledged
		// at once; beyond maxOutput the acknowledgement waits for the
		// write, so a client that stops reading holds its connections'
		// windows and their overflow policy applies. Acknowledgements
		// may so come out of order (a large event waits, a small one
		// behind it does not): the bus allows that.
		if c.outBytes+c.writingBytes <= maxOutput {
			ack.Done()
		} else {
			c.outAcks = append(c.outAcks, ack)
		}
	}
	c.flush(ctx)
}

// maxIOV is the most lines written as separate buffers of one vector.
const maxIOV = 16

// maxOutput is the output backlog (bytes queued or being written) below
// which event deliveries are acknowledged without waiting for the write.
const maxOutput = 256 << 10

func (c *Conn) flush(ctx actor.Context) {
	if c.writing || len(c.out) == 0 || c.closed {
		return
	}
	c.writing = true
	bufs := c.out
	if len(bufs) > maxIOV {
		// Many small lines: one buffer, so the vector stays short.
		joined := make([]byte, 0, c.outBytes)
		for _, b := range bufs {
			joined = append(joined, b...)
		}
		bufs = [][]byte{joined}
	}
	c.acks, c.out, c.outAcks = c.outAcks, nil, nil
	c.writingBytes, c.outBytes = c.outBytes, 0
	c.stream.Write(ctx, bufs)
}

func (c *Conn) written(ctx actor.Context, m *Written) {
	c.writing = false
	c.writingBytes = 0
	for _, d := range c.acks {
		d.Done()
	}
	c.acks = nil
	if m.Err != nil {
		c.eof = true
		c.closeNow(ctx)
		return
	}
	c.flush(ctx)
	c.read(ctx)
	c.maybeClose(ctx)
}

// maybeClose ends the session once the client has closed and everything
// owed to it is written.
func (c *Conn) maybeClose(ctx actor.Context) {
	if c.eof && !c.writing && len(c.out) == 0 && c.busy == nil && len(c.inbox) == 0 {
		c.closeNow(ctx)
	}
}

func (c *Conn) closeNow(ctx actor.Context) {
	if c.closed {
		return
	}
	c.closed = true
	c.shutdown(ctx)
	ctx.Stop(c.self)
}

func (c *Conn) shutdown(ctx actor.Context) {
	if c.down {
		return
	}
	c.down = true
	if c.sess != nil {
		c.sess.Close()
		c.sess = nil
	}
	for _, d := range append(c.acks, c.outAcks...) {
		d.Done()
	}
	c.acks, c.outAcks, c.out = nil, nil, nil
	if c.stream != nil {
		c.stream.Close(ctx)
		c.stream = nil
	}
	c.srv.release()
}
