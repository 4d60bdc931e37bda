package streamactor

import (
	"context"
	"io"
	"math"
	"os"
	"syscall"

	"github.com/pkg/errors"
)

// The Go-native faces: io.Reader, io.Writer, io.ReaderFrom and
// io.WriterTo. They use context.Background (use Send and Recv for
// deadlines). Unlike the *All helpers they do not abort the stream on
// failure: the caller decides (Abort) what a failed copy means.

var (
	_ io.Reader     = (*Stream)(nil)
	_ io.Writer     = (*Stream)(nil)
	_ io.ReaderFrom = (*Stream)(nil)
	_ io.WriterTo   = (*Stream)(nil)
)

// Read implements io.Reader: Recv, holes read as zeros, io.EOF at the
// end of the stream.
func (s *Stream) Read(p []byte) (int, error) {
	return s.Recv(context.Background(), p)
}

// Write implements io.Writer: Send until all of p is sent. On a NonBlock
// stream it returns what was accepted and ErrWouldBlock.
func (s *Stream) Write(p []byte) (int, error) {
	total := 0
	for total < len(p) {
		n, err := s.Send(context.Background(), p[total:])
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// ReadFrom implements io.ReaderFrom: it sends everything r holds. When r
// is an *os.File of a regular file it starts at the file's current
// offset, finds data and holes with SEEK_DATA/SEEK_HOLE, and sends holes
// as holes on a Sparse stream (as zeros otherwise, without reading them);
// at the end the file's offset is at its end. Any other *os.File (a pipe,
// a socket, a device) is read to its end like any io.Reader. It returns
// the bytes covered, holes included, and leaves the file's offset just
// past them, also when it fails (so that a call again, after a NonBlock
// stream's ErrWouldBlock say, goes on there). The file's size when it
// starts is where it ends: a regular file that ends before (truncated
// while being read) fails it with an error that Is(io.ErrUnexpectedEOF).
// (io.Copy(st, f) does not get here: *os.File's own WriteTo comes first.
// Call st.ReadFrom(f).)
//
// On a NonBlock stream, ReadFrom from a reader that is not a regular file
// never loses what it read: a reader cannot take bytes back, so when the
// stream refuses part of a chunk already read (its window is full),
// ReadFrom waits for the credit to send the rest of that chunk (at most
// MaxSegment bytes), then returns the count with ErrWouldBlock; a call
// again goes on with the reader's next bytes.
func (s *Stream) ReadFrom(r io.Reader) (int64, error) {
	if f, ok := r.(*os.File); ok && isRegular(f) {
		return s.readFromFile(f)
	}
	buf := make([]byte, s.cfg.MaxSegment)
	var total int64
	for {
		k, rerr := r.Read(buf)
		if k > 0 {
			sent, werr := s.Write(buf[:k])
			total += int64(sent)
			if errors.Is(werr, ErrWouldBlock) {
				// The rest of buf is out of r: send it, waiting.
				n, err := s.sendWaiting(buf[sent:k])
				total += int64(n)
				if err != nil {
					return total, err
				}
				return total, werr
			}
			if werr != nil {
				return total, werr
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// sendWaiting is a Send that waits for credit even on a NonBlock stream.
func (s *Stream) sendWaiting(p []byte) (int, error) {
	res, err := s.dataCall(context.Background(), func(op *Op) {
		op.Kind, op.Buf = OpSend, p
		requestOf(op).wait = true
	})
	return res.n, err
}

// isRegular reports whether f is a regular file: only those have an
// offset to seek, a size and holes. Others (a pipe, a socket, a terminal,
// a device) are read or written in sequence, as any io.Reader or
// io.Writer, holes as zeros.
func isRegular(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode().IsRegular()
}

// fileStart returns where the regular file f stands, and its size.
func fileStart(f *os.File) (off, size int64, err error) {
	if off, err = f.Seek(0, io.SeekCurrent); err != nil {
		return 0, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	return off, fi.Size(), nil
}

func (s *Stream) readFromFile(f *os.File) (int64, error) {
	ctx := context.Background()
	start, end, err := fileStart(f)
	if err != nil {
		return 0, err
	}
	off := start // the next byte to send: what is before it was sent
	// stop leaves the file's offset just past what was sent, as a read of
	// that much would, so that a call again (after ErrWouldBlock, say)
	// goes on there.
	stop := func(err error) (int64, error) {
		if _, serr := f.Seek(off, io.SeekStart); err == nil {
			err = serr
		}
		return off - start, err
	}
	// shrank is the error for a file that ends before the end it had at
	// the start: truncated under the copy.
	shrank := func() error {
		size := int64(-1)
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		return errors.Wrapf(io.ErrUnexpectedEOF, "streamactor: read from %s: the file shrank to %d bytes while being read (from %d to %d)", f.Name(), size, off, end)
	}
	sparseInfo := true // until SEEK_DATA says otherwise
	buf := make([]byte, s.cfg.MaxSegment)
	var zeros []byte
	for off < end {
		dataAt, holeAt := off, end
		if sparseInfo {
			dataAt, err = seekFile(f, off, seekData)
			switch {
			case noData(err):
				// Only a hole to the end of the file, which must still
				// be the end it had.
				if fi, serr := f.Stat(); serr != nil {
					return stop(serr)
				} else if fi.Size() < end {
					return stop(shrank())
				}
				dataAt = end
			case errors.Is(err, ErrNoSparseInfo):
				sparseInfo, dataAt = false, off
			case err != nil:
				return stop(err)
			}
			if dataAt == off && sparseInfo {
				if holeAt, err = seekFile(f, off, seekHole); err != nil {
					return stop(err)
				}
				holeAt = min(max(holeAt, off+1), end)
			}
		}
		if dataAt > off { // a hole up to dataAt
			n := min(dataAt, end) - off
			if s.cfg.Sparse {
				if err := s.SendHole(ctx, n, 0); err != nil {
					return stop(err)
				}
				off += n
				continue
			}
			if zeros == nil {
				zeros = make([]byte, s.cfg.MaxSegment)
			}
			for holeEnd := off + n; off < holeEnd; {
				k, err := s.Write(zeros[:min(holeEnd-off, int64(len(zeros)))])
				off += int64(k)
				if err != nil {
					return stop(err)
				}
			}
			continue
		}
		for off < holeAt { // data up to holeAt
			k, err := f.ReadAt(buf[:min(int64(len(buf)), holeAt-off)], off)
			if k > 0 {
				// Write sends all of it, or says how much it did.
				sent, werr := s.Write(buf[:k])
				off += int64(sent)
				if werr != nil {
					return stop(werr)
				}
			}
			if err == io.EOF {
				return stop(shrank())
			}
			if err != nil {
				return stop(err)
			}
		}
	}
	return stop(nil)
}

// WriteTo implements io.WriterTo: it writes the rest of the stream to w,
// until the end of the stream. When w is an *os.File of a regular file
// and the stream is Sparse, it writes at the file's current offset and
// turns holes into seeks (punching out data the file already has there),
// then truncates the file to its new end after a trailing hole; any other
// w (a pipe, a socket, a device, a file opened with O_APPEND, where every
// write goes to the end) gets holes as zeros. It returns the bytes
// covered, holes included. It does not call Finish. Holes that end past
// the largest file offset (math.MaxInt64) fail it with an error that
// Is(syscall.EFBIG), as they fail a file sink; the hole is consumed, and
// the count is what was written before it. When it fails, the file's
// offset is left just past what it covered (so that a call again, after
// a NonBlock stream's ErrWouldBlock say, goes on there).
func (s *Stream) WriteTo(w io.Writer) (int64, error) {
	if f, ok := w.(*os.File); ok && s.cfg.Sparse && isRegular(f) && positional(f) {
		return s.writeToFile(f)
	}
	// Only Read: io.CopyBuffer would otherwise call WriteTo again.
	return io.CopyBuffer(w, struct{ io.Reader }{s}, make([]byte, s.cfg.MaxSegment))
}

// positional reports whether f takes writes at an offset: a file opened
// with O_APPEND refuses WriteAt (each write goes to its end), which an
// empty WriteAt says without writing anything.
func positional(f *os.File) bool {
	_, err := f.WriteAt(nil, 0)
	return err == nil
}

func (s *Stream) writeToFile(f *os.File) (int64, error) {
	ctx := context.Background()
	start, size, err := fileStart(f)
	if err != nil {
		return 0, err
	}
	off := start // where the next byte goes: what is before it is written
	// stop leaves the file's offset at off, as writes of that much would,
	// so that a call again (after ErrWouldBlock, say) goes on there.
	stop := func(err error) (int64, error) {
		if _, serr := f.Seek(off, io.SeekStart); err == nil {
			err = serr
		}
		return off - start, err
	}
	buf := make([]byte, s.cfg.MaxSegment)
	for {
		n, err := s.RecvFlags(ctx, buf, RecvStopAtHole)
		switch {
		case err == io.EOF:
			// A trailing hole extends the file; an empty stream past
			// the end does not (as a write of nothing).
			if off > size && off > start {
				if err := f.Truncate(off); err != nil {
					return stop(err)
				}
			}
			return stop(nil)
		case errors.Is(err, ErrHole):
			h, err := s.RecvHole(ctx, 0)
			if err != nil {
				return stop(err)
			}
			if off > math.MaxInt64-h {
				// Holes of any length are valid, but no file ends past
				// the largest offset (nor can the count say so): the
				// file sink's EFBIG, not an offset wrapped around.
				return stop(errors.Wrapf(syscall.EFBIG, "streamactor: write to file: hole of %d bytes at %d ends past the largest file offset", h, off))
			}
			if off < size {
				if err := clearRange(OSFile(f), off, min(h, size-off)); err != nil {
					return stop(err)
				}
			}
			off += h
		case err != nil:
			return stop(err)
		default:
			for p := buf[:n]; len(p) > 0; {
				k, err := f.WriteAt(p, off)
				off += int64(k)
				p = p[k:]
				if err != nil {
					return stop(err)
				}
			}
			size = max(size, off)
		}
	}
}
