package signalbus

// This file is the wait of a caller outside the actors for an actor's
// answer. It is allowlisted in internal/detguard for its channel: the
// actor answers by closing the waiter's channel (which never blocks), and
// the caller waits on it through the System's Waiter (a channel wait in a
// real system, a run of the World in a simulation).

import (
	"context"
	"sync"

	"github.com/actorio/actorio/actors"
	"github.com/pkg/errors"
)

// waits is the set of callers outside the actors that wait for one actor
// (a signal's, the bus's remote client, a server) to answer a request: a
// blocking Disconnect waiting for the slot fence, a blocking remote
// Connect, a Stats. The actor answers each through its waiter. When it
// stops, it answers all those left: a fence it was waiting for ends with
// it, and protoactor drops the messages still queued for an actor that
// has stopped (no dead letter), so a request may never be handled. Once
// it has stopped, callers get its error at once instead of waiting.
type waits struct {
	mu      sync.Mutex
	stopped error // set when the actor stopped
	pending map[*waiter]struct{}
}

// waiter is one caller's wait.
type waiter struct {
	set   *waits
	done  chan struct{}
	reply any   // the answer, set before done is closed
	err   error // (or the failure)
}

// add returns a new waiter, or the error the actor stopped with.
func (ws *waits) add() (*waiter, error) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.stopped != nil {
		return nil, ws.stopped
	}
	if ws.pending == nil {
		ws.pending = map[*waiter]struct{}{}
	}
	w := &waiter{set: ws, done: make(chan struct{})}
	ws.pending[w] = struct{}{}
	return w, nil
}

// finish answers w with err (nil: done); only the first answer counts.
// w may be nil (nobody waits).
func (w *waiter) finish(err error) { w.answer(nil, err) }

// answer answers w with reply, or with err; only the first answer
// counts. w may be nil (nobody waits).
func (w *waiter) answer(reply any, err error) {
	if w == nil {
		return
	}
	w.set.mu.Lock()
	defer w.set.mu.Unlock()
	w.answerLocked(reply, err)
}

func (w *waiter) answerLocked(reply any, err error) {
	if _, ok := w.set.pending[w]; !ok {
		return
	}
	delete(w.set.pending, w)
	w.reply, w.err = reply, err
	close(w.done)
}

// failAll answers every waiter left with err (the actor restarted: what
// it was waiting for is lost); later ones wait as usual.
func (ws *waits) failAll(err error) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for w := range ws.pending { //detguard:unordered each is answered alike; nothing observes the order
		w.answerLocked(nil, err)
	}
}

// stop answers every waiter left with err, and makes later ones fail with
// it at once (the actor stopped).
func (ws *waits) stop(err error) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.stopped = err
	for w := range ws.pending { //detguard:unordered each is answered alike; nothing observes the order
		w.answerLocked(nil, err)
	}
}

// wait blocks until w is answered, and returns the answer. If ctx ends
// first (or, in a simulation, nothing is left to run), it returns that
// error and w is forgotten.
func (w *waiter) wait(ctx context.Context, sys *actors.System) (any, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	werr := sys.Wait(ctx, w.done)
	w.set.mu.Lock()
	defer w.set.mu.Unlock()
	if _, pending := w.set.pending[w]; pending {
		delete(w.set.pending, w)
		if werr == nil {
			werr = ctx.Err()
		}
		return nil, errors.Wrap(werr, "waiting for the answer")
	}
	return w.reply, w.err
}

// ask sends the request req made with a new waiter of ws to the actor
// (send), and waits for the answer.
func (ws *waits) ask(ctx context.Context, sys *actors.System, req func(w *waiter) any, send func(m any)) (any, error) {
	w, err := ws.add()
	if err != nil {
		return nil, err
	}
	send(req(w))
	return w.wait(ctx, sys)
}

// stopSignal tells, once, that an actor has stopped: the actor calls done
// (which never blocks), callers outside the actors wait for it through
// the System's Waiter.
type stopSignal struct {
	ch   chan struct{}
	once sync.Once
}

func newStopSignal() *stopSignal { return &stopSignal{ch: make(chan struct{})} }

// done marks the actor stopped; later calls do nothing.
func (s *stopSignal) done() { s.once.Do(func() { close(s.ch) }) }

// wait returns once the actor has stopped, or with ctx's error.
func (s *stopSignal) wait(ctx context.Context, sys *actors.System) error {
	return sys.Wait(ctx, s.ch)
}
