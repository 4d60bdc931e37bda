package actors

import "time"

// Clock is the only source of time for actors. The real clock reads the
// wall clock and runs timers on the Go runtime; the simulator's clock is
// virtual and jumps to the next timer when nothing else can run.
//
// Actors do not call AfterFunc themselves: they use After, Every, Ask and
// SetIdleTimeout, which deliver timer firings as messages to the actor.
// AfterFunc is for the runtime and for simulated devices (networks, files).
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f once, d from now, and returns a handle that can
	// stop it. f must be quick and must not block: it runs on a timer
	// goroutine (real) or on the simulation loop (virtual), and normally
	// only sends a message. A negative d is treated as zero.
	AfterFunc(d time.Duration, f func()) Stopper
}

// Stopper is a pending call scheduled with Clock.AfterFunc.
type Stopper interface {
	// Stop prevents the call if it has not started yet, and reports
	// whether it did so.
	Stop() bool
}
