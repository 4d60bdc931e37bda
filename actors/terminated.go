package actors

import "github.com/asynkron/protoactor-go/actor"

// TerminatedFilter decides what becomes of a Terminated on its way to an
// actor spawned through a System, before the actor sees it: it returns
// the Terminated to deliver (t itself, or one that replaces it), or nil
// to drop it. watcher is the actor the Terminated is for. It runs on the
// actor's own goroutine, once per Terminated, whether or not the actor
// has stopped; it must not block.
type TerminatedFilter func(watcher *actor.PID, t *actor.Terminated) *actor.Terminated

// SetTerminatedFilter makes f see every Terminated that reaches an actor
// spawned through s (nil: none is filtered). It is for the remote layer
// (package node), which knows which watches of a peer's actors are live
// and why each ended: protoactor remote answers a watch more than once,
// and with a reason of its own. Actors not spawned through s, and
// futures, get their Terminated unfiltered.
func (s *System) SetTerminatedFilter(f TerminatedFilter) {
	if f == nil {
		s.terminated.Store(nil)
		return
	}
	s.terminated.Store(&f)
}

// InvokeSystemMessage implements actor.MessageInvoker: a Terminated goes
// through the System's TerminatedFilter, if any.
func (i *undeliveredInvoker) InvokeSystemMessage(message any) {
	if t, ok := message.(*actor.Terminated); ok {
		if f := i.st.sys.terminated.Load(); f != nil {
			if t = (*f)(i.Self(), t); t == nil {
				return
			}
			message = t
		}
	}
	i.MessageInvoker.InvokeSystemMessage(message)
}
