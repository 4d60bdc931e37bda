package signalbus

import (
	"sort"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// The signal actor across a restart: what a failure interrupted is
// given back or repaired, so that no connection is lost to it.

// lostConnects are the connections registered but not yet made when the
// signal actor restarted, each with the number of events fanned out
// since then that it would have got. A check sent to the actor after
// them tells: a connection whose request has not arrived by then lost it
// in the failure, and is made then (see restarted).
type lostConnects struct {
	id     uint64
	links  []*Link
	missed []uint64
}

// lostCheck is the check of lostConnects id.
type lostCheck struct{ id uint64 }

// restarting runs in the failed incarnation, before its executors stop
// (they are its children). If the failure interrupted a message, the
// deliveries the core had handed out for it but that were not sent are
// given back to their connections, counted as dropped; the rest is
// repaired once the new incarnation has started (restarted).
func (a *sigActor[T]) restarting() {
	if a.busy {
		unsent := a.core.out
		if a.applying != nil {
			unsent = a.applying[a.applied:]
		}
		for i := range unsent {
			if e := &unsent[i]; e.Kind == Deliver {
				a.core.Forfeit(e.Conn.Handle, 1)
			}
		}
		a.busy, a.applying = false, nil
		a.core.out = a.core.out[:0]
	}
	// The fences' Asks end with the incarnation: their Disconnects hear
	// of it (their connections are closed all the same).
	a.sig.waits.failAll(errors.New("the signal actor failed and restarted"))
}

// restarted repairs, in a new incarnation of the signal's actor, what the
// failure of the previous one may have left behind, so that no connection
// is lost to it:
//
//   - the executors of func slots stopped with the failed incarnation
//     (they were its children): each gets a new one, and the deliveries
//     the old one had not run count as dropped on its connection;
//   - the message being handled was lost (the simulator's injected
//     failures lose it before it is handled, a panic in the middle of it):
//     a lost disconnect or session close leaves a connection whose link
//     is closed, removed here; a lost Terminated is asked for again by
//     watching every actor slot again; a lost wake-up is replaced by
//     draining every queue; a lost throttle tick (timers end with an
//     incarnation) by arming each key's again for the rest of its period;
//     a lost connect request is found by a check sent behind every
//     request already sent (see checkLost). A lost emission is lost for
//     every connection, and a lost Flush is not answered;
//   - the effects of an interrupted message that were not carried out:
//     unsent deliveries were given back (restarting); slots of removed
//     connections are released here.
func (a *sigActor[T]) restarted(c actor.Context) {
	clear(a.execs) // the old executors have stopped
	// Slots of connections no longer in the core: a Removed effect not
	// carried out, or a fence that ended with the old incarnation.
	for _, k := range a.sortedRefs() {
		if a.core.Find(k.Handle) != k {
			a.release(c, k, false)
		}
	}
	// Connections ended while the failure lost the message that ended
	// them (their links are closed).
	a.apply(c, a.core.RemoveIf(func(k *Conn) bool { return k.Link.closed.Load() }))
	var failed []*Conn
	for _, k := range a.core.Conns() {
		ref := a.refs[k]
		if !ref.exec {
			continue
		}
		if acked := k.Link.acked.Load(); k.sent > acked {
			a.core.forfeit(k, k.sent-acked)
		}
		// New Events: the old ones may still be referenced (as dead
		// letters of the old executor).
		for i := range ref.ring {
			ref.ring[i] = Event[T]{link: k.Link, Tag: ref.tag(k), done: 1}
		}
		ref.next = 0
		if !a.spawnExecutor(c, ref, k.Handle) {
			failed = append(failed, k)
		}
	}
	for _, k := range failed {
		a.sig.bus.forgetLink(k.Link) // closes it: removed just below
	}
	a.apply(c, a.core.RemoveIf(func(k *Conn) bool { return k.Link.closed.Load() }))
	// Watch the actor slots again: a Terminated the failure lost comes
	// again (protoactor answers a watch of a stopped actor at once).
	seen := map[any]bool{}
	for _, k := range a.core.Conns() {
		if ref := a.refs[k]; !ref.exec && !seen[ref.slot.key()] {
			seen[ref.slot.key()] = true
			ref.slot.watch(c)
		}
	}
	if th := a.sig.info.Throttle; th != nil {
		now := actors.FromContext(c).Now()
		for _, key := range a.core.Keys() {
			due, ok := a.deadlines[key]
			if !ok {
				due = now.Add(th.Period)
				a.deadlines[key] = due
			}
			actors.After(c, due.Sub(now), &throttleTick{key: key})
		}
	}
	a.apply(c, a.core.WakeAll())
	a.core.out = a.core.out[:0]
	a.findLost(c)
	if len(a.flushes) > 0 {
		a.checkFlushes(c)
	}
}

// sortedRefs returns the connections the shell holds, by handle.
func (a *sigActor[T]) sortedRefs() []*Conn {
	ks := make([]*Conn, 0, len(a.refs))
	for k := range a.refs { //detguard:unordered sorted below
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].Handle < ks[j].Handle })
	return ks
}

// findLost lists the connections of the signal registered on the bus
// whose request the actor has not handled yet, and sends the check
// behind them: each request sent is in the mailbox already, as the list
// is made under the signal's connMu (see Bus.connect), or was lost in the
// failure. Those of an earlier check not done yet are kept, with what
// they missed so far.
func (a *sigActor[T]) findLost(c actor.Context) {
	s, b := a.sig.signalBase, a.sig.bus
	prev := a.lost
	a.nextCheck++
	l := &lostConnects{id: a.nextCheck}
	have := map[*Link]bool{}
	if prev != nil {
		for i, link := range prev.links {
			if link.pending != nil && !link.closed.Load() {
				l.links, l.missed = append(l.links, link), append(l.missed, prev.missed[i])
				have[link] = true
			}
		}
	}
	s.connMu.Lock()
	b.mu.Lock()
	for _, h := range actors.SortedKeys(b.links) {
		if link := b.links[h]; link.sig == s && link.pending != nil && !have[link] && !link.closed.Load() {
			l.links, l.missed = append(l.links, link), append(l.missed, 0)
		}
	}
	b.mu.Unlock()
	s.connMu.Unlock()
	a.lost = nil
	if len(l.links) > 0 {
		a.lost = l
		c.Send(c.Self(), &lostCheck{id: l.id})
	}
}

// count notes that it was fanned out while the lost connections' fate is
// not known: each would have got it if its filter matches.
func (l *lostConnects) count(it *Item) {
	for i, link := range l.links {
		if link.pending == nil {
			continue
		}
		if matches(link.pending.spec.Filter, it.Args) {
			l.missed[i]++
		}
	}
}

// checkLost makes the connections whose request has not arrived before
// check id: the failure lost it. The events fanned out since are lost to
// them, counted as dropped.
func (a *sigActor[T]) checkLost(c actor.Context, id uint64) {
	l := a.lost
	if l == nil || l.id != id {
		return // an older check (a newer one took its connections over)
	}
	a.lost = nil
	for i, link := range l.links {
		if m := link.pending; m != nil {
			a.connect(c, m, l.missed[i])
		}
	}
}
