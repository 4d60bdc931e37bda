package actors

import (
	"context"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// Request sends msg to pid from outside any actor and waits for the reply,
// through the Env's Waiter: in a real system until ctx ends, in a
// simulation by running the simulation until the reply arrives or nothing
// is left to run. A context that has already ended fails the Request
// without sending msg. Never call it from inside an actor: use Ask there.
func (s *System) Request(ctx context.Context, pid *actor.PID, msg any) (any, error) {
	if pid == nil {
		return nil, &AskError{Message: typeName(msg), Err: ErrNoActor}
	}
	if err := ctx.Err(); err != nil {
		return nil, &AskError{Target: pid, Message: typeName(msg), Err: errors.Wrap(err, "not sent")}
	}
	r := &replyProcess{done: make(chan struct{})}
	id := "actorio-reply" + s.as.ProcessRegistry.NextId()
	self, ok := s.as.ProcessRegistry.Add(r, id)
	if !ok {
		return nil, errors.Errorf("actors: request %s of %v: reply address %s taken", typeName(msg), pid, id)
	}
	defer s.as.ProcessRegistry.Remove(self)
	s.rawRoot.RequestWithCustomSender(pid, msg, self)
	if err := s.wait(ctx, r.done); err != nil {
		return nil, &AskError{Target: pid, Message: typeName(msg), Err: errors.Wrap(err, "waiting for reply")}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dead {
		return nil, &AskError{Target: pid, Message: typeName(msg), Err: ErrNoActor}
	}
	if f, ok := r.reply.(Failure); ok {
		return nil, &AskError{Target: pid, Message: typeName(msg), Err: f.AskFailure()}
	}
	return r.reply, nil
}

// replyProcess is a one-shot reply address registered in the process
// registry. Unlike a protoactor Future it has no timer and no sync.Cond:
// the caller waits through the System's Waiter.
type replyProcess struct {
	mu    sync.Mutex
	once  bool
	reply any
	dead  bool
	done  chan struct{}
}

// SendUserMessage takes the first reply.
func (r *replyProcess) SendUserMessage(_ *actor.PID, message any) {
	_, msg, _ := actor.UnwrapEnvelope(message)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.once {
		return
	}
	r.once = true
	if _, ok := msg.(*actor.DeadLetterResponse); ok {
		r.dead = true
	} else {
		r.reply = msg
	}
	close(r.done)
}

// SendSystemMessage ignores system messages.
func (r *replyProcess) SendSystemMessage(*actor.PID, any) {}

// Stop does nothing; the caller unregisters the address.
func (r *replyProcess) Stop(*actor.PID) {}
