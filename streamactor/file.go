package streamactor

import (
	"syscall"

	"github.com/pkg/errors"
)

// File is what the file drivers need of a file: positional reads and
// writes with the kernel's semantics (a short count with a nil error is
// allowed and retried), the SEEK_DATA/SEEK_HOLE probes, hole punching,
// truncation and sync. OSFile adapts an *os.File; package sim provides a
// simulated sparse file with fault injection.
type File interface {
	// ReadAt reads up to len(p) bytes at off (pread). io.EOF at the end.
	ReadAt(p []byte, off int64) (int, error)
	// WriteAt writes up to len(p) bytes at off (pwrite).
	WriteAt(p []byte, off int64) (int, error)
	// SeekData returns the first data offset ≥ off (lseek SEEK_DATA).
	// When only a hole follows off, the error Is(syscall.ENXIO); when the
	// file system cannot tell, it Is(ErrNoSparseInfo).
	SeekData(off int64) (int64, error)
	// SeekHole returns the first hole offset ≥ off; the end of the file
	// counts as a hole (lseek SEEK_HOLE).
	SeekHole(off int64) (int64, error)
	// PunchHole deallocates [off, off+n) so that it reads as zeros,
	// keeping the size. When the file system cannot, the error
	// Is(ErrNoSparseInfo) and the driver writes zeros instead.
	PunchHole(off, n int64) error
	// Truncate sets the size.
	Truncate(size int64) error
	// Sync makes everything written durable (fsync).
	Sync() error
	// Size returns the current size.
	Size() (int64, error)
	// Close closes the file.
	Close() error
}

// ErrNoSparseInfo: the file system cannot report or make holes (no
// SEEK_DATA, no hole punching). The source then treats the file as all
// data, and the sink writes zeros.
var ErrNoSparseInfo = errors.New("streamactor: file system has no sparse-file support")

// Runner runs a driver's file operations outside the actors, one at a
// time, in the order given. Run never blocks its caller (it is called
// from an actor); the operation sends its result to the driver's actor.
// Stop is called once the driver is done: operations already given still
// run. The real runner is a goroutine that owns the file; package sim's
// files run operations on the simulation loop, after a simulated delay.
type Runner interface {
	Run(op func())
	Stop()
}

// FileOptions configures the file drivers.
type FileOptions struct {
	// Offset is where in the file the stream starts.
	Offset int64
	// Length, if > 0, is how many bytes of the file the stream covers.
	// A source stops there; a sink writes data and clears holes up to
	// there, then fails the stream with ErrLength, which
	// Is(syscall.ENOSPC), for what goes past (libvirt's length window,
	// holes included).
	Length int64
	// Runner runs the file operations. Nil: the File's own (if it
	// implements Runner, as simulated files do), else a new goroutine
	// that owns the file until the driver is done.
	Runner Runner
	// Commit, if set, runs on the Runner after a sink has written,
	// synced and closed the file, and before it confirms the end of the
	// stream: the sender's Finish returns nil only if Commit does (its
	// error otherwise). A server that writes into a temporary file renames
	// it into place here, so that no complete-looking file exists before
	// the transfer is. Sinks only. A panic in Commit, in Discard or in a
	// File's method is taken for that operation's failure (and logged):
	// it fails the stream instead of taking the process down from the
	// Runner's goroutine.
	Commit func() error
	// Discard, if set, runs on the Runner after a sink closed the file
	// without committing it (the stream failed or was aborted, or Commit
	// failed), for example to remove a temporary file. It runs once. When
	// the close or Commit failed, the sender's Finish returns that error
	// only after Discard ran; after an abort, or a failure while writing,
	// it may run after the sender has seen the failure. Sinks only.
	Discard func()
}

func (o FileOptions) check() error {
	if o.Offset < 0 || o.Length < 0 {
		return errors.Wrapf(ErrBadOption, "file offset %d, length %d: must not be negative", o.Offset, o.Length)
	}
	return nil
}

func (o FileOptions) runner(f File) Runner {
	if o.Runner != nil {
		return o.Runner
	}
	if r, ok := f.(Runner); ok {
		return r
	}
	return newGoRunner()
}

// noData reports whether err from SeekData means "only a hole follows".
func noData(err error) bool { return errors.Is(err, syscall.ENXIO) }
