package sockactor

import (
	"sync"

	"github.com/actorio/actorio/actors"
)

// handoff carries accepted connections from a listener endpoint's sink to
// the listener actor so that none is lost with its descriptor when the
// actor stops. The sink records each connection it reports; the actor
// takes it when it handles the report; once the actor has stopped, the
// connections reported and never taken (user messages a stopped actor's
// mailbox drops, or dead letters) are closed, and so is every one
// reported later.
type handoff struct {
	mu     sync.Mutex
	done   bool
	seq    uint64
	queued map[uint64]Stream
}

// accepted is an *EvAccepted the handoff recorded, as the actor gets it.
type accepted struct {
	*EvAccepted
	seq uint64
}

// wrap returns a sink that records the connections of *EvAccepted
// reports before passing them on to sink.
func (h *handoff) wrap(sink Sink) Sink {
	return func(ev any) {
		a, ok := ev.(*EvAccepted)
		if !ok || a.Stream == nil {
			sink(ev)
			return
		}
		h.mu.Lock()
		if h.done {
			h.mu.Unlock()
			a.Stream.Close()
			return
		}
		if h.queued == nil {
			h.queued = map[uint64]Stream{}
		}
		h.seq++
		seq := h.seq
		h.queued[seq] = a.Stream
		h.mu.Unlock()
		// Not under mu: a HotPath sink may run the actor, which takes.
		sink(&accepted{EvAccepted: a, seq: seq})
	}
}

// take tells the handoff that the actor now owns the connection of ev.
func (h *handoff) take(ev *accepted) {
	h.mu.Lock()
	delete(h.queued, ev.seq)
	h.mu.Unlock()
}

// close closes the connections reported and never taken, and makes the
// sink close every one reported from now on. The actor calls it when it
// has stopped.
func (h *handoff) close() {
	h.mu.Lock()
	h.done = true
	queued := h.queued
	h.queued = nil
	h.mu.Unlock()
	for _, seq := range actors.SortedKeys(queued) {
		queued[seq].Close()
	}
}
