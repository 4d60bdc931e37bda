package sockactor

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
)

// Error is every error a socket reports: the operation that failed, the
// errno it maps to and, when there is one, the underlying cause.
// errors.Is(err, syscall.EBUSY) and friends work on it, and so does
// errors.Is(err, cause).
type Error struct {
	Op    string        // what failed: "readv", "writev", "sendto", "connect", ...
	Errno syscall.Errno // Samba's errno vocabulary
	Err   error         // the cause, or nil
}

// Error implements error: it says what failed.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("sockactor: %s: %v (%s)", e.Op, e.Err, errnoName(e.Errno))
	}
	return fmt.Sprintf("sockactor: %s: %v (%s)", e.Op, e.Errno.Error(), errnoName(e.Errno))
}

// Unwrap returns the errno and the cause, so errors.Is matches either.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Errno}
	}
	return []error{e.Errno, e.Err}
}

// errf builds an *Error whose cause is a formatted message.
func errf(op string, errno syscall.Errno, format string, args ...any) *Error {
	return &Error{Op: op, Errno: errno, Err: fmt.Errorf(format, args...)}
}

// Errno returns the syscall.Errno err carries, or 0.
func Errno(err error) syscall.Errno {
	var e *Error
	if errors.As(err, &e) {
		return e.Errno
	}
	var n syscall.Errno
	if errors.As(err, &n) {
		return n
	}
	return 0
}

// AsErrno turns any transport or callback error into an *Error for op:
// an error that already carries an errno keeps it; io.EOF becomes EPIPE
// (the peer closed); a closed socket ECONNABORTED; a timeout ETIMEDOUT;
// anything else without an errno becomes fallback (EIO in Samba).
func AsErrno(op string, err error, fallback syscall.Errno) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Op == op {
			return e
		}
		return &Error{Op: op, Errno: e.Errno, Err: err}
	}
	var n syscall.Errno
	switch {
	case errors.As(err, &n) && n != 0:
		return &Error{Op: op, Errno: n, Err: err}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Op: op, Errno: syscall.EPIPE, Err: errors.New("peer closed the connection")}
	case errors.Is(err, net.ErrClosed):
		return &Error{Op: op, Errno: syscall.ECONNABORTED, Err: err}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &Error{Op: op, Errno: syscall.ETIMEDOUT, Err: err}
	}
	return &Error{Op: op, Errno: fallback, Err: err}
}

func errnoName(e syscall.Errno) string {
	if n, ok := errnoNames[e]; ok {
		return n
	}
	return fmt.Sprintf("errno %d", uintptr(e))
}

var errnoNames = map[syscall.Errno]string{
	syscall.EBUSY: "EBUSY", syscall.EALREADY: "EALREADY", syscall.ENOTCONN: "ENOTCONN",
	syscall.EINVAL: "EINVAL", syscall.EMSGSIZE: "EMSGSIZE", syscall.EPIPE: "EPIPE",
	syscall.ECONNABORTED: "ECONNABORTED", syscall.ECONNRESET: "ECONNRESET",
	syscall.ECONNREFUSED: "ECONNREFUSED", syscall.ETIMEDOUT: "ETIMEDOUT",
	syscall.ECANCELED: "ECANCELED", syscall.EIO: "EIO", syscall.EISCONN: "EISCONN",
	syscall.EDESTADDRREQ: "EDESTADDRREQ", syscall.EADDRINUSE: "EADDRINUSE",
	syscall.ENOMEM: "ENOMEM", syscall.EHOSTUNREACH: "EHOSTUNREACH", syscall.ENETUNREACH: "ENETUNREACH",
	syscall.EAFNOSUPPORT: "EAFNOSUPPORT", syscall.ENOENT: "ENOENT", syscall.EACCES: "EACCES",
	syscall.EOPNOTSUPP: "EOPNOTSUPP",
}
