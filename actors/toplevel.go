package actors

import (
	"sort"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// topLevel tracks the live top-level actors of a System. It is a protoactor
// Process that watches each of them, so it hears their Terminated whatever
// stopped them. Close poisons what is live and waits until nothing is, and
// until no spawn is in progress.
//
// An actor counts from its spawn until its Terminated, which protoactor
// sends only after the actor's Stopped handler ran. Its name is free
// earlier, before that handler runs, so an actor of the same name may be
// spawned while the previous one is still stopping: live holds the newest
// actor of each name and shadowed the older ones still stopping, and a
// Terminated removes the actor it is for.
type topLevel struct {
	s    *System
	self *actor.PID

	mu       sync.Mutex
	live     map[string]liveActor // newest actor of each name, by PID id
	shadowed []liveActor          // older actors of a name in live, still stopping
	spawning int                  // spawns in progress (see beginSpawn)
	seq      uint64
	closing  bool
	empty    chan struct{} // closed once closing and nothing is live or spawning
}

type liveActor struct {
	pid  *actor.PID  // the tracker's own copy (see handout), for Poison and Stop
	self *actor.PID  // the PID the spawn returned: the actor's own, which its Terminated carries
	seq  uint64      // spawn order, for a deterministic Close
	stop *stopNotice // tells when its Stopped handler has run
}

// stopNotice tells the tracker when a top-level actor's Stopped handler
// has run. A Terminated does not always mean it has: protoactor answers a
// Watch that reaches an actor already stopping with an immediate
// Terminated, and frees the name (so that a Watch cannot reach it at all)
// before the handler runs. An actor that stops during its own spawn can
// do both before the tracker's Watch, and Close must not return while its
// Stopped handler still runs.
type stopNotice struct {
	mu      sync.Mutex
	stopped bool   // the Stopped handler has run
	then    func() // what waits for it
}

// done records that the Stopped handler has run and runs what waits.
func (n *stopNotice) done() {
	n.mu.Lock()
	n.stopped = true
	then := n.then
	n.then = nil
	n.mu.Unlock()
	if then != nil {
		then()
	}
}

// await arranges for then to run once the Stopped handler has run and
// reports true, or reports false if it has run already (then is not run).
func (n *stopNotice) await(then func()) bool {
	if n == nil {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped {
		return false
	}
	n.then = then
	return true
}

func newTopLevel(s *System) *topLevel {
	t := &topLevel{s: s, live: map[string]liveActor{}, empty: make(chan struct{})}
	id := "actorio-toplevel" + s.as.ProcessRegistry.NextId()
	t.self, _ = s.as.ProcessRegistry.Add(t, id)
	return t
}

// beginSpawn registers a top-level spawn about to start and reports
// whether it may: once Close has begun it may not. Close waits for the
// spawns in progress, so that a spawn that began before Close cannot
// leave an actor running after Close returned. Each successful call is
// followed by one call of endSpawn.
func (t *topLevel) beginSpawn() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing {
		return false
	}
	t.spawning++
	return true
}

// endSpawn ends a spawn that beginSpawn let start: it tracks the spawned
// actor, if the spawn succeeded, and watches it. An actor whose spawn
// ended while the system was closing is poisoned at once.
func (t *topLevel) endSpawn(spawned *actor.PID, stop *stopNotice) {
	if spawned == nil {
		t.mu.Lock()
		t.spawning--
		t.signalIfEmptyLocked()
		t.mu.Unlock()
		return
	}
	a := liveActor{pid: handout(spawned), self: spawned, stop: stop}
	t.mu.Lock()
	t.spawning--
	t.seq++
	a.seq = t.seq
	if old, ok := t.live[a.pid.Id]; ok {
		t.shadowed = append(t.shadowed, old)
	}
	t.live[a.pid.Id] = a
	closing := t.closing
	t.mu.Unlock()
	proc, ok := t.s.as.ProcessRegistry.Get(a.pid)
	if !ok {
		// It stopped already, between its spawn and now (a connection
		// refused at once, say): no Terminated will come for it. It
		// counts until its Stopped handler has run.
		t.stopped(spawned, stop)
		return
	}
	proc.SendSystemMessage(a.pid, &actor.Watch{Watcher: t.self})
	if closing {
		t.s.rawRoot.Poison(a.pid)
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

// remaining returns the live actors in spawn order, and how many spawns
// are still in progress.
func (t *topLevel) remaining() ([]*actor.PID, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sortedLocked(), t.spawning
}

// count returns how many top-level actors are live.
func (t *topLevel) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.live) + len(t.shadowed)
}

func (t *topLevel) sortedLocked() []*actor.PID {
	all := make([]liveActor, 0, len(t.live)+len(t.shadowed))
	for _, a := range t.live { //detguard:unordered sorted just below
		all = append(all, a)
	}
	all = append(all, t.shadowed...)
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	pids := make([]*actor.PID, len(all))
	for i, a := range all {
		pids[i] = a.pid
	}
	return pids
}

func (t *topLevel) signalIfEmptyLocked() {
	if t.closing && t.spawning == 0 && len(t.live) == 0 && len(t.shadowed) == 0 {
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
	t.stopped(term.Who, t.noticeOf(term.Who))
}

// stopped forgets the stopped actor who once its Stopped handler has run.
func (t *topLevel) stopped(who *actor.PID, stop *stopNotice) {
	if !stop.await(func() { t.forget(who) }) {
		t.forget(who)
	}
}

// noticeOf returns the stopNotice of the tracked actor whose own PID is
// who, or nil.
func (t *topLevel) noticeOf(who *actor.PID) *stopNotice {
	t.mu.Lock()
	defer t.mu.Unlock()
	if a, ok := t.live[who.Id]; ok && a.self == who {
		return a.stop
	}
	for _, a := range t.shadowed {
		if a.self == who {
			return a.stop
		}
	}
	return nil
}

// forget removes a stopped actor: the one whose own PID who is (a
// Terminated carries the actor's own PID object). Should no actor of that
// name have it, which protoactor's spawner never causes, the oldest actor
// of the name goes, the one that stopped first.
func (t *topLevel) forget(who *actor.PID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	oldest := -1
	for i, a := range t.shadowed {
		if a.self == who {
			t.shadowed = append(t.shadowed[:i], t.shadowed[i+1:]...)
			t.signalIfEmptyLocked()
			return
		}
		if oldest < 0 && a.pid.Id == who.Id {
			oldest = i
		}
	}
	if a, ok := t.live[who.Id]; ok && (a.self == who || oldest < 0) {
		delete(t.live, who.Id)
	} else if oldest >= 0 {
		t.shadowed = append(t.shadowed[:oldest], t.shadowed[oldest+1:]...)
	}
	t.signalIfEmptyLocked()
}

// SendUserMessage ignores user messages: nobody should send any.
func (t *topLevel) SendUserMessage(*actor.PID, any) {}

// Stop does nothing: the tracker lives as long as the system.
func (t *topLevel) Stop(*actor.PID) {}
