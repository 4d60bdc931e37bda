package sim

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// EscapeError reports that something reached the simulation from a
// goroutine other than the simulation loop: a real timer, a goroutine
// started by actor code, a protoactor future with a real timeout. Such a
// call would make the run depend on the Go scheduler, so the World refuses
// it (nothing is queued) and the run fails with this error.
type EscapeError struct {
	// What was attempted: "message *pkg.T", "Dispatcher.Schedule", ...
	What string
	// Target names the actor or function concerned.
	Target string
	// Stack is the foreign goroutine's stack at the call.
	Stack string
	// Count is how many escapes happened in all; this is the first.
	Count int
}

// Error implements error: it says what failed.
func (e *EscapeError) Error() string {
	s := fmt.Sprintf("sim: %s", e.What)
	if e.Target != "" {
		s += " to " + e.Target
	}
	s += " came from a goroutine outside the simulation"
	if e.Count > 1 {
		s += fmt.Sprintf(" (and %d more)", e.Count-1)
	}
	return s + "\n" + e.Stack
}

type escapeLog struct {
	flag  atomic.Bool
	mu    sync.Mutex
	first *EscapeError
	count int
}

// onLoop reports whether the caller is the goroutine driving the World.
func (w *World) onLoop() bool { return getg() == w.owner }

// escaped records a call from a foreign goroutine. It may run on any
// goroutine, so it only touches the mutex-guarded log.
func (w *World) escaped(what, target string) {
	buf := make([]byte, 16<<10)
	stack := string(buf[:runtime.Stack(buf, false)])
	w.escape.mu.Lock()
	defer w.escape.mu.Unlock()
	w.escape.count++
	if w.escape.first == nil {
		w.escape.first = &EscapeError{What: what, Target: target, Stack: stack}
	}
	w.escape.flag.Store(true)
}

// escapeErr returns the first escape, if any.
func (w *World) escapeErr() error {
	if !w.escape.flag.Load() {
		return nil
	}
	w.escape.mu.Lock()
	defer w.escape.mu.Unlock()
	e := *w.escape.first
	e.Count = w.escape.count
	return &e
}

// foreignTypeName names v's type without the World's (unsynchronised)
// type cache, for use on a foreign goroutine.
func foreignTypeName(v any) string {
	if v == nil {
		return "<nil>"
	}
	return reflect.TypeOf(v).String()
}

func funcName(fn func()) string {
	if fn == nil {
		return "<nil func>"
	}
	f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer())
	if f == nil {
		return "<unknown func>"
	}
	return strings.TrimPrefix(f.Name(), "github.com/")
}
