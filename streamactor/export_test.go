package streamactor

import "sync/atomic"

// PanicOnRequest makes the actor of st panic once, as it starts to serve
// st's next call of kind k: a stand-in for a bug in the actor. The
// returned function removes the hook.
func PanicOnRequest(st *Stream, k OpKind) (restore func()) {
	var fired atomic.Bool
	hook := func(s *Stream, kind OpKind) {
		if s == st && kind == k && fired.CompareAndSwap(false, true) {
			panic("streamactor test: a planted bug in the stream actor")
		}
	}
	requestHook.Store(&hook)
	return func() { requestHook.Store(nil) }
}

// PanicOnFlush makes the actor of st panic once, as it is about to hand
// on an item of st's output for which match is true: a message for the
// peer (*Segment, *Credit, *Close) or a completed *Op. A stand-in for a
// bug met half-way through handing on a step's output. The returned
// function removes the hook.
func PanicOnFlush(st *Stream, match func(item any) bool) (restore func()) {
	var fired atomic.Bool
	hook := func(s *Stream, item any) {
		if s == st && match(item) && fired.CompareAndSwap(false, true) {
			panic("streamactor test: a planted bug half-way through a flush")
		}
	}
	flushHook.Store(&hook)
	return func() { flushHook.Store(nil) }
}
