package node

import (
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// watches is the node's record of the live watches of peers' actors by
// this node's actors, which protoactor remote does not keep for itself
// well enough to answer each once: its endpoint watcher answers every
// Terminated a peer sends, registered or not (a peer's late Terminated,
// after the connection's end was answered with AddressTerminated, made a
// second one), always as Stopped.
//
// A watch is recorded when its Watch leaves for the peer (outbound) and
// forgotten by its Unwatch or by the first Terminated delivered for it
// (the System's TerminatedFilter, filter); the guard notes the reason a
// peer's Terminated gives (answered), which the delivered Terminated then
// carries. A Terminated from a peer for no live watch is dropped.
type watches struct {
	n  *Node
	mu sync.Mutex
	m  map[watchKey]*watchState
	// sweepAt is the size at which watches whose watcher is gone (its
	// Terminated could not be delivered: futures, actors that stopped
	// without unwatching) are swept.
	sweepAt int
}

// watchKey names a watch: the local watcher's id and the watched PID.
type watchKey struct{ watcher, address, id string }

// watchState is a live watch; answered once the peer's Terminated for
// it has been seen, with the reason it gave; ended once the connection
// to the peer has ended. Either way protoactor's endpoint watcher
// delivers a Terminated for it.
type watchState struct {
	answered bool
	ended    bool
	why      actor.TerminatedReason
}

// minSweep is the fewest watches that are swept for dead watchers.
const minSweep = 64

func key(watcher, watchee *actor.PID) watchKey {
	return watchKey{watcher: watcher.Id, address: watchee.Address, id: watchee.Id}
}

// watch records a watch of watchee by watcher (a second Watch of the
// same pair is the same watch: the peer's actor keeps a set of watchers).
func (w *watches) watch(watcher, watchee *actor.PID) {
	if watcher == nil || watchee == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = make(map[watchKey]*watchState)
	}
	k := key(watcher, watchee)
	if s, ok := w.m[k]; ok && !s.answered && !s.ended {
		return
	}
	w.m[k] = &watchState{}
	if len(w.m) >= max(w.sweepAt, minSweep) {
		w.sweep()
	}
}

// sweep forgets the watches whose watcher no longer exists.
func (w *watches) sweep() {
	w.sweepAt = sweepGone(w.n, w.m, func(k watchKey) string { return k.watcher })
}

// sweepGone deletes from m the entries whose local actor (named by id)
// is gone from n's process registry, and returns the size at which to
// sweep next: twice what is left.
func sweepGone[K comparable, V any](n *Node, m map[K]V, id func(K) string) int {
	reg := n.sys.ActorSystem().ProcessRegistry
	for k := range m { //detguard:unordered each entry is checked on its own
		if _, ok := reg.GetLocal(id(k)); !ok {
			delete(m, k)
		}
	}
	return 2 * len(m)
}

// unwatch forgets a watch.
func (w *watches) unwatch(watcher, watchee *actor.PID) {
	if watcher == nil || watchee == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.m, key(watcher, watchee))
}

// answered notes the reason of a peer's Terminated of who for watcher and
// reports whether it answers a live watch (false: drop it).
func (w *watches) answered(watcher, who *actor.PID, why actor.TerminatedReason) bool {
	if watcher == nil || who == nil {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	s, ok := w.m[key(watcher, who)]
	if !ok || s.answered {
		return false
	}
	s.answered, s.why = true, why
	return true
}

// endpointTerminated notes that the connection to address has ended:
// protoactor's endpoint watcher answers each watch of an actor there with
// Terminated{AddressTerminated}. The watches of actors spawned around the
// System, which the filter does not see, stay recorded; so noted, Stop
// does not answer them a second time.
func (w *watches) endpointTerminated(address string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, s := range w.m { //detguard:unordered each entry is marked on its own
		if k.address == address {
			s.ended = true
		}
	}
}

// filter is the System's TerminatedFilter: a Terminated of a peer's
// actor is delivered once per live watch, with the reason the peer gave
// when it gave one (protoactor says Stopped whatever the peer said), and
// ends the watch; any other for a peer's actor is dropped. A Terminated
// of one of this node's actors passes.
func (w *watches) filter(watcher *actor.PID, t *actor.Terminated) *actor.Terminated {
	if t == nil || t.Who == nil || watcher == nil || w.local(t.Who) {
		return t
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	k := key(watcher, t.Who)
	s, ok := w.m[k]
	if !ok {
		return nil
	}
	delete(w.m, k)
	if s.answered && s.why != t.Why {
		return &actor.Terminated{Who: t.Who, Why: s.why}
	}
	return t
}

// local reports whether pid is an actor of this node's System: its
// address, or protoactor's placeholder for actors spawned before Start.
func (w *watches) local(pid *actor.PID) bool {
	return pid.Address == w.n.addr || pid.Address == localAddress
}

// localAddress is protoactor's address of a system that is not a node.
const localAddress = "nonhost"

// stopped answers every live watch when the node stops: protoactor's
// endpoint watchers, which would have answered them when their
// connection ended, are stopped by Node.Stop without being told. Each
// watcher still alive gets Terminated{AddressTerminated}, which the
// filter delivers once and which ends the watch; a watcher that is gone
// is forgotten. A watch that protoactor has answered already (the peer's
// Terminated was seen, or the connection ended) is not answered again:
// a watcher spawned around the System, which the filter does not see,
// would hear it twice. (Such an answer still queued in an endpoint
// watcher's mailbox when Stop stops it, a window of microseconds, is
// lost.)
func (w *watches) stopped() {
	reg := w.n.sys.ActorSystem().ProcessRegistry
	w.mu.Lock()
	type answer struct {
		ref          actor.Process
		watcher, who *actor.PID
	}
	var answers []answer
	for k := range w.m { //detguard:unordered each watch is answered on its own
		ref, ok := reg.GetLocal(k.watcher)
		if !ok {
			delete(w.m, k)
			continue
		}
		if s := w.m[k]; s.answered || s.ended {
			continue
		}
		answers = append(answers, answer{ref, actor.NewPID(w.n.addr, k.watcher), actor.NewPID(k.address, k.id)})
	}
	w.mu.Unlock()
	for _, a := range answers {
		a.ref.SendSystemMessage(a.watcher, &actor.Terminated{Who: a.who, Why: actor.TerminatedReason_AddressTerminated})
	}
}
