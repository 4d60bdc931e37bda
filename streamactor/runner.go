package streamactor

// This file is a driver: the goroutine that owns a real file and runs its
// operations outside the actors. It is allowlisted in internal/detguard
// for its goroutine and its wake-up channel.

import "sync"

// goRunner runs operations on one goroutine, in order. Run appends to a
// queue and never blocks.
type goRunner struct {
	mu     sync.Mutex
	ops    []func()
	closed bool
	wake   chan struct{}
}

func newGoRunner() *goRunner {
	r := &goRunner{wake: make(chan struct{}, 1)}
	go r.loop()
	return r
}

// Run implements Runner.
func (r *goRunner) Run(op func()) {
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.mu.Unlock()
	r.signal()
}

// Stop implements Runner: the goroutine ends after the operations given
// so far.
func (r *goRunner) Stop() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.signal()
}

func (r *goRunner) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *goRunner) loop() {
	for {
		r.mu.Lock()
		if len(r.ops) == 0 {
			closed := r.closed
			r.mu.Unlock()
			if closed {
				return
			}
			<-r.wake
			continue
		}
		op := r.ops[0]
		r.ops[0] = nil
		r.ops = r.ops[1:]
		r.mu.Unlock()
		op()
	}
}
