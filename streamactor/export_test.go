package streamactor

import (
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

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

// PanicOnFileIO makes the file driver whose peer is peer (the Stream it
// is attached to, or the actor given to StartFileSource/StartFileSink)
// panic once, as it starts to handle the completion of its file
// operation op ("size", "seek data", "seek hole", "read", "write", "punch
// hole", "truncate", "sync", "close", "commit"): a stand-in for a bug in
// the driver. The returned function removes the hook.
func PanicOnFileIO(peer *actor.PID, op string) (restore func()) {
	var fired atomic.Bool
	hook := func(p *actor.PID, o string) {
		if p != nil && p.Equal(peer) && o == op && fired.CompareAndSwap(false, true) {
			panic("streamactor test: a planted bug in a file driver")
		}
	}
	fileIOHook.Store(&hook)
	return func() { fileIOHook.Store(nil) }
}

// PanicOnFileFlush makes the file driver whose peer is peer panic once,
// as it is about to hand on a message for which match is true (a
// *Segment, *Credit or *Close): a bug met half-way through handing on a
// step's output. The returned function removes the hook.
func PanicOnFileFlush(peer *actor.PID, match func(item any) bool) (restore func()) {
	var fired atomic.Bool
	hook := func(p *actor.PID, item any) {
		if p != nil && p.Equal(peer) && match(item) && fired.CompareAndSwap(false, true) {
			panic("streamactor test: a planted bug half-way through a file driver's flush")
		}
	}
	fileFlushHook.Store(&hook)
	return func() { fileFlushHook.Store(nil) }
}
