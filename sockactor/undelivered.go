package sockactor

import (
	"syscall"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
)

// A request that never reaches its socket (sent once the socket had
// stopped, or queued behind its stop) becomes a dead letter; the System
// tells the request (actors.Undeliverable), which completes it with
// ECONNABORTED to its ReplyTo, else its sender. A request from a Go
// handle is failed by the socket's Go face instead.

func undelivered(sys *actors.System, target, sender *actor.PID, msg request) (answeredSender bool) {
	replyTo, tag, ok := route(msg)
	if !ok || msg.state().h != nil {
		return false
	}
	if replyTo == nil {
		replyTo, answeredSender = sender, true
	}
	if replyTo == nil {
		return false
	}
	err := errf(opName(msg), syscall.ECONNABORTED, "socket %v stopped", target)
	sys.Send(replyTo, completionMessage(target, msg, tag, &Completion{Err: err}))
	return answeredSender
}

// Undelivered implements actors.Undeliverable.
func (m *ReadPDU) Undelivered(sys *actors.System, target, sender *actor.PID) bool {
	return undelivered(sys, target, sender, m)
}

// Undelivered implements actors.Undeliverable.
func (m *ReadPDUQueue) Undelivered(sys *actors.System, target, sender *actor.PID) bool {
	return undelivered(sys, target, sender, m)
}

// Undelivered implements actors.Undeliverable.
func (m *ReadPDUs) Undelivered(sys *actors.System, target, sender *actor.PID) bool {
	return undelivered(sys, target, sender, m)
}

// Undelivered implements actors.Undeliverable.
func (m *Writev) Undelivered(sys *actors.System, target, sender *actor.PID) bool {
	return undelivered(sys, target, sender, m)
}

// Undelivered implements actors.Undeliverable.
func (m *WritevQueue) Undelivered(sys *actors.System, target, sender *actor.PID) bool {
	return undelivered(sys, target, sender, m)
}

// Undelivered implements actors.Undeliverable.
func (m *Connect) Undelivered(sys *actors.System, target, sender *actor.PID) bool {
	return undelivered(sys, target, sender, m)
}

// Undelivered implements actors.Undeliverable.
func (m *Disconnect) Undelivered(sys *actors.System, target, sender *actor.PID) bool {
	return undelivered(sys, target, sender, m)
}

// Undelivered implements actors.Undeliverable.
func (m *RecvFrom) Undelivered(sys *actors.System, target, sender *actor.PID) bool {
	return undelivered(sys, target, sender, m)
}

// Undelivered implements actors.Undeliverable.
func (m *SendTo) Undelivered(sys *actors.System, target, sender *actor.PID) bool {
	return undelivered(sys, target, sender, m)
}

// Undelivered implements actors.Undeliverable.
func (m *SendToQueue) Undelivered(sys *actors.System, target, sender *actor.PID) bool {
	return undelivered(sys, target, sender, m)
}

// Undelivered implements actors.Undeliverable.
func (m *Accept) Undelivered(sys *actors.System, target, sender *actor.PID) bool {
	return undelivered(sys, target, sender, m)
}

// Undelivered implements actors.Undeliverable: an accepted connection
// that cannot reach its actor (an AcceptTo actor or an Accept's ReplyTo
// that has stopped) has no owner left to close it, so it closes here
// instead of keeping its descriptor, its actor and its peer forever.
func (m *AcceptDone) Undelivered(*actors.System, *actor.PID, *actor.PID) bool {
	if m.Conn != nil {
		m.Conn.Close()
	}
	return false
}
