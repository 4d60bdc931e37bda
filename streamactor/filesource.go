package streamactor

import (
	"io"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// AttachFileSource makes st the receiving end of a download from f
// (libvirt's virStorageVolDownload into a stream): a driver actor reads f
// from opts.Offset (opts.Length bytes, or to the end) and sends it into
// st. On a Sparse stream it finds data and holes with SeekData/SeekHole
// and sends holes as holes; otherwise holes arrive as zeros (still
// without reading them from the disk). After the last byte it closes f
// (a failure to close is a stream error) and sends the end of the stream;
// st's Recv then returns io.EOF and st's Finish confirms. A read error
// aborts the stream with that error. The file's size when the download
// starts is where it ends: a file that ends before (truncated while
// being read) aborts the stream with an error that
// Is(io.ErrUnexpectedEOF), never an end of stream after a short or
// zero-filled copy. The driver owns f from now on. If st cannot be
// attached (ErrAttached: it has a peer already; ErrClosed), st is left as
// it was, and the driver closes f and stops.
func AttachFileSource(st *Stream, f File, opts FileOptions) error {
	return attachDriver(st, f, opts, "file source", RoleSender, sourceBuilder(opts))
}

// StartFileSource starts a file source whose stream end faces peer, an
// actor that speaks the stream protocol for the receiving end (a
// transport's proxy, such as package streamactor/remote's link), instead
// of a Stream of this system. sopts configure the stream (Sparse,
// MaxSegment; they must match the receiving end's). It never waits, so
// an actor may call it; the driver owns f from now on and returns the
// driver's PID.
func StartFileSource(sys *actors.System, f File, opts FileOptions, peer *actor.PID, sopts ...Option) (*actor.PID, error) {
	return startDriver(sys, f, opts, peer, sopts, "file source", RoleSender, sourceBuilder(opts))
}

func sourceBuilder(opts FileOptions) func(d driver) actor.Actor {
	return func(d driver) actor.Actor {
		d.discard = nil // sinks only
		return &fileSource{driver: d, off: opts.Offset, length: opts.Length, end: -1, secLen: -1}
	}
}

// fileSource is the download driver.
type fileSource struct {
	driver
	started          bool
	off, length, end int64
	// The section at off: unknown (secLen < 0), data or hole.
	secData bool
	secLen  int64
	noSeek  bool // no SEEK_DATA: everything is data
	eofSent bool
}

func (s *fileSource) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		s.self = ctx.Self()
		return
	case *driverStart:
		s.started = true
	case *driverAbandon:
		s.abandon(ctx)
		return
	case *Credit:
		s.core.Deliver(m)
		m.release()
	case *Close:
		s.core.Deliver(m)
	case *Segment:
		s.core.Deliver(m) // a protocol error: the core aborts
	case *ioDone:
		s.cur = m
		s.ioHook(m)
		s.busy = false
		s.done(m)
	case *actor.Restarting:
		s.restarted(s.settle)
	case *actor.Stopping:
		s.stopping(ctx)
		return
	default:
		return
	}
	s.cur = nil
	if !s.started {
		return
	}
	s.pump(ctx)
	s.flush(ctx)
	if s.closed && !s.busy && s.over() {
		ctx.Stop(ctx.Self())
	}
}

// settle ends the file operation m once the stream is over: what it read
// goes back to its pool, and a close releases the runner.
func (s *fileSource) settle(m *ioDone) {
	if m.seg != nil {
		m.seg.release()
		m.seg = nil
	}
	if m.kind == ioClose {
		s.closed = true
		s.release()
	}
}

// pump starts the next file operation, or sends what needs no I/O.
func (s *fileSource) pump(ctx actor.Context) {
	for !s.busy && !s.closed {
		if s.over() {
			s.closeFile()
			return
		}
		if s.eofSent {
			return // waiting for the receiver to finish or abort
		}
		if s.end < 0 {
			s.start(ioSize, func() *ioDone { n, err := s.f.Size(); return &ioDone{kind: ioSize, pos: n, err: err} })
			return
		}
		if s.off >= s.end {
			f := s.f
			s.start(ioClose, func() *ioDone { return &ioDone{kind: ioClose, err: f.Close()} })
			return
		}
		if s.secLen < 0 {
			if s.noSeek {
				s.secData, s.secLen = true, s.end-s.off
				continue
			}
			f, off := s.f, s.off
			s.start(ioSeekData, func() *ioDone { pos, err := f.SeekData(off); return &ioDone{kind: ioSeekData, pos: pos, err: err} })
			return
		}
		if !s.secData {
			if !s.sendHole() {
				return // no credit yet
			}
			continue
		}
		n := int(min(s.secLen, int64(s.core.cfg.MaxSegment)))
		if !s.core.CanSend(segmentCost(n)) {
			return
		}
		seg, f, off := getData(n), s.f, s.off
		s.start(ioRead, func() *ioDone {
			k, err := f.ReadAt(seg.Data, off)
			return &ioDone{kind: ioRead, seg: seg, n: k, pos: off, err: err}
		})
		return
	}
}

// sendHole sends the hole at off: as a hole on a sparse stream, as zeros
// otherwise. It reports false when it must wait for credit.
func (s *fileSource) sendHole() bool {
	if s.core.cfg.Sparse {
		if !s.core.CanSend(SegmentOverhead) {
			return false
		}
		s.core.SendSegment(getHole(s.secLen))
		s.off += s.secLen
		s.secLen = -1
		return true
	}
	n := int(min(s.secLen, int64(s.core.cfg.MaxSegment)))
	if !s.core.CanSend(segmentCost(n)) {
		return false
	}
	seg := getData(n)
	clear(seg.Data)
	s.core.SendSegment(seg)
	s.off += int64(n)
	if s.secLen -= int64(n); s.secLen == 0 {
		s.secLen = -1
	}
	return true
}

func (s *fileSource) done(m *ioDone) {
	if s.over() {
		s.settle(m)
		return
	}
	switch m.kind {
	case ioSize:
		if m.err == nil && m.pos < 0 {
			m.err = errors.Errorf("negative size %d", m.pos)
		}
		if m.err != nil {
			s.fail(errors.Wrap(m.err, "streamactor: file source: size"))
			return
		}
		if s.end >= 0 {
			// The check after SEEK_DATA found only a hole after off:
			// the file must still reach the end it had.
			if m.pos < s.end {
				s.fail(errors.Wrapf(io.ErrUnexpectedEOF, "streamactor: file source: the file shrank to %d bytes while being read (from %d to %d)", m.pos, s.off, s.end))
				return
			}
			s.secData, s.secLen = false, s.end-s.off
			return
		}
		s.end = m.pos
		if s.length > 0 {
			// Saturated: Offset+Length past the largest offset means
			// "to the end" (a wrapped, negative end would read as a size
			// still unknown, and the source ask for it forever).
			s.end = min(s.end, addSat(s.off, s.length))
		}
	case ioSeekData:
		switch {
		case m.err == nil && m.pos > s.off:
			s.secData, s.secLen = false, min(m.pos, s.end)-s.off
		case m.err == nil:
			f, off := s.f, s.off
			s.start(ioSeekHole, func() *ioDone { pos, err := f.SeekHole(off); return &ioDone{kind: ioSeekHole, pos: pos, err: err} })
		case noData(m.err):
			// Only a hole up to the end of the file, or the file ends
			// before off: truncated under the source. Its size tells.
			f := s.f
			s.start(ioSize, func() *ioDone { n, err := f.Size(); return &ioDone{kind: ioSize, pos: n, err: err} })
		case errors.Is(m.err, ErrNoSparseInfo):
			s.noSeek = true
		default:
			s.fail(errors.Wrapf(m.err, "streamactor: file source: seek data at %d", s.off))
		}
	case ioSeekHole:
		if m.err != nil {
			s.fail(errors.Wrapf(m.err, "streamactor: file source: seek hole at %d", s.off))
			return
		}
		s.secData, s.secLen = true, min(max(m.pos, s.off+1), s.end)-s.off
	case ioRead:
		if m.n == 0 {
			m.seg.release()
			m.seg = nil
			err := m.err
			if err == nil || err == io.EOF {
				err = errors.Wrapf(io.ErrUnexpectedEOF, "file ended at %d, before %d (it shrank while being read)", s.off, s.end)
			}
			s.fail(errors.Wrapf(err, "streamactor: file source: read at %d", s.off))
			return
		}
		seg := m.seg
		m.seg = nil
		seg.Data = seg.Data[:m.n]
		s.core.SendSegment(seg) // the credit was there when the read started
		s.off += int64(m.n)
		if s.secLen -= int64(m.n); s.secLen == 0 {
			s.secLen = -1
		}
	case ioClose:
		s.closed = true
		s.release()
		if m.err != nil {
			s.fail(errors.Wrap(m.err, "streamactor: file source: close"))
			return
		}
		s.fin = Op{Kind: OpFinish}
		s.core.Submit(&s.fin) // sends EOF; done when the receiver finishes
		s.eofSent = true
	}
}
