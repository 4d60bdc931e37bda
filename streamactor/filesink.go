package streamactor

import (
	"io"
	"math"
	"syscall"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// AttachFileSink makes st the sending end of an upload into f (libvirt's
// virStorageVolUpload from a stream): a driver actor writes what st sends
// into f from opts.Offset. A hole becomes a seek, or a punched hole where
// f already holds data (so nothing stale shows through); a trailing hole
// extends f by truncation. At the end of the stream the driver truncates
// if needed, syncs and closes f, and only then confirms: st's Finish
// returns nil only if every byte and hole reached the file and the sync
// and close succeeded (and opts.Commit, if set). Any failure aborts the
// stream with that error, which st's next call (or its Finish) returns.
// The driver owns f. A file opened with O_APPEND (an OSFile of one) is
// refused up front with ErrBadOption, since the sink writes at offsets
// (Offset, holes as seeks); such an argument error, as a nil file or a
// negative Offset, leaves f to the caller. If st cannot be attached (ErrAttached: it has a
// peer already; ErrClosed), st is left as it was, and the driver closes
// f (running opts.Discard) and stops.
func AttachFileSink(st *Stream, f File, opts FileOptions) error {
	return attachDriver(st, f, opts, "file sink", RoleReceiver, sinkBuilder(opts))
}

// StartFileSink starts a file sink whose stream end faces peer, an actor
// that speaks the stream protocol for the sending end (a transport's
// proxy, such as package streamactor/remote's link), instead of a Stream
// of this system. sopts configure the stream (Sparse, Window,
// MaxSegment); the sink grants its window to peer at once. It never
// waits, so an actor may call it; the driver owns f from now on (a file
// refused up front, as one opened with O_APPEND, stays the caller's).
func StartFileSink(sys *actors.System, f File, opts FileOptions, peer *actor.PID, sopts ...Option) (*actor.PID, error) {
	return startDriver(sys, f, opts, peer, sopts, "file sink", RoleReceiver, sinkBuilder(opts))
}

func sinkBuilder(opts FileOptions) func(d driver) actor.Actor {
	return func(d driver) actor.Actor {
		k := &fileSink{driver: d, from: opts.Offset, off: opts.Offset, size: -1, commit: opts.Commit}
		if opts.Length > 0 {
			k.limit = addSat(opts.Offset, opts.Length) // past the largest offset: no limit but that one
		}
		return k
	}
}

// fileSink is the upload driver.
type fileSink struct {
	driver
	started bool
	from    int64 // where the stream starts (Offset)
	off     int64 // where the next byte goes
	size    int64 // the file's size as far as we know (-1: not yet asked)
	limit   int64 // offset + length, or 0
	phase   sinkPhase
	commit  func() error // FileOptions.Commit
}

type sinkPhase uint8

const (
	sinkWriting sinkPhase = iota
	sinkTruncated
	sinkSynced
	sinkClosed
	sinkDone
)

func (k *fileSink) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		k.self = ctx.Self()
		return
	case *driverStart:
		k.started = true
	case *driverAbandon:
		k.abandon(ctx)
		return
	case *Segment:
		k.core.Deliver(m)
	case *Close:
		k.core.Deliver(m)
	case *Credit:
		k.core.Deliver(m) // a protocol error: the core aborts
		m.release()
	case *ioDone:
		k.cur = m
		k.ioHook(m)
		k.busy = false
		k.done(m)
	case *actor.Restarting:
		k.restarted(k.settle)
	case *actor.Stopping:
		k.stopping(ctx)
		return
	default:
		return
	}
	k.cur = nil
	if !k.started {
		return // the initial credit waits until the sender is attached
	}
	k.pump()
	k.flush(ctx)
	if k.closed && !k.busy && k.over() {
		ctx.Stop(ctx.Self())
	}
}

func (k *fileSink) pump() {
	for !k.busy && !k.closed {
		if k.over() {
			k.closeFile()
			return
		}
		if k.size < 0 {
			f := k.f
			k.start(ioSize, func() *ioDone { n, err := f.Size(); return &ioDone{kind: ioSize, pos: n, err: err} })
			return
		}
		seg, used := k.core.HeadSegment()
		if seg == nil {
			if k.core.ConsumeEOF() {
				k.finish()
			}
			return
		}
		switch seg.Kind {
		case SegData:
			p := seg.Data[used:]
			if k.limit > 0 && int64(len(p)) > k.limit-k.off {
				if k.off >= k.limit {
					k.fail(errors.Wrapf(ErrLength, "data of %d bytes at %d, length ends at %d", len(p), k.off, k.limit))
					continue
				}
				// Write what fits (libvirt clamps the write); the rest
				// fails the stream next time round.
				p = p[:k.limit-k.off]
			}
			f, off := k.f, k.off
			k.core.HoldHead() // p is the segment's: out of its pool until the write is over
			k.start(ioWrite, func() *ioDone { n, err := f.WriteAt(p, off); return &ioDone{kind: ioWrite, n: n, pos: off, err: err} })
			return
		case SegHole:
			n := seg.Hole - used
			if k.off > math.MaxInt64-n {
				// Holes of any length are valid, but the file cannot end
				// past the largest offset (the sum would wrap around, and
				// the trailing truncation be skipped).
				k.fail(errors.Wrapf(syscall.EFBIG, "streamactor: file sink: hole of %d bytes at %d ends past the largest file offset", n, k.off))
				continue
			}
			fits := n
			if k.limit > 0 && k.off+n > k.limit {
				if k.off >= k.limit {
					k.fail(errors.Wrapf(ErrLength, "hole of %d bytes at %d, length ends at %d", n, k.off, k.limit))
					continue
				}
				// Clear what fits (libvirt clamps the hole, as the write
				// of data); the rest fails the stream next time round.
				fits = k.limit - k.off
			}
			if k.off < k.size {
				// Data already there: punch it out (or write zeros) so
				// that the hole reads as zeros.
				f, off, span := k.f, k.off, min(fits, k.size-k.off)
				k.start(ioPunch, func() *ioDone { return &ioDone{kind: ioPunch, span: span, pos: off, err: clearRange(f, off, span)} })
				return
			}
			if fits < n {
				// The part that fits ends the file at the limit, as data
				// would: extend it now, since the failure that follows
				// skips the trailing truncation.
				f, off, size := k.f, k.off, k.limit
				k.start(ioTruncate, func() *ioDone {
					return &ioDone{kind: ioTruncate, span: size - off, pos: size, err: f.Truncate(size)}
				})
				return
			}
			k.off += n
			k.core.ConsumeHead(n)
		}
	}
}

// finish runs the end of the upload: truncate for a trailing hole, sync,
// close, then confirm to the sender.
func (k *fileSink) finish() {
	f := k.f
	switch k.phase {
	case sinkWriting:
		// Only what the stream covered extends the file (a trailing
		// hole): an empty stream past the end leaves the size alone.
		if k.off > k.size && k.off > k.from {
			size := k.off
			k.start(ioTruncate, func() *ioDone { return &ioDone{kind: ioTruncate, pos: size, err: f.Truncate(size)} })
			return
		}
		k.phase = sinkTruncated
		fallthrough
	case sinkTruncated:
		k.start(ioSync, func() *ioDone { return &ioDone{kind: ioSync, err: f.Sync()} })
	case sinkSynced:
		k.start(ioClose, func() *ioDone { return &ioDone{kind: ioClose, err: f.Close()} })
	case sinkClosed:
		commit, committed := k.commit, k.committed
		k.start(ioCommit, func() *ioDone {
			err := commit()
			committed.Store(err == nil) // for a Discard queued behind it (stopping)
			return &ioDone{kind: ioCommit, err: err}
		})
	}
}

// confirm ends the upload once everything is in place: the sender's
// Finish returns nil.
func (k *fileSink) confirm() {
	k.phase = sinkDone
	k.discard = nil // committed (or nothing to commit): nothing to throw away
	k.release()
	k.fin = Op{Kind: OpFinish}
	k.core.Submit(&k.fin)
}

// settle ends the file operation m once the stream is over: a write's
// segment is no longer read, a closed file is released (discarded unless
// committed).
func (k *fileSink) settle(m *ioDone) {
	switch m.kind {
	case ioWrite:
		k.core.ReleaseHeld()
	case ioCommit:
		if m.err == nil {
			k.discard = nil // in place: nothing to throw away
		}
		k.release()
	case ioClose, ioDiscarded:
		k.closed = true
		k.release()
	}
}

func (k *fileSink) done(m *ioDone) {
	if m.kind == ioWrite {
		k.core.ReleaseHeld()
	}
	if m.kind == ioCommit && m.err == nil {
		k.discard = nil // in place: nothing to throw away, whatever comes next
	}
	if m.kind == ioDiscarded {
		// The uncommitted file is gone: now the sender may hear why.
		k.closed = true
		k.release()
		if !k.over() {
			k.fail(errors.Wrapf(m.err, "streamactor: file sink: %s at %d", m.of, m.pos))
		}
		return
	}
	if k.over() {
		k.settle(m)
		return
	}
	if m.err != nil {
		if m.kind == ioClose || m.kind == ioCommit {
			if discard := k.discard; discard != nil {
				// Throw the file away before the sender hears of the
				// failure, so that a failed Finish leaves nothing behind.
				k.discard = nil
				failed, sys := *m, k.sys
				k.start(ioDiscarded, func() *ioDone {
					_ = safely(sys, discard) // the failure to report is the close's or commit's
					return &ioDone{kind: ioDiscarded, of: failed.kind, pos: failed.pos, err: failed.err}
				})
				return
			}
			k.closed = true
			k.release()
		}
		k.fail(errors.Wrapf(m.err, "streamactor: file sink: %s at %d", m.kind, m.pos))
		return
	}
	switch m.kind {
	case ioSize:
		k.size = m.pos
	case ioWrite:
		if m.n <= 0 {
			k.fail(errors.Wrapf(io.ErrShortWrite, "streamactor: file sink: write at %d wrote nothing", m.pos))
			return
		}
		k.off += int64(m.n)
		k.size = max(k.size, k.off)
		k.core.ConsumeHead(int64(m.n)) // a short write: the rest goes next
	case ioPunch:
		// Exactly what was punched: a hole that arrived meanwhile may
		// have merged into the head one, and its range is not clear yet
		// (the next round punches it, or skips it past the end).
		if seg, _ := k.core.HeadSegment(); seg != nil && seg.Kind == SegHole {
			k.off += m.span
			k.core.ConsumeHead(m.span)
		}
	case ioTruncate:
		k.size = m.pos
		if m.span > 0 {
			// The part of a hole that fits before the limit (pump).
			if seg, _ := k.core.HeadSegment(); seg != nil && seg.Kind == SegHole {
				k.off += m.span
				k.core.ConsumeHead(m.span)
			}
			return
		}
		k.phase = sinkTruncated
	case ioSync:
		k.phase = sinkSynced
	case ioClose:
		k.closed = true
		if k.commit == nil {
			k.confirm()
			return
		}
		k.phase = sinkClosed
		k.finish() // the commit
	case ioCommit:
		k.confirm()
	}
}

// clearRange makes [off, off+n) read as zeros: a punched hole, or zeros
// written where the file system cannot punch.
func clearRange(f File, off, n int64) error {
	err := f.PunchHole(off, n)
	if err == nil || !errors.Is(err, ErrNoSparseInfo) {
		return err
	}
	zeros := make([]byte, min(n, 1<<20))
	for n > 0 {
		k, err := f.WriteAt(zeros[:min(n, int64(len(zeros)))], off)
		if err != nil {
			return err
		}
		if k == 0 {
			return io.ErrShortWrite
		}
		off += int64(k)
		n -= int64(k)
	}
	return nil
}
