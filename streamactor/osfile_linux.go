package streamactor

import (
	"os"
	"syscall"

	"github.com/pkg/errors"
)

const (
	fallocKeepSize  = 0x1 // FALLOC_FL_KEEP_SIZE
	fallocPunchHole = 0x2 // FALLOC_FL_PUNCH_HOLE
)

func punchHole(f *os.File, off, n int64) error {
	if n <= 0 {
		return nil
	}
	if off < 0 {
		return &os.PathError{Op: "fallocate", Path: f.Name(), Err: syscall.EINVAL}
	}
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := sc.Control(func(fd uintptr) {
		ferr = syscall.Fallocate(int(fd), fallocPunchHole|fallocKeepSize, off, n)
	}); err != nil {
		return err
	}
	// EOPNOTSUPP, ENOSYS: the file system cannot punch holes. EINVAL
	// (off and n are valid): not in this range — a block device punches
	// only whole logical blocks. ENODEV: not in this kind of file. The
	// caller writes zeros instead.
	if errors.Is(ferr, syscall.EOPNOTSUPP) || errors.Is(ferr, syscall.ENOSYS) || errors.Is(ferr, syscall.EINVAL) || errors.Is(ferr, syscall.ENODEV) {
		return errors.Wrapf(ErrNoSparseInfo, "%s: punch hole: %v", f.Name(), ferr)
	}
	if ferr != nil {
		return &os.PathError{Op: "fallocate", Path: f.Name(), Err: ferr}
	}
	return nil
}
