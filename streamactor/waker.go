package streamactor

// This file holds the only channel operations of the package's actor
// code: the wake-up tokens a blocked caller waits for. The actor signals
// without ever blocking (the channel has room for one token, and a caller
// consumes exactly the token of its own call). It is allowlisted in
// internal/detguard.

// waker is a reusable wake-up channel for one caller at a time.
type waker struct{ ch chan struct{} }

func newWaker() *waker { return &waker{ch: make(chan struct{}, 1)} }

// signal leaves a token unless one is already waiting.
func (w *waker) signal() {
	select {
	case w.ch <- struct{}{}:
	default:
	}
}

// drain removes a stale token, if any, without waiting.
func (w *waker) drain() {
	select {
	case <-w.ch:
	default:
	}
}

// C is what the caller waits on (through actors.System.Wait).
func (w *waker) C() <-chan struct{} { return w.ch }
