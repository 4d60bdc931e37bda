package streamactor

import (
	"context"
	"fmt"
	"io"

	"github.com/pkg/errors"
)

// The *All helpers move a whole stream between the stream and a data
// source or sink given as functions, for callers doing blocking I/O
// (libvirt's virStreamSendAll and friends). They refuse NonBlock streams,
// do not call Finish (the caller does, to learn whether everything
// arrived), and on any failure abort the stream, with the original error
// as the reason the other end sees, and return that error (errors.Is
// finds it). A callback that panics aborts the stream too, then the panic
// goes on.

// Source fills p with up to len(p) bytes (virStreamSourceFunc) and
// returns how many. It returns io.EOF (with or without bytes), or 0 and
// nil, at the end of the data.
type Source func(st *Stream, p []byte) (int, error)

// Sink takes the bytes of p (virStreamSinkFunc) and returns how many it
// consumed, at least one; it is called again with the rest.
type Sink func(st *Stream, p []byte) (int, error)

// SourceHole tells where the source stands (virStreamSourceHoleFunc),
// without moving: in data or in a hole, and how many bytes are left in
// that section. (false, 0) means the end of the data.
type SourceHole func(st *Stream) (inData bool, length int64, err error)

// SourceSkip moves the source past a hole of length bytes
// (virStreamSourceSkipFunc).
type SourceSkip func(st *Stream, length int64) error

// SinkHole creates length bytes of empty space in the target
// (virStreamSinkHoleFunc).
type SinkHole func(st *Stream, length int64) error

// SendAll sends everything src produces (virStreamSendAll).
func SendAll(ctx context.Context, st *Stream, src Source) (err error) {
	if err := st.allCheck(ctx, "send all", src != nil); err != nil {
		return err
	}
	defer st.abortOnPanic(ctx)
	buf := make([]byte, st.cfg.MaxSegment)
	for {
		n, serr := callSource(src, st, buf)
		if serr != nil && serr != io.EOF {
			return st.allFail(ctx, errors.Wrap(serr, "streamactor: send all: source"))
		}
		if n > 0 {
			if _, err := st.Send(ctx, buf[:n]); err != nil {
				return st.allFail(ctx, errors.Wrap(err, "streamactor: send all"))
			}
		}
		if serr == io.EOF || n == 0 {
			return nil
		}
	}
}

// SparseSendAll sends everything src produces, sending holes where
// holeFn reports them and skipping them in the source with skipFn
// (virStreamSparseSendAll). A zero-length hole is never sent.
func SparseSendAll(ctx context.Context, st *Stream, src Source, holeFn SourceHole, skipFn SourceSkip) error {
	if err := st.allCheck(ctx, "sparse send all", src != nil && holeFn != nil && skipFn != nil); err != nil {
		return err
	}
	defer st.abortOnPanic(ctx)
	buf := make([]byte, st.cfg.MaxSegment)
	var dataLen int64
	for {
		if dataLen == 0 {
			inData, length, err := holeFn(st)
			if err != nil {
				return st.allFail(ctx, errors.Wrap(err, "streamactor: sparse send all: hole function"))
			}
			if length < 0 {
				return st.allFail(ctx, errors.Wrapf(ErrBadCallback, "sparse send all: hole function returned length %d", length))
			}
			if !inData && length > 0 {
				if err := st.SendHole(ctx, length, 0); err != nil {
					return st.allFail(ctx, errors.Wrap(err, "streamactor: sparse send all"))
				}
				if err := skipFn(st, length); err != nil {
					return st.allFail(ctx, errors.Wrap(err, "streamactor: sparse send all: skip function"))
				}
				continue
			}
			if length == 0 {
				return nil // (in data or not) nothing left: the end
			}
			dataLen = length
		}
		want := int64(len(buf)) // reset every time (libvirt c:9b991d0237)
		if want > dataLen {
			want = dataLen
		}
		n, serr := callSource(src, st, buf[:want])
		if serr != nil && serr != io.EOF {
			return st.allFail(ctx, errors.Wrap(serr, "streamactor: sparse send all: source"))
		}
		if n > 0 {
			if _, err := st.Send(ctx, buf[:n]); err != nil {
				return st.allFail(ctx, errors.Wrap(err, "streamactor: sparse send all"))
			}
			dataLen -= int64(n)
		}
		if serr == io.EOF || n == 0 {
			return nil
		}
	}
}

// RecvAll hands everything the stream carries to sink, holes as zeros
// (virStreamRecvAll). It returns nil at the end of the stream.
func RecvAll(ctx context.Context, st *Stream, sink Sink) error {
	return st.recvAll(ctx, "recv all", sink, nil)
}

// SparseRecvAll hands the stream's data to sink and its holes to holeFn
// (virStreamSparseRecvAll). It returns nil at the end of the stream.
func SparseRecvAll(ctx context.Context, st *Stream, sink Sink, holeFn SinkHole) error {
	if holeFn == nil {
		return st.recvAll(ctx, "sparse recv all", nil, nil)
	}
	return st.recvAll(ctx, "sparse recv all", sink, holeFn)
}

func (s *Stream) recvAll(ctx context.Context, name string, sink Sink, holeFn SinkHole) error {
	if err := s.allCheck(ctx, name, sink != nil); err != nil {
		return err
	}
	defer s.abortOnPanic(ctx)
	buf := make([]byte, s.cfg.MaxSegment)
	var flags RecvFlag
	if holeFn != nil {
		flags = RecvStopAtHole
	}
	for {
		n, err := s.RecvFlags(ctx, buf, flags)
		switch {
		case err == io.EOF:
			return nil
		case errors.Is(err, ErrHole):
			length, err := s.RecvHole(ctx, 0)
			if err != nil {
				return s.allFail(ctx, errors.Wrapf(err, "streamactor: %s", name))
			}
			if length > 0 {
				if err := holeFn(s, length); err != nil {
					return s.allFail(ctx, errors.Wrapf(err, "streamactor: %s: hole function", name))
				}
			}
			continue
		case err != nil:
			return s.allFail(ctx, errors.Wrapf(err, "streamactor: %s", name))
		}
		for off := 0; off < n; {
			k, err := sink(s, buf[off:n])
			if err != nil {
				return s.allFail(ctx, errors.Wrapf(err, "streamactor: %s: sink", name))
			}
			if k <= 0 || k > n-off {
				return s.allFail(ctx, errors.Wrapf(ErrBadCallback, "%s: sink took %d of %d bytes", name, k, n-off))
			}
			off += k
		}
	}
}

// allCheck refuses what libvirt refuses before moving anything, and
// aborts the stream as libvirt does. A nil stream is refused (there is
// nothing to abort).
func (s *Stream) allCheck(ctx context.Context, name string, funcsOK bool) error {
	switch {
	case s == nil:
		return errors.Wrapf(ErrBadOption, "%s: nil stream", name)
	case s.cfg.NonBlock:
		return s.allFail(ctx, errors.Wrap(ErrNonBlockAll, name))
	case !funcsOK:
		return s.allFail(ctx, errors.Wrapf(ErrBadCallback, "%s: nil function", name))
	}
	return nil
}

// allFail aborts the stream with err as the reason and returns err.
func (s *Stream) allFail(ctx context.Context, err error) error {
	if aerr := s.abort(context.WithoutCancel(ctx), err); aerr != nil && !errors.Is(aerr, ErrFreed) {
		return errors.Wrapf(err, "(and abort failed: %v)", aerr)
	}
	return err
}

// abortOnPanic aborts the stream if a callback panics, then re-panics.
func (s *Stream) abortOnPanic(ctx context.Context) {
	if p := recover(); p != nil {
		_ = s.abort(context.WithoutCancel(ctx), errors.Errorf("streamactor: callback panicked: %v", p))
		panic(p)
	}
}

// callSource calls src and checks what it returned.
func callSource(src Source, st *Stream, p []byte) (int, error) {
	n, err := src(st, p)
	if n < 0 || n > len(p) {
		return 0, errors.Wrapf(ErrBadCallback, "source returned %d for a buffer of %d", n, len(p))
	}
	return n, err
}

var _ = fmt.Sprint
