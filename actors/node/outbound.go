package node

import (
	"fmt"
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
)

// outbound is the process of a peer's actor, as the node's resolver
// gives it: it hands messages to protoactor remote's own process while
// the node runs, and once Stop has begun treats them as undeliverable
// instead. Stop takes the write side of Node.out, so it waits for the
// messages being handed over and no message reaches protoactor's
// endpoint manager while it stops (protoactor's stop flag and endpoint
// table are unsynchronised; a send racing them dereferenced the table
// after it was cleared).
type outbound struct {
	n   *Node
	pid *actor.PID
	p   actor.Process // protoactor remote's
}

var _ actor.Process = (*outbound)(nil)

// resolve is the node's address resolver.
func (n *Node) resolve(pid *actor.PID) (actor.Process, bool) {
	p, ok := n.remoteProcess(pid)
	if !ok {
		return nil, false
	}
	return &outbound{n: n, pid: pid, p: p}, true
}

// begin holds off Stop while a message is handed over; it reports false
// (holding nothing) once the node is stopping.
func (n *Node) begin() bool {
	n.out.RLock()
	if n.stopped {
		n.out.RUnlock()
		return false
	}
	return true
}

func (n *Node) end() { n.out.RUnlock() }

// SendUserMessage implements actor.Process.
func (o *outbound) SendUserMessage(pid *actor.PID, message any) {
	_, msg, sender := actor.UnwrapEnvelope(message)
	if o.n.begin() {
		defer o.n.end()
		o.n.requests.add(sender, pid)
		o.p.SendUserMessage(pid, message)
		return
	}
	// A dead letter: counted, and a request answered at once, with
	// ErrStopped when its reply address is one-shot (a future, a
	// Request), with protoactor's DeadLetterResponse otherwise (an
	// actor's own PID).
	as := o.n.sys.ActorSystem()
	if !o.n.requests.oneShot(sender) {
		as.EventStream.Publish(&actor.DeadLetterEvent{PID: pid, Message: msg, Sender: sender})
		return
	}
	as.EventStream.Publish(&actor.DeadLetterEvent{PID: pid, Message: msg})
	if ref, ok := as.ProcessRegistry.GetLocal(sender.Id); ok {
		ref.SendUserMessage(sender, o.n.stoppedReply(pid, "was made after the node stopped"))
	}
}

// SendSystemMessage implements actor.Process. It records the watches of
// the peer's actor (see watches).
func (o *outbound) SendSystemMessage(pid *actor.PID, message any) {
	switch m := message.(type) {
	case *actor.Watch:
		o.n.watches.watch(m.Watcher, pid)
	case *actor.Unwatch:
		o.n.watches.unwatch(m.Watcher, pid)
	}
	switch message.(type) {
	case *actor.Terminated, *actor.Unwatch:
		// Not worth dialling a peer that left (see left).
		if o.n.left.has(pid.Address) {
			o.n.logger.Debug("node: not sent to a peer that left", slog.Any("to", pid), slog.String("type", fmt.Sprintf("%T", message)))
			return
		}
	}
	if o.n.begin() {
		defer o.n.end()
		o.p.SendSystemMessage(pid, message)
		return
	}
	// A watch of a peer's actor is answered as the connection's end
	// would have been; anything else (Unwatch, Stop, Terminated for a
	// peer's watcher) has no one left to tell.
	if w, ok := message.(*actor.Watch); ok && w.Watcher != nil {
		as := o.n.sys.ActorSystem()
		if ref, ok := as.ProcessRegistry.Get(w.Watcher); ok {
			ref.SendSystemMessage(w.Watcher, &actor.Terminated{Who: pid, Why: actor.TerminatedReason_AddressTerminated})
		}
	}
}

// Stop implements actor.Process.
func (o *outbound) Stop(pid *actor.PID) {
	if o.n.begin() {
		defer o.n.end()
		o.p.Stop(pid)
	}
}
