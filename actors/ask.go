package actors

import (
	"fmt"
	"reflect"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

var (
	// ErrTimeout means an Ask got no reply before its deadline.
	ErrTimeout = errors.New("timed out")
	// ErrNoActor means an Ask's target does not exist (its request
	// became a dead letter).
	ErrNoActor = errors.New("no such actor")
	// ErrBadTimeout means an Ask was given a timeout ≤ 0.
	ErrBadTimeout = errors.New("timeout must be positive")
	// ErrRefused means the target's node refused the request (for
	// example because it does not know the message's type).
	ErrRefused = errors.New("refused")
)

// Failure is a reply that means the request failed: Ask and Request
// return AskFailure() as their error instead of the reply. A node's
// refusal of an unknown message type is one.
type Failure interface {
	AskFailure() error
}

// AskError is the error an Ask continuation receives when no reply came.
// errors.Is(err, ErrTimeout) and errors.Is(err, ErrNoActor) tell why.
type AskError struct {
	Target  *actor.PID
	Message string // the request's Go type
	Timeout time.Duration
	Err     error
}

// Error implements error: it says what failed.
func (e *AskError) Error() string {
	return fmt.Sprintf("actors: ask %s of %v (timeout %v): %v", e.Message, e.Target, e.Timeout, e.Err)
}

// Unwrap returns the reason: ErrTimeout, ErrNoActor or ErrBadTimeout.
func (e *AskError) Unwrap() error { return e.Err }

type pendingAsk struct {
	future *actor.Future
	// deadline, for an Ask made while handling an actor.AutoRespond
	// message, is the future that an Ask which got no reply completes
	// to run its continuation (see expireAsk); nil otherwise.
	deadline *actor.Future
	cont     func(reply any, err error)
	timer    Stopper
	target   *actor.PID
	msgType  string
	timeout  time.Duration

	// The caller's current message when it asked, which the
	// continuation sees as its own on either path (see original).
	message any
	sender  *actor.PID
	header  actor.ReadonlyMessageHeader
}

// askExpired is what the clock sends when an Ask's deadline passes, and
// what Ask sends itself for a request it refuses outright.
type askExpired struct {
	id, gen uint64
	err     error
}

func (*askExpired) actorioInternal() {}

// Ask sends msg to target with the calling actor's reply address and calls
// cont, inside the calling actor, with the reply or with an *AskError once
// timeout has passed on the system clock. cont runs exactly once, never
// before Ask returns, and not at all if the actor stops or restarts first.
// Meanwhile the actor keeps handling other messages. A nil cont ignores
// the outcome.
//
// Whether a reply came or not, cont runs with the message the actor was
// handling when it asked as the context's current message, as protoactor's
// ReenterAfter does: Message, Sender and MessageHeader are that message's,
// so cont can Respond to whoever sent it. A message protoactor answers by
// itself (an actor.AutoRespond) is answered once, when the actor has
// handled it, whatever becomes of the Ask.
//
// Unlike protoactor's RequestFuture, the deadline is on the actor clock, so
// in a simulation the timeout fires at exactly its virtual deadline, and no
// real timer goroutine is involved.
func Ask(ctx actor.Context, target *actor.PID, msg any, timeout time.Duration, cont func(reply any, err error)) {
	st := stateOf(ctx)
	if cont == nil {
		cont = ignoreOutcome
	}
	if st.asks == nil {
		st.asks = map[uint64]*pendingAsk{}
	}
	st.nextAsk++
	id, gen := st.nextAsk, st.gen
	p := &pendingAsk{
		cont: cont, target: target, msgType: typeName(msg), timeout: timeout,
		message: ctx.Message(), sender: ctx.Sender(), header: ctx.MessageHeader(),
	}
	st.asks[id] = p
	sys, self := st.sys, st.self
	if _, auto := p.message.(actor.AutoRespond); auto {
		// An Ask that gets no reply runs cont by completing this future
		// (see expireAsk), not by handing the message to the context
		// again, which would answer it once more.
		p.deadline = actor.NewFuture(sys.as, -1)
		ctx.ReenterAfter(p.deadline, func(reply any, _ error) {
			if m, ok := reply.(*askExpired); ok {
				st.completeAsk(id, gen, nil, p.fail(m.err))
			}
		})
	}
	switch {
	case target == nil:
		sys.rawRoot.Send(self, &askExpired{id: id, gen: gen, err: ErrNoActor})
		return
	case timeout <= 0:
		sys.rawRoot.Send(self, &askExpired{id: id, gen: gen, err: ErrBadTimeout})
		return
	}
	p.future = ctx.RequestFuture(target, msg, -1)
	ctx.ReenterAfter(p.future, func(reply any, err error) { st.completeAsk(id, gen, reply, err) })
	expired := &askExpired{id: id, gen: gen, err: ErrTimeout}
	p.timer = sys.clock.AfterFunc(timeout, func() { sys.rawRoot.Send(self, expired) })
}

// ignoreOutcome is the continuation of an Ask given none.
func ignoreOutcome(any, error) {}

func (st *actorState) completeAsk(id, gen uint64, reply any, err error) {
	p := st.asks[id]
	if p == nil || gen != st.gen {
		return // timed out already, or from a past incarnation
	}
	delete(st.asks, id)
	if p.timer != nil {
		p.timer.Stop()
	}
	if p.deadline != nil {
		st.sys.as.ProcessRegistry.Remove(p.deadline.PID())
	}
	if f, ok := reply.(Failure); ok && err == nil {
		err = f.AskFailure()
	}
	if err != nil {
		if errors.Is(err, actor.ErrDeadLetter) {
			err = ErrNoActor
		}
		if !errors.As(err, new(*AskError)) {
			err = p.fail(err)
		}
		reply = nil
	}
	p.cont(reply, err)
}

// expireAsk handles an Ask's deadline (or its refusal) and returns the
// Ask, now forgotten, whose continuation is to run with its error, or nil
// if it was answered already or its continuation runs otherwise.
// stateActor runs the continuation with the Ask's original message (see
// redeliver), as the reply path does. An Ask made while handling an
// actor.AutoRespond message is not redelivered (protoactor would answer
// the message again): its deadline future is completed instead, and
// protoactor runs the continuation with the original message as it does
// a reply's, through completeAsk.
func (st *actorState) expireAsk(m *askExpired) *pendingAsk {
	p := st.asks[m.id]
	if p == nil || m.gen != st.gen {
		return nil // answered already
	}
	if p.deadline != nil {
		if p.timer != nil {
			p.timer.Stop()
		}
		if p.future != nil {
			st.sys.as.ProcessRegistry.Remove(p.future.PID())
			p.future = nil
		}
		// Only this actor knows the deadline's PID: nothing else can
		// complete it.
		st.sys.rawRoot.Send(p.deadline.PID(), m)
		return nil
	}
	delete(st.asks, m.id)
	p.abandon(st.sys)
	return p
}

// original returns the message the caller was handling when it asked, as
// the envelope its continuation runs under when no reply came. The
// envelope is a new one rather than a field of p: the continuation may
// keep it (a ReenterAfter or Ask of its own captures the current
// message), and with it p and p's future, then the envelope of the Ask
// before, and so on down a chain of asks made from continuations.
func (p *pendingAsk) original() *actor.MessageEnvelope {
	env := &actor.MessageEnvelope{Message: p.message, Sender: p.sender}
	if p.header != nil && p.header.Length() > 0 {
		for _, k := range p.header.Keys() {
			env.SetHeader(k, p.header.Get(k))
		}
	}
	return env
}

func (p *pendingAsk) fail(reason error) error {
	return &AskError{Target: p.target, Message: p.msgType, Timeout: p.timeout, Err: reason}
}

// abandon forgets the request: its timer is stopped and its future
// unregistered, so a late reply becomes a dead letter.
func (p *pendingAsk) abandon(sys *System) {
	if p.timer != nil {
		p.timer.Stop()
	}
	if p.future != nil {
		sys.as.ProcessRegistry.Remove(p.future.PID())
	}
	if p.deadline != nil {
		sys.as.ProcessRegistry.Remove(p.deadline.PID())
	}
}

func typeName(v any) string {
	if v == nil {
		return "<nil>"
	}
	return reflect.TypeOf(v).String()
}
