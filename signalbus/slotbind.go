package signalbus

import (
	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
)

// slotBinding is an actor slot as Connect found it: its PID and, for an
// actor of this system, the very actor (its process) the PID named then.
//
// A PID names an actor only by its address and name, and a name is free
// again once its actor has stopped: a new actor may take it before a
// signal hears that the old one stopped (its Terminated is on its way).
// So a connection keeps the process it was made for: its deliveries go to
// that process (once it has stopped, they become dead letters; they never
// reach a new actor of the same name), it is watched through it, and a
// Terminated ends only the connections whose process is no longer the one
// registered under the name; those of a newer actor of the same name are
// left alone.
type slotBinding struct {
	pid   *actor.PID
	proc  *actor.ActorProcess // the local actor (nil: not local, or not running at Connect)
	local bool                // the PID is of this system
}

// localAddress is protoactor's address of a system without remoting.
const localAddress = "nonhost"

// bindSlot binds pid to the actor it names now.
func bindSlot(as *actor.ActorSystem, pid *actor.PID) slotBinding {
	reg := as.ProcessRegistry
	if pid.GetAddress() != reg.Address && pid.GetAddress() != localAddress {
		// Another system's actor: known only by name.
		return slotBinding{pid: pid}
	}
	b := slotBinding{pid: pid, local: true}
	if p, ok := reg.GetLocal(pid.GetId()); ok {
		b.proc, _ = p.(*actor.ActorProcess)
		if b.proc == nil {
			b.local = false // not an actor (a future, say): by name, as before
		}
	}
	return b
}

// deadAtConnect reports whether the slot was a local actor that was not
// running when Connect was called: the connection ends at once.
func (b *slotBinding) deadAtConnect() bool { return b.local && b.proc == nil }

// key identifies what is watched: the actor itself, or the name of a
// remote one.
func (b *slotBinding) key() any {
	if b.proc != nil {
		return b.proc
	}
	return pidKey(b.pid)
}

// named reports whether who has the slot's address and name.
func (b *slotBinding) named(who *actor.PID) bool {
	return who != nil && who.GetId() == b.pid.GetId() &&
		(who.GetAddress() == b.pid.GetAddress() || b.local)
}

// gone reports whether the slot's actor has stopped: for a local one,
// whether its name no longer maps to it (protoactor unregisters an actor
// before it tells its watchers); a remote one is gone once a Terminated
// named it.
func (b *slotBinding) gone(as *actor.ActorSystem) bool {
	if b.proc == nil {
		return true
	}
	p, ok := as.ProcessRegistry.GetLocal(b.pid.GetId())
	return !ok || p != actor.Process(b.proc)
}

// is reports whether pid is the slot's actor (a Flush's sender, say).
func (b *slotBinding) is(as *actor.ActorSystem, pid *actor.PID) bool {
	if !b.named(pid) {
		return false
	}
	return b.proc == nil || !b.gone(as)
}

// send sends m to the slot's actor: to the bound process, so that a new
// actor of the same name never gets it.
func (b *slotBinding) send(c actor.Context, m any) {
	if b.proc != nil {
		b.proc.SendUserMessage(b.pid, m)
		return
	}
	c.Send(b.pid, m)
}

// watch asks the slot's actor for its Terminated (at once if it has
// stopped already).
func (b *slotBinding) watch(c actor.Context) {
	if b.proc != nil {
		b.proc.SendSystemMessage(b.pid, &actor.Watch{Watcher: c.Self()})
		return
	}
	c.Watch(b.pid)
}

// unwatch undoes watch.
func (b *slotBinding) unwatch(c actor.Context) {
	if b.proc != nil {
		b.proc.SendSystemMessage(b.pid, &actor.Unwatch{Watcher: c.Self()})
		return
	}
	c.Unwatch(b.pid)
}

// bind binds an actor slot's PID (a func slot has nothing to bind).
func (t target) bind(sys *actors.System) target {
	if t.pid != nil {
		t.slot = bindSlot(sys.ActorSystem(), t.pid)
	}
	return t
}
