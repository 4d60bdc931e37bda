package streamactor

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// driver is what the file source and the file sink share: an actor with
// one stream end (its Core) facing a peer end, and a file whose
// operations run on a Runner, one at a time; each completion comes back
// as an ioDone message.
type driver struct {
	sys    *actors.System
	core   *Core
	peer   *actor.PID
	self   *actor.PID
	f      File
	run    Runner
	busy   bool // a file operation is out
	closed bool // the file is closed (or being closed) and the runner released
	fin    Op   // the driver's own Finish
	// discard runs after the file was closed without being committed
	// (FileOptions.Discard; sinks only).
	discard func()
}

// ioDone is the result of one file operation.
type ioDone struct {
	kind ioKind
	of   ioKind // ioDiscarded: the operation whose failure it follows
	seg  *Segment
	n    int
	pos  int64
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

// start runs op, a file operation of kind, on the runner; its result
// comes back as an ioDone. A panic in it (in the File's code, or in
// FileOptions.Commit) comes back as that operation's error, and fails the
// stream: it must not take the process down from the runner's goroutine,
// which the caller does not own.
func (d *driver) start(kind ioKind, op func() *ioDone) {
	d.busy = true
	sys, self := d.sys, d.self
	d.run.Run(func() {
		var done *ioDone
		if err := safely(sys, func() { done = op() }); err != nil {
			done = &ioDone{kind: kind, err: err}
		}
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

// flush sends what the core emitted to the peer.
func (d *driver) flush(ctx actor.Context) {
	out := d.core.Output()
	for _, m := range out.ToPeer {
		sendToPeer(ctx, d.peer, m)
	}
	d.core.ResetOutput()
}

// fail aborts the stream for err (the peer sees it).
func (d *driver) fail(err error) { d.core.Fail(err) }

// closeFile closes the file without reporting (after a failure, or when
// the actor stops) and releases the runner.
func (d *driver) closeFile() {
	if d.closed {
		return
	}
	d.closed = true
	f, discard, sys := d.f, d.discard, d.sys
	d.discard = nil
	d.run.Run(func() {
		_ = safely(sys, func() { _ = f.Close() })
		if discard != nil {
			_ = safely(sys, discard)
		}
	})
	d.run.Stop()
}

// release ends the driver's use of the runner after the file was closed,
// running Discard first if the file was not committed.
func (d *driver) release() {
	if discard, sys := d.discard, d.sys; discard != nil {
		d.discard = nil
		d.run.Run(func() { _ = safely(sys, discard) })
	}
	d.run.Stop()
}

// stopping handles the actor stopping (the system closing): the stream is
// aborted and the file closed.
func (d *driver) stopping(ctx actor.Context) {
	d.core.Abort(errors.Wrap(ErrClosed, "file driver stopped"))
	d.flush(ctx)
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
	core := NewCore(cfg)
	if err := core.Attach(role); err != nil {
		return nil, err
	}
	d := driver{sys: sys, core: core, f: f, run: opts.runner(f), peer: peer, discard: opts.Discard}
	pid, err := spawnDriver(sys, build(d))
	if err != nil {
		d.run.Stop()
		return nil, err
	}
	return pid, nil
}
