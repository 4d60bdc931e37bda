package remote

// The error numbers of the system (syscall.Errno) crossing nodes as
// "errno:N": only the values, no system call (the file is allowlisted in
// internal/detguard for naming package syscall).

import (
	"strconv"
	"strings"
	"syscall"

	"github.com/pkg/errors"
)

// errnoKind returns "errno:N" for an error that wraps a syscall.Errno.
func errnoKind(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) && errno != 0 {
		return "errno:" + strconv.Itoa(int(errno))
	}
	return ""
}

// errnoOf returns the syscall.Errno of "errno:N", or nil.
func errnoOf(k string) error {
	v, err := strconv.Atoi(strings.TrimPrefix(k, "errno:"))
	if err != nil || v <= 0 || v >= 4096 {
		return nil
	}
	return syscall.Errno(v)
}
