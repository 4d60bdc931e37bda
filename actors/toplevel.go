package actors

import (
	"sort"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// topLevel tracks the live top-level actors of a System. It is a protoactor
// Process that watches each of them, so it hears their Terminated whatever
// stopped them. Close poisons what is live and waits until nothing is.
type topLevel struct {
	s    *System
	self *actor.PID

	mu      sync.Mutex
	live    map[string]liveActor // by PID id
	seq     uint64
	closing bool
	empty   chan struct{} // closed once closing and nothing is live
}

type liveActor struct {
	pid *actor.PID
	seq uint64 // spawn order, for a deterministic Close
}

func newTopLevel(s *System) *topLevel {
	t := &topLevel{s: s, live: map[string]liveActor{}, empty: make(chan struct{})}
	id := "actorio-toplevel" + s.as.ProcessRegistry.NextId()
	t.self, _ = s.as.ProcessRegistry.Add(t, id)
	return t
}

// track records a new top-level actor and watches it. An actor spawned
// while the system is closing is poisoned at once.
// The tracker keeps its own copy of the PID (see handout).
func (t *topLevel) track(spawned *actor.PID) {
	pid := handout(spawned)
	t.mu.Lock()
	t.seq++
	t.live[pid.Id] = liveActor{pid: pid, seq: t.seq}
	closing := t.closing
	t.mu.Unlock()
	proc, ok := t.s.as.ProcessRegistry.Get(pid)
	if !ok {
		// It stopped already, between its spawn and now (a connection
		// refused at once, say): no Terminated will come for it.
		t.forget(pid)
		return
	}
	proc.SendSystemMessage(pid, &actor.Watch{Watcher: t.self})
	if closing {
		t.s.rawRoot.Poison(pid)
	}
}

// beginClose marks the set as closing and returns the live actors in spawn
// order.
func (t *topLevel) beginClose() []*actor.PID {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closing = true
	t.signalIfEmptyLocked()
	return t.sortedLocked()
}

// remaining returns the live actors in spawn order.
func (t *topLevel) remaining() []*actor.PID {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sortedLocked()
}

// count returns how many top-level actors are live.
func (t *topLevel) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.live)
}

func (t *topLevel) sortedLocked() []*actor.PID {
	all := make([]liveActor, 0, len(t.live))
	for _, a := range t.live { //detguard:unordered sorted just below
		all = append(all, a)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	pids := make([]*actor.PID, len(all))
	for i, a := range all {
		pids[i] = a.pid
	}
	return pids
}

func (t *topLevel) signalIfEmptyLocked() {
	if t.closing && len(t.live) == 0 {
		select {
		case <-t.empty:
		default:
			close(t.empty)
		}
	}
}

// SendSystemMessage receives the Terminated of watched actors.
func (t *topLevel) SendSystemMessage(_ *actor.PID, message any) {
	term, ok := message.(*actor.Terminated)
	if !ok || term.Who == nil {
		return
	}
	t.forget(term.Who)
}

// forget removes a stopped actor.
func (t *topLevel) forget(pid *actor.PID) {
	t.mu.Lock()
	delete(t.live, pid.Id)
	t.signalIfEmptyLocked()
	t.mu.Unlock()
}

// SendUserMessage ignores user messages: nobody should send any.
func (t *topLevel) SendUserMessage(*actor.PID, any) {}

// Stop does nothing: the tracker lives as long as the system.
func (t *topLevel) Stop(*actor.PID) {}
