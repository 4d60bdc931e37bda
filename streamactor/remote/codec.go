package remote

import (
	"context"
	"io"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/actorio/actorio/internal/wire"
	"github.com/actorio/actorio/streamactor"
	"github.com/pkg/errors"
)

// An error crossing nodes (the reason of an abort, a service's refusal)
// cannot keep its Go identity: another process has other values. It
// travels as its text plus the names of the registered errors it matched
// (errors.Is) where it arose, and arrives as an *Error that errors.Is
// matches against the same registered errors of the receiving process:
// streamactor's and this package's errors, io.EOF and friends, the
// context and fs errors, any syscall.Errno, and whatever the program
// registered with RegisterError. Names this process does not know travel
// on untouched (a relay passes them through).

// Limits on what a peer may send in an error.
const (
	// MaxErrorText is the longest error text kept (longer is cut).
	MaxErrorText = 4096
	// MaxErrorKinds is the most registered names an error carries.
	MaxErrorKinds = 32
	// maxKindName bounds one name.
	maxKindName = 128
)

// Error is an error that arose on another node.
type Error struct {
	// Peer is the address of the node it came from.
	Peer string
	// Msg is its text there.
	Msg string
	// Kinds are the names of the registered errors it matched there.
	Kinds []string

	known []error // the kinds this process knows
}

// Error returns "peer ADDR: TEXT".
func (e *Error) Error() string { return "peer " + e.Peer + ": " + e.Msg }

// Unwrap returns the registered errors of this process that the error
// matched where it arose, for errors.Is.
func (e *Error) Unwrap() []error { return e.known }

var registry = struct {
	mu     sync.RWMutex
	names  []string // sorted
	byName map[string]error
}{byName: map[string]error{}}

// RegisterError lets err keep its identity across nodes: an error that
// errors.Is(err) on one node arrives as an *Error that errors.Is(err) on
// any node that registered err under the same name. Register in an init
// function, with a name unique to the program (a package path and the
// variable's name). Registering a name twice with different errors is an
// error.
func RegisterError(name string, err error) error {
	if name == "" || len(name) > maxKindName || strings.HasPrefix(name, "errno:") || !utf8.ValidString(name) {
		return errors.Errorf("streamactor/remote: register error: bad name %q", name)
	}
	if err == nil {
		return errors.Errorf("streamactor/remote: register error %q: nil error", name)
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if old, ok := registry.byName[name]; ok {
		if sameError(old, err) {
			return nil
		}
		return errors.Errorf("streamactor/remote: register error: %q is registered already", name)
	}
	registry.byName[name] = err
	registry.names = append(registry.names, name)
	sort.Strings(registry.names)
	return nil
}

// sameError reports whether a and b are the same value (false for
// values whose type cannot be compared, instead of panicking).
func sameError(a, b error) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

func init() {
	for _, r := range []struct {
		name string
		err  error
	}{
		{"streamactor.ErrWouldBlock", streamactor.ErrWouldBlock},
		{"streamactor.ErrHole", streamactor.ErrHole},
		{"streamactor.ErrClosed", streamactor.ErrClosed},
		{"streamactor.ErrAborted", streamactor.ErrAborted},
		{"streamactor.ErrNotAttached", streamactor.ErrNotAttached},
		{"streamactor.ErrAttached", streamactor.ErrAttached},
		{"streamactor.ErrDirection", streamactor.ErrDirection},
		{"streamactor.ErrBadHole", streamactor.ErrBadHole},
		{"streamactor.ErrNotSparse", streamactor.ErrNotSparse},
		{"streamactor.ErrBadFlags", streamactor.ErrBadFlags},
		{"streamactor.ErrBadOption", streamactor.ErrBadOption},
		{"streamactor.ErrBusy", streamactor.ErrBusy},
		{"streamactor.ErrNotAtEOF", streamactor.ErrNotAtEOF},
		{"streamactor.ErrCallbackRegistered", streamactor.ErrCallbackRegistered},
		{"streamactor.ErrNoCallback", streamactor.ErrNoCallback},
		{"streamactor.ErrNonBlockAll", streamactor.ErrNonBlockAll},
		{"streamactor.ErrFreed", streamactor.ErrFreed},
		{"streamactor.ErrProtocol", streamactor.ErrProtocol},
		{"streamactor.ErrBadCallback", streamactor.ErrBadCallback},
		{"streamactor.ErrLength", streamactor.ErrLength},
		{"streamactor.ErrNoSparseInfo", streamactor.ErrNoSparseInfo},
		{"streamactor.ErrInternal", streamactor.ErrInternal},
		{"remote.ErrPeerLost", ErrPeerLost},
		{"remote.ErrGap", ErrGap},
		{"remote.ErrDialTimeout", ErrDialTimeout},
		{"remote.ErrNoService", ErrNoService},
		{"remote.ErrRejected", ErrRejected},
		{"remote.ErrBadConfig", ErrBadConfig},
		{"io.EOF", io.EOF},
		{"io.ErrUnexpectedEOF", io.ErrUnexpectedEOF},
		{"io.ErrShortWrite", io.ErrShortWrite},
		{"context.Canceled", context.Canceled},
		{"context.DeadlineExceeded", context.DeadlineExceeded},
		{"fs.ErrNotExist", fs.ErrNotExist},
		{"fs.ErrExist", fs.ErrExist},
		{"fs.ErrPermission", fs.ErrPermission},
		{"fs.ErrInvalid", fs.ErrInvalid},
	} {
		if err := RegisterError(r.name, r.err); err != nil {
			panic(err) // a programming error in this list
		}
	}
}

// EncodeError turns err into its wire form (nil for nil).
func EncodeError(err error) *wire.StreamError {
	if err == nil {
		return nil
	}
	out := &wire.StreamError{Message: cleanText(err.Error())}
	seen := map[string]bool{}
	add := func(k string) {
		if !seen[k] && len(out.Kinds) < MaxErrorKinds {
			seen[k] = true
			out.Kinds = append(out.Kinds, k)
		}
	}
	if k := errnoKind(err); k != "" {
		add(k)
	}
	registry.mu.RLock()
	for _, name := range registry.names {
		if errors.Is(err, registry.byName[name]) {
			add(name)
		}
	}
	registry.mu.RUnlock()
	walkErrors(err, func(e error) {
		if re, ok := e.(*Error); ok {
			for _, k := range re.Kinds {
				add(k) // names this process may not know: pass them on
			}
		}
	})
	return out
}

// walkErrors calls f on err and everything it wraps (both Unwrap forms).
func walkErrors(err error, f func(error)) {
	for depth := 0; err != nil && depth < 64; depth++ {
		f(err)
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walkErrors(e, f)
			}
			return
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		default:
			return
		}
	}
}

// DecodeError turns the wire form of an error that came from peer back
// into an error: an *Error (nil for nil). Whatever the peer sent, the
// result is bounded (MaxErrorText, MaxErrorKinds) and valid text.
func DecodeError(peer string, w *wire.StreamError) error {
	if w == nil {
		return nil
	}
	e := &Error{Peer: cleanText(peer), Msg: cleanText(w.GetMessage())}
	if e.Msg == "" {
		e.Msg = "error without text"
	}
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	for _, k := range w.GetKinds() {
		if len(e.Kinds) == MaxErrorKinds {
			break
		}
		if k == "" || len(k) > maxKindName || !utf8.ValidString(k) {
			continue
		}
		e.Kinds = append(e.Kinds, k)
		if known := lookupKind(k); known != nil {
			e.known = append(e.known, known)
		}
	}
	return e
}

// lookupKind returns this process's error for a kind name, or nil. The
// registry's read lock is held.
func lookupKind(k string) error {
	if strings.HasPrefix(k, "errno:") {
		return errnoOf(k)
	}
	return registry.byName[k]
}

// cleanText makes s valid UTF-8 (protobuf strings must be) of at most
// MaxErrorText bytes.
func cleanText(s string) string {
	if len(s) > MaxErrorText {
		s = s[:MaxErrorText]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	for len(s) > MaxErrorText {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}
