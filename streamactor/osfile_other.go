//go:build !linux

package streamactor

import (
	"os"

	"github.com/pkg/errors"
)

func punchHole(f *os.File, off, n int64) error {
	return errors.Wrapf(ErrNoSparseInfo, "%s: punch hole: not supported on this system", f.Name())
}
