package streamactor

import (
	"sync"

	"github.com/actorio/actorio/internal/goid"
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
	self := goid.Get()
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
