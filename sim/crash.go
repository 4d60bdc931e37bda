package sim

import (
	"fmt"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// Boot adds a node that runs boot to start its actors, as a process runs
// its main. A booted node can be crashed and restarted: a restart builds a
// fresh System with the same name (so the same PID addresses) and runs
// boot again. boot runs on the simulation goroutine and must only spawn
// and send.
func (w *World) Boot(name string, boot func(*actors.System) error, opts ...actors.Option) (*actors.System, error) {
	if boot == nil {
		return nil, errors.Errorf("sim: boot %q: nil boot function", name)
	}
	sys, err := w.Node(name, opts...)
	if err != nil {
		return nil, err
	}
	n := w.byName[name]
	n.boot = boot
	if err := w.runBoot(n); err != nil {
		return nil, errors.Wrapf(err, "sim: boot %q", name)
	}
	return sys, nil
}

// System returns the current incarnation of node name's system, or nil.
func (w *World) System(name string) *actors.System {
	if n := w.byName[name]; n != nil {
		return n.sys
	}
	return nil
}

// Down reports whether node name is crashed and not yet restarted.
func (w *World) Down(name string) bool {
	n := w.byName[name]
	return n != nil && n.down
}

// Bootable returns the names of the nodes that can crash and restart, in
// the order they were added.
func (w *World) Bootable() []string {
	var out []string
	for _, n := range w.nodes {
		if n.boot != nil {
			out = append(out, n.name)
		}
	}
	return out
}

// Crash kills node name at once, as kill -9 would: its actors vanish
// without running Stopping or Stopped, their queued messages and the
// messages in flight to the node are lost, its actors' timers never fire,
// and, after RemoteOptions.DetectDown, watchers of its actors on other
// nodes get Terminated{AddressTerminated}. Its sockets on a simulated
// Network close as a dead process's do (net_crash.go): what they sent
// is still delivered, then their peers see EOF or a reset, and their
// addresses are free for the next incarnation. Only booted nodes can
// crash.
func (w *World) Crash(name string) error {
	n := w.byName[name]
	switch {
	case n == nil:
		return errors.Errorf("sim: crash %q: no such node", name)
	case n.boot == nil:
		return errors.Errorf("sim: crash %q: only nodes added with Boot can crash and restart", name)
	case n.down:
		return errors.Errorf("sim: crash %q: already down", name)
	}
	n.down = true
	n.epoch++
	w.Note("fault: crash node " + name)
	for _, h := range w.crashHooks {
		h(name)
	}
	detect := w.net.opts.DetectDown
	if detect == 0 {
		detect = 5 * time.Millisecond
	}
	// The watches of this incarnation's actors: a restart within the
	// detection delay must not have its new actors reported dead.
	gone, epoch := w.takeWatches(name), n.epoch
	w.clock.afterFunc(detect, nil, func() {
		if n.epoch == epoch { // still down: watches made since count too
			for k, v := range w.takeWatches(name) { //detguard:unordered merged into a map, read in sorted order
				gone[k] = append(gone[k], v...)
			}
		}
		w.tellTerminated(name, gone)
	})
	return nil
}

// takeWatches removes and returns the remote watches of node's actors.
func (w *World) takeWatches(node string) map[string][]*actor.PID {
	prefix := node + "/"
	out := map[string][]*actor.PID{}
	for _, key := range actors.SortedKeys(w.net.watches) {
		if len(key) > len(prefix) && key[:len(prefix)] == prefix {
			out[key] = w.net.watches[key]
			delete(w.net.watches, key)
		}
	}
	return out
}

// tellTerminated tells the watchers in watches (taken from node down)
// that the actors they watch are gone, as protoactor remote does when an
// endpoint dies.
func (w *World) tellTerminated(down string, watches map[string][]*actor.PID) {
	prefix := down + "/"
	for _, key := range actors.SortedKeys(watches) {
		who := actor.NewPID(down, key[len(prefix):])
		for _, watcher := range watches[key] {
			n := w.byName[watcher.Address]
			if n == nil || n.down {
				continue
			}
			w.Note(fmt.Sprintf("net: %s told %s/%s is gone (address terminated)", watcher.Address, down, who.Id))
			proc, _ := n.sys.ActorSystem().ProcessRegistry.Get(watcher)
			proc.SendSystemMessage(watcher, &actor.Terminated{Who: who, Why: actor.TerminatedReason_AddressTerminated})
		}
	}
}

// Restart brings a crashed node back: a fresh System under the same name,
// and its boot function run again.
func (w *World) Restart(name string) error {
	n := w.byName[name]
	switch {
	case n == nil:
		return errors.Errorf("sim: restart %q: no such node", name)
	case !n.down:
		return errors.Errorf("sim: restart %q: not down", name)
	}
	n.down = false
	n.epoch++
	n.sys = w.newSystem(n)
	w.Note("restart node " + name)
	if err := w.runBoot(n); err != nil {
		return errors.Wrapf(err, "sim: restart %q", name)
	}
	return nil
}

// runBoot runs node n's boot function on its current incarnation; what
// it opens (a socket) belongs to n.
func (w *World) runBoot(n *node) error {
	prev := w.booting
	w.booting = n
	defer func() { w.booting = prev }()
	return n.boot(n.sys)
}

// OnCrash registers a function called with the node's name whenever a
// node crashes (simulated devices drop the node's unsynced state here).
func (w *World) OnCrash(f func(node string)) { w.crashHooks = append(w.crashHooks, f) }

// trackWatch remembers which actors on other nodes watch an actor, as
// protoactor remote's endpoint watcher does, so that a crash or a long
// partition can tell them.
func (w *World) trackWatch(from, to string, pid *actor.PID, message any) {
	key := to + "/" + pid.Id
	switch m := message.(type) {
	case *actor.Watch:
		for _, p := range w.net.watches[key] {
			if p.Equal(m.Watcher) {
				return
			}
		}
		if w.net.watches == nil {
			w.net.watches = map[string][]*actor.PID{}
		}
		w.net.watches[key] = append(w.net.watches[key], m.Watcher)
	case *actor.Unwatch:
		ws := w.net.watches[key]
		for i, p := range ws {
			if p.Equal(m.Watcher) {
				w.net.watches[key] = append(ws[:i:i], ws[i+1:]...)
				break
			}
		}
	case *actor.Terminated:
		if m.Who != nil {
			delete(w.net.watches, m.Who.Address+"/"+m.Who.Id)
		}
	}
}

// addressTerminated tells the watchers of node down's actors that live on
// other nodes (only on node side, if set) that those actors are gone, and
// forgets the watches, as protoactor remote does when an endpoint dies.
func (w *World) addressTerminated(down, side string) {
	prefix := down + "/"
	for _, key := range actors.SortedKeys(w.net.watches) {
		if len(key) <= len(prefix) || key[:len(prefix)] != prefix {
			continue
		}
		who := actor.NewPID(down, key[len(prefix):])
		var kept []*actor.PID
		for _, watcher := range w.net.watches[key] {
			n := w.byName[watcher.Address]
			if side != "" && watcher.Address != side {
				kept = append(kept, watcher)
				continue
			}
			if n == nil || n.down {
				continue
			}
			w.Note(fmt.Sprintf("net: %s told %s/%s is gone (address terminated)", watcher.Address, down, who.Id))
			proc, _ := n.sys.ActorSystem().ProcessRegistry.Get(watcher)
			proc.SendSystemMessage(watcher, &actor.Terminated{Who: who, Why: actor.TerminatedReason_AddressTerminated})
		}
		if len(kept) == 0 {
			delete(w.net.watches, key)
		} else {
			w.net.watches[key] = kept
		}
	}
}
