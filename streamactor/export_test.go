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
