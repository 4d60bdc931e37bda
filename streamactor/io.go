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
// the bytes covered, holes included. (io.Copy(st, f) does not get here:
// *os.File's own WriteTo comes first. Call st.ReadFrom(f).)
func (s *Stream) ReadFrom(r io.Reader) (int64, error) {
	if f, ok := r.(*os.File); ok && isRegular(f) {
		return s.readFromFile(f)
	}
	// Only Write: io.CopyBuffer would otherwise call ReadFrom again.
	return io.CopyBuffer(struct{ io.Writer }{s}, r, make([]byte, s.cfg.MaxSegment))
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
	sparseInfo := true // until SEEK_DATA says otherwise
	buf := make([]byte, s.cfg.MaxSegment)
	var zeros []byte
	off := start
	for off < end {
		dataAt, holeAt := off, end
		if sparseInfo {
			dataAt, err = seekFile(f, off, seekData)
			switch {
			case noData(err):
				dataAt = end
			case errors.Is(err, ErrNoSparseInfo):
				sparseInfo, dataAt = false, off
			case err != nil:
				return off - start, err
			}
			if dataAt == off && sparseInfo {
				if holeAt, err = seekFile(f, off, seekHole); err != nil {
					return off - start, err
				}
				holeAt = min(max(holeAt, off+1), end)
			}
		}
		if dataAt > off { // a hole up to dataAt
			n := min(dataAt, end) - off
			if s.cfg.Sparse {
				if err := s.SendHole(ctx, n, 0); err != nil {
					return off - start, err
				}
			} else {
				if zeros == nil {
					zeros = make([]byte, s.cfg.MaxSegment)
				}
				for left := n; left > 0; {
					k := min(left, int64(len(zeros)))
					if _, err := s.Write(zeros[:k]); err != nil {
						return off + n - left - start, err
					}
					left -= k
				}
			}
			off += n
			continue
		}
		for off < holeAt { // data up to holeAt
			k, err := f.ReadAt(buf[:min(int64(len(buf)), holeAt-off)], off)
			if k > 0 {
				if _, werr := s.Write(buf[:k]); werr != nil {
					return off - start, werr
				}
				off += int64(k)
			}
			if err == io.EOF {
				end = off // the file shrank
				break
			}
			if err != nil {
				return off - start, err
			}
		}
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return off - start, err
	}
	return off - start, nil
}

// WriteTo implements io.WriterTo: it writes the rest of the stream to w,
// until the end of the stream. When w is an *os.File of a regular file
// and the stream is Sparse, it writes at the file's current offset and
// turns holes into seeks (punching out data the file already has there),
// then truncates the file to its new end after a trailing hole; any other
// w (a pipe, a socket, a device) gets holes as zeros. It returns the bytes
// covered, holes included. It does not call Finish. Holes that end past
// the largest file offset (math.MaxInt64) fail it with an error that
// Is(syscall.EFBIG), as they fail a file sink; the hole is consumed, and
// the count is what was written before it.
func (s *Stream) WriteTo(w io.Writer) (int64, error) {
	if f, ok := w.(*os.File); ok && s.cfg.Sparse && isRegular(f) {
		return s.writeToFile(f)
	}
	// Only Read: io.CopyBuffer would otherwise call WriteTo again.
	return io.CopyBuffer(w, struct{ io.Reader }{s}, make([]byte, s.cfg.MaxSegment))
}

func (s *Stream) writeToFile(f *os.File) (int64, error) {
	ctx := context.Background()
	start, size, err := fileStart(f)
	if err != nil {
		return 0, err
	}
	off := start
	buf := make([]byte, s.cfg.MaxSegment)
	for {
		n, err := s.RecvFlags(ctx, buf, RecvStopAtHole)
		switch {
		case err == io.EOF:
			if off > size {
				if err := f.Truncate(off); err != nil {
					return off - start, err
				}
			}
			if _, err := f.Seek(off, io.SeekStart); err != nil {
				return off - start, err
			}
			return off - start, nil
		case errors.Is(err, ErrHole):
			h, err := s.RecvHole(ctx, 0)
			if err != nil {
				return off - start, err
			}
			if off > math.MaxInt64-h {
				// Holes of any length are valid, but no file ends past
				// the largest offset (nor can the count say so): the
				// file sink's EFBIG, not an offset wrapped around.
				return off - start, errors.Wrapf(syscall.EFBIG, "streamactor: write to file: hole of %d bytes at %d ends past the largest file offset", h, off)
			}
			if off < size {
				if err := clearRange(OSFile(f), off, min(h, size-off)); err != nil {
					return off - start, err
				}
			}
			off += h
		case err != nil:
			return off - start, err
		default:
			for p := buf[:n]; len(p) > 0; {
				k, err := f.WriteAt(p, off)
				off += int64(k)
				p = p[k:]
				if err != nil {
					return off - start, err
				}
			}
			size = max(size, off)
		}
	}
}
