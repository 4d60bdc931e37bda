package actors

import (
	"runtime"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// workerDispatcher is a real System's default dispatcher: it runs mailboxes
// on a pool of goroutines that outlive one activation. protoactor's default
// starts a goroutine per activation, and every new goroutine then grows its
// stack, copying it, to the depth of an actor's Receive: in a ping-pong
// between two actors that stack copying was 45% of the time
// (BENCHMARKS.md). A parked worker keeps its grown stack.
//
// Schedule hands the mailbox to a parked worker if there is one, else
// starts a worker. A worker that finishes parks again unless enough are
// parked already, in which case it ends; stop ends the parked ones (a
// System's Close calls it once its actors have stopped). Allowlisted in
// internal/detguard: a simulation replaces it with the World's dispatcher.
type workerDispatcher struct {
	work       chan func()
	quit       chan struct{}
	idle       atomic.Int32
	maxIdle    int32
	throughput int
	stopped    atomic.Bool
}

func newWorkerDispatcher() *workerDispatcher {
	return &workerDispatcher{
		work:       make(chan func()),
		quit:       make(chan struct{}),
		maxIdle:    int32(8*runtime.GOMAXPROCS(0) + 32),
		throughput: 300, // protoactor's default
	}
}

// Schedule implements actor.Dispatcher.
func (d *workerDispatcher) Schedule(fn func()) {
	select {
	case d.work <- fn:
	default:
		go d.worker(fn)
	}
}

// Throughput implements actor.Dispatcher: how many messages a mailbox
// handles before it yields its worker.
func (d *workerDispatcher) Throughput() int { return d.throughput }

func (d *workerDispatcher) worker(fn func()) {
	growStack()
	for {
		fn()
		if d.idle.Add(1) > d.maxIdle {
			d.idle.Add(-1)
			return
		}
		select {
		case fn = <-d.work:
			d.idle.Add(-1)
		case <-d.quit:
			d.idle.Add(-1)
			return
		}
	}
}

// stop ends the parked workers; workers started later end after their one
// activation.
func (d *workerDispatcher) stop() {
	if d.stopped.CompareAndSwap(false, true) {
		close(d.quit)
	}
}

var _ actor.Dispatcher = (*workerDispatcher)(nil)

// stackSink keeps growStack's frame from being optimized away.
var stackSink atomic.Uint32

// growStack grows a new worker's stack to 16 KiB at once, while it holds
// one frame: growing it later, under a mailbox's deep Receive chain, costs
// a walk of every frame on it (for a burst of new workers that walk was a
// sixth of a fan-out's time).
//
//go:noinline
func growStack() {
	var frame [8 << 10]byte
	frame[stackSink.Load()%uint32(len(frame))] = 1
	stackSink.Store(uint32(frame[0]))
}
