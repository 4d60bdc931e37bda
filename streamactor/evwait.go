package streamactor

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
)

// Waiting for a callback to return. EventRemoveCallback and
// EventUpdateCallback, called from outside the callback, wait until no
// task of the stream's executor runs (lockIdle), so that nothing the
// caller did before is undone by an invocation still under way. Called
// from the callback itself (or from its free function) they must not
// wait: that invocation is the caller. Nor when the running invocation
// waits, through other streams' callbacks calling Remove or Update, for
// the caller: two Pipe ends whose callbacks remove each other's would
// wait for each other forever. Goroutine ids tell the cases apart.

// evWaits records, for each goroutine waiting in lockIdle, the executor
// it waits for.
var evWaits = struct {
	sync.Mutex
	on map[uint64]*executor
}{on: map[uint64]*executor{}}

// lockIdle waits until no task of x runs and returns true with x.callMu
// held (the caller unlocks it): no invocation is under way, and each
// that starts later sees what the caller's call changed. It returns
// false at once, holding nothing, when the running task is the caller's,
// directly or through callbacks that wait for it.
func (x *executor) lockIdle() bool {
	self := goroutineID()
	if self == 0 {
		return false // cannot tell whether the caller is the callback: never risk waiting for itself
	}
	evWaits.Lock()
	e := x
	for range len(evWaits.on) + 1 {
		g := e.dispatch.Load()
		if g == 0 {
			break
		}
		if g == self {
			evWaits.Unlock()
			return false
		}
		if e = evWaits.on[g]; e == nil {
			break
		}
	}
	evWaits.on[self] = x
	evWaits.Unlock()
	x.callMu.Lock()
	evWaits.Lock()
	delete(evWaits.on, self)
	evWaits.Unlock()
	return true
}

// goroutineID returns the calling goroutine's id, read from the header
// of its stack trace ("goroutine 18 [running]:"), or 0 if it cannot.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b, ok := bytes.CutPrefix(b, []byte("goroutine "))
	if !ok {
		return 0
	}
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		b = b[:i]
	}
	id, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0
	}
	return id
}
