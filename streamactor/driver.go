package streamactor

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// driver is what the file source and the file sink share: an actor with
// one stream end (its Core) facing a peer end, and a file whose
// operations run on a Runner, one at a time; each completion comes back
// as an ioDone message.
type driver struct {
	sys  *actors.System
	core *Core
	peer *actor.PID
	self *actor.PID
	f    File
	run  Runner
	busy bool   // a file operation is out
	ops  uint64 // file operations started (the last one's number)
	// closing: a Close of the file was given to the runner (the file is
	// closed once it ran); closed: and the driver is done with the file
	// (closing, or closed and its completion handled); released: the
	// runner was told to Stop (after Discard, if it had to run).
	closing, closed, released bool
	fin                       Op // the driver's own Finish
	// discard runs after the file was closed without being committed
	// (FileOptions.Discard; sinks only), unless committed says the
	// Commit succeeded (it is set on the runner).
	discard   func()
	committed *atomic.Bool
	// sent: how much of the core's output flush has handed on (moved past
	// each message before it is handed on, as the stream actor's marks).
	sent int
	// cur is the completion being handled. If Receive panics (a bug), the
	// restart settles it: the file operation is over, whatever the panic
	// left undone.
	cur *ioDone
}

// ioDone is the result of one file operation.
type ioDone struct {
	kind ioKind
	seq  uint64 // the operation's number (driver.ops when it started)
	of   ioKind // ioDiscarded: the operation whose failure it follows
	seg  *Segment
	n    int
	pos  int64
	span int64 // ioPunch: the length made to read as zeros; ioTruncate: that of a hole's part before the Length limit (0: the trailing truncation)
	err  error
}

type ioKind uint8

const (
	ioSize ioKind = iota + 1
	ioSeekData
	ioSeekHole
	ioRead
	ioWrite
	ioPunch
	ioTruncate
	ioSync
	ioClose
	ioCommit
	ioDiscarded // Discard ran after a failed close or commit
)

var ioKindNames = [...]string{ioSize: "size", ioSeekData: "seek data", ioSeekHole: "seek hole", ioRead: "read", ioWrite: "write",
	ioPunch: "punch hole", ioTruncate: "truncate", ioSync: "sync", ioClose: "close", ioCommit: "commit", ioDiscarded: "discard"}

// String names the operation.
func (k ioKind) String() string {
	if int(k) < len(ioKindNames) && ioKindNames[k] != "" {
		return ioKindNames[k]
	}
	return "file operation?"
}

// fileIOHook, if set, runs as a file driver starts to handle the
// completion of one of its file operations (before anything else). For
// tests only (see export_test.go): a hook that panics stands for a bug in
// the driver, to check that the restart fails the stream with ErrInternal.
var fileIOHook atomic.Pointer[func(peer *actor.PID, op string)]

// fileFlushHook, if set, runs as a file driver's flush hands on one
// message for its peer, before it does. For tests only (see
// export_test.go): a hook that panics stands for a bug met half-way
// through a flush.
var fileFlushHook atomic.Pointer[func(peer *actor.PID, item any)]

// start runs op, a file operation of kind, on the runner; its result
// comes back as an ioDone. A panic in it (in the File's code, or in
// FileOptions.Commit) comes back as that operation's error, and fails the
// stream: it must not take the process down from the runner's goroutine,
// which the caller does not own.
func (d *driver) start(kind ioKind, op func() *ioDone) {
	d.busy = true
	d.ops++
	if kind == ioClose {
		d.closing = true
	}
	sys, self, seq := d.sys, d.self, d.ops
	d.run.Run(func() {
		var done *ioDone
		if err := safely(sys, func() { done = op() }); err != nil {
			done = &ioDone{kind: kind, err: err}
		}
		done.seq = seq
		sys.Send(self, done)
	})
}

// safely runs f, a caller's code on the runner, and returns a panic in it
// as an error (logged too).
func safely(sys *actors.System, f func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errors.Errorf("streamactor: file driver: the caller's code panicked: %v", p)
			sys.Logger().Error("streamactor: a file operation, Commit or Discard panicked", slog.String("panic", fmt.Sprint(p)))
		}
	}()
	f()
	return nil
}

// flush sends what the core emitted to the peer. Each message is handed
// on once: the mark moves past it first, so that if handing it on panics
// (a bug), the restart drops the rest instead of handing it on again.
func (d *driver) flush(ctx actor.Context) {
	out := d.core.Output()
	hook := fileFlushHook.Load()
	for d.sent < len(out.ToPeer) {
		m := out.ToPeer[d.sent]
		d.sent++
		if hook != nil {
			(*hook)(d.peer, m)
		}
		sendToPeer(ctx, d.peer, m)
	}
	d.core.ResetOutput()
	d.sent = 0
}

// dropUnsent forgets the segments and credits that a flush cut short by a
// panic did not hand on (as the stream actor's dropUnsent does): the
// stream is failed at once, and the peer must hear nothing but the Close,
// not a segment past the one lost in the panic. A Close is kept.
func (d *driver) dropUnsent() { dropUnsentToPeer(d.core.Output(), d.sent) }

// restarted runs when the driver's actor restarts after a panic in
// Receive (a bug), as the stream actor's restart does: the producer
// returns this same actor, whose state may be broken, so the stream is
// failed with ErrInternal (the peer is told, unless the end was over
// already). The completion being handled when the panic struck is not
// delivered again: settle does what its operation's end requires (a
// segment it carried goes back to its pool, a closed file is released).
// The caller then goes on as after any message: the failed stream's file
// is closed (and discarded) and the actor stops.
func (d *driver) restarted(settle func(m *ioDone)) {
	d.dropUnsent()
	d.core.Fail(errors.Wrap(ErrInternal, "file driver restarted after a panic"))
	if m := d.cur; m != nil {
		d.cur = nil
		if m.seq == d.ops {
			d.busy = false // no other operation was started since
		}
		settle(m)
	}
}

// ioHook runs fileIOHook, if set, for the completion m.
func (d *driver) ioHook(m *ioDone) {
	if hook := fileIOHook.Load(); hook != nil {
		(*hook)(d.peer, m.kind.String())
	}
}

// fail aborts the stream for err (the peer sees it).
func (d *driver) fail(err error) { d.core.Fail(err) }

// closeFile closes the file without reporting (after a failure, or when
// the actor stops), unless a Close was given already, and releases the
// runner (running Discard).
func (d *driver) closeFile() {
	if d.closed {
		return
	}
	d.closed = true
	if !d.closing {
		d.closing = true
		f, sys := d.f, d.sys
		d.run.Run(func() { _ = safely(sys, func() { _ = f.Close() }) })
	}
	d.release()
}

// release ends the driver's use of the runner after the file was closed
// (or behind the operation that closes it), running Discard first unless
// the file was committed. Once.
func (d *driver) release() {
	if d.released {
		return
	}
	d.released = true
	if discard, committed, sys := d.discard, d.committed, d.sys; discard != nil {
		d.discard = nil
		d.run.Run(func() {
			if committed == nil || !committed.Load() {
				_ = safely(sys, discard)
			}
		})
	}
	d.run.Stop()
}

// stopping handles the actor stopping (the system closing, or a panic
// the supervisor would not restart again): the stream is aborted and the
// file closed, or, if it is closed already (a Commit may be running),
// the runner released behind it: Discard still runs if the Commit fails.
func (d *driver) stopping(ctx actor.Context) {
	d.dropUnsent() // stopped after a panic in flush: see restarted
	d.core.Abort(errors.Wrap(ErrClosed, "file driver stopped"))
	d.flush(ctx)
	if d.closed {
		d.release()
		return
	}
	d.closeFile()
}

// over reports whether the stream is over for the driver.
func (d *driver) over() bool {
	s := d.core.State()
	return s == StateAborted || s == StateFinished
}

// spawnDriver starts a driver actor on sys.
func spawnDriver(sys *actors.System, a actor.Actor) (*actor.PID, error) {
	pid, err := sys.Spawn(actor.PropsFromProducer(func() actor.Actor { return a }, actors.HotPath()...))
	if err != nil {
		return nil, errors.Wrap(err, "streamactor: start file driver")
	}
	return pid, nil
}

// driverStart is sent to a driver once its peer is attached: only then
// may it emit (a sink its window, a source its first segment).
type driverStart struct{}

// driverAbandon is sent to a driver, instead of driverStart, when its
// peer refused to be attached (ErrAttached): the driver must not say a
// word to that peer, whose actor would take a Close for its own peer's
// abort. It forgets the peer and stops (closing the file).
type driverAbandon struct{}

// abandon handles driverAbandon.
func (d *driver) abandon(ctx actor.Context) {
	d.peer = nil // what stopping emits (a Close, a sink's window) goes nowhere
	ctx.Stop(ctx.Self())
}

// attachDriver attaches st to a file driver: the driver's end takes role,
// st the other one. build makes the driver's actor around d. If st
// refuses (it is attached already, or closed), st is left as it was and
// the driver stops without a word to it, closing f.
func attachDriver(st *Stream, f File, opts FileOptions, name string, role Role, build func(d driver) actor.Actor) error {
	if st == nil {
		return errors.Wrapf(ErrBadOption, "%s: nil stream", name)
	}
	pid, err := spawnFileDriver(st.sys, f, opts, st.cfg, name, role, st.pid, build)
	if err != nil {
		return err
	}
	other := RoleSender
	if role == RoleSender {
		other = RoleReceiver
	}
	if err := st.attach(context.Background(), other, pid); err != nil {
		// Not st.sys.Stop: a stopping driver aborts its end and tells its
		// peer, and st's actor would take that for an abort of the stream
		// st is already part of.
		st.sys.Send(pid, &driverAbandon{})
		return errors.Wrap(err, name)
	}
	st.sys.Send(pid, &driverStart{})
	return nil
}

// startDriver starts a file driver whose peer is an actor speaking the
// stream protocol (see StartFileSource), at once.
func startDriver(sys *actors.System, f File, opts FileOptions, peer *actor.PID, sopts []Option, name string, role Role, build func(d driver) actor.Actor) (*actor.PID, error) {
	if peer == nil {
		return nil, errors.Wrapf(ErrBadOption, "%s: nil peer", name)
	}
	cfg, err := NewConfig(sopts...)
	if err != nil {
		return nil, err
	}
	pid, err := spawnFileDriver(sys, f, opts, cfg, name, role, peer, build)
	if err != nil {
		return nil, err
	}
	sys.Send(pid, &driverStart{})
	return pid, nil
}

// spawnFileDriver checks the arguments and spawns a driver actor whose
// end is attached as role and faces peer; it waits for driverStart.
func spawnFileDriver(sys *actors.System, f File, opts FileOptions, cfg Config, name string, role Role, peer *actor.PID, build func(d driver) actor.Actor) (*actor.PID, error) {
	if sys == nil {
		return nil, errors.Wrapf(ErrBadOption, "%s: nil system", name)
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	if f == nil {
		return nil, errors.Wrapf(ErrBadOption, "%s: nil file", name)
	}
	if p, ok := f.(interface{ writesAtOffsets() bool }); ok && role == RoleReceiver && !p.writesAtOffsets() {
		return nil, errors.Wrapf(ErrBadOption, "%s: the file was opened with O_APPEND, but a sink writes at offsets (open it without O_APPEND, or copy with Stream.WriteTo, which appends)", name)
	}
	core := NewCore(cfg)
	if err := core.Attach(role); err != nil {
		return nil, err
	}
	d := driver{sys: sys, core: core, f: f, run: opts.runner(f), peer: peer, discard: opts.Discard, committed: new(atomic.Bool)}
	pid, err := spawnDriver(sys, build(d))
	if err != nil {
		d.run.Stop()
		return nil, err
	}
	return pid, nil
}
