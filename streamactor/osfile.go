package streamactor

// This file is a driver: it owns an *os.File and makes the system calls
// the file drivers and the io faces need (SEEK_DATA/SEEK_HOLE, hole
// punching). It runs on a driver goroutine or the caller's, never inside
// an actor, and is allowlisted in internal/detguard for real I/O.

import (
	"io"
	"os"
	"syscall"

	"github.com/pkg/errors"
)

const (
	seekData = 3 // SEEK_DATA
	seekHole = 4 // SEEK_HOLE
)

// OSFile adapts f to File. The file drivers take ownership of it and
// close it when they are done.
func OSFile(f *os.File) File { return osFile{f} }

type osFile struct{ f *os.File }

// ReadAt reads like pread(2): one call, possibly short.
func (o osFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := o.f.ReadAt(p, off)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (o osFile) WriteAt(p []byte, off int64) (int, error) { return o.f.WriteAt(p, off) }

// writesAtOffsets reports whether the file takes writes at an offset: a
// file opened with O_APPEND does not (see positional; no system call).
func (o osFile) writesAtOffsets() bool { return positional(o.f) }

func (o osFile) SeekData(off int64) (int64, error) { return seekFile(o.f, off, seekData) }

func (o osFile) SeekHole(off int64) (int64, error) { return seekFile(o.f, off, seekHole) }

func (o osFile) PunchHole(off, n int64) error { return punchHole(o.f, off, n) }

func (o osFile) Truncate(size int64) error { return o.f.Truncate(size) }

// Sync is fsync(2). A special file that cannot be synchronized (a
// character device such as /dev/null, a pipe: EINVAL or EROFS) has
// nothing to make durable, so that is not an error, as dd(1) treats it.
func (o osFile) Sync() error {
	err := o.f.Sync()
	if err != nil && (errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EROFS)) {
		if fi, serr := o.f.Stat(); serr == nil && !fi.Mode().IsRegular() {
			return nil
		}
	}
	return err
}

// Size is the file's size; for a block device (whose stat size is 0),
// the device's, as lseek(SEEK_END) reports it.
func (o osFile) Size() (int64, error) {
	fi, err := o.f.Stat()
	if err != nil {
		return 0, err
	}
	if m := fi.Mode(); m&os.ModeDevice != 0 && m&os.ModeCharDevice == 0 {
		return seekEnd(o.f)
	}
	return fi.Size(), nil
}

// seekEnd returns where f ends, without moving its own position.
func seekEnd(f *os.File) (int64, error) {
	cur, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	end, err := f.Seek(0, io.SeekEnd)
	if _, rerr := f.Seek(cur, io.SeekStart); err == nil {
		err = rerr
	}
	return end, err
}

func (o osFile) Close() error { return o.f.Close() }

// seekFile probes with SEEK_DATA or SEEK_HOLE without moving the file's
// own position (pread/pwrite do not use it, but the io faces do, so it is
// put back).
func seekFile(f *os.File, off int64, whence int) (int64, error) {
	cur, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	pos, err := f.Seek(off, whence)
	if _, rerr := f.Seek(cur, io.SeekStart); err == nil && rerr != nil {
		err = rerr
	}
	if err != nil {
		if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP) {
			return 0, errors.Wrapf(ErrNoSparseInfo, "%s: %v", f.Name(), err)
		}
		return 0, err
	}
	return pos, nil
}
