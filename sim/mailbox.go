package sim

import (
	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/fifo"
	"github.com/asynkron/protoactor-go/actor"
)

// stepMailbox is an actor.Mailbox that handles exactly one message per
// scheduling step, so that every delivery is a choice point of the
// scheduler. System messages go first, as in protoactor's own mailbox;
// SuspendMailbox and ResumeMailbox are bookkeeping and do not take a step
// of their own. A panic in the actor is recovered and escalated to its
// supervisor, as protoactor's mailbox does.
type stepMailbox struct {
	n          *node
	epoch      int // the node incarnation the mailbox belongs to
	task       Task
	system     fifo.Queue[slot]
	user       fifo.Queue[slot]
	invoker    actor.MessageInvoker
	dispatcher actor.Dispatcher
	scheduled  bool
	suspended  bool
	id         string // actor id
	idHash     uint64
}

func newStepMailbox(n *node) actor.Mailbox {
	m := &stepMailbox{n: n, epoch: n.epoch}
	m.task.run = m.step
	return m
}

// PostUserMessage implements actor.Mailbox.
func (m *stepMailbox) PostUserMessage(message any) {
	if !m.n.w.onLoop() {
		m.n.w.escaped("message "+foreignTypeName(actor.UnwrapEnvelopeMessage(message)), m.label())
		return
	}
	if m.dead() {
		return // the node crashed: the message is lost
	}
	actors.UnpackBatch(message, m.PostUserMessage) // as protoactor's mailbox does
	m.user.Push(slot{message, m.n.w.sent(m, message)})
	m.kick()
}

// PostSystemMessage implements actor.Mailbox.
func (m *stepMailbox) PostSystemMessage(message any) {
	if !m.n.w.onLoop() {
		m.n.w.escaped("system message "+foreignTypeName(message), m.label())
		return
	}
	if m.dead() {
		return
	}
	m.system.Push(slot{message, m.n.w.sent(m, message)})
	m.kick()
}

// RegisterHandlers implements actor.Mailbox. protoactor has set the
// actor's PID on its context by now, which names the mailbox in traces.
func (m *stepMailbox) RegisterHandlers(invoker actor.MessageInvoker, dispatcher actor.Dispatcher) {
	m.invoker = invoker
	m.dispatcher = dispatcher
	if s, ok := invoker.(interface{ Self() *actor.PID }); ok && s.Self() != nil {
		m.id = s.Self().Id
	}
	m.idHash = hashString(m.id)
	m.task.Key = m.n.hash ^ m.idHash
}

// Start implements actor.Mailbox.
func (m *stepMailbox) Start() {}

// UserMessageCount implements actor.Mailbox.
func (m *stepMailbox) UserMessageCount() int { return m.user.Len() }

func (m *stepMailbox) label() string { return m.n.name + "/" + m.id }

// kick puts the mailbox in the runnable set if it has work it may do.
func (m *stepMailbox) kick() {
	if m.scheduled || m.invoker == nil {
		return
	}
	if m.system.Len() > 0 || (!m.suspended && m.user.Len() > 0) {
		m.scheduled = true
		m.n.w.sched.add(&m.task)
	}
}

// dead reports whether the mailbox's node incarnation crashed.
func (m *stepMailbox) dead() bool { return m.epoch != m.n.epoch }

// step handles one message.
func (m *stepMailbox) step() {
	m.scheduled = false
	if m.dead() {
		return // crashed with its node: queued messages are lost
	}
	for m.system.Len() > 0 {
		s := m.system.Pop()
		msg, id := s.msg, s.id
		switch msg.(type) {
		case *actor.SuspendMailbox:
			m.suspended = true
			continue
		case *actor.ResumeMailbox:
			m.suspended = false
			continue
		}
		m.invoke(msg, id, true)
		m.kick()
		return
	}
	if !m.suspended && m.user.Len() > 0 {
		s := m.user.Pop()
		msg, id := s.msg, s.id
		if _, poison := msg.(*actor.PoisonPill); !poison && m.n.w.injectPanic(m) {
			m.fail(msg, id)
		} else {
			m.invoke(msg, id, false)
		}
	}
	m.kick()
}

// fail delivers msg as a fault-injected panic: the actor's supervisor
// decides, as for a real panic, and the message is lost.
func (m *stepMailbox) fail(msg any, id uint64) {
	w := m.n.w
	w.delivered(m, msg, id)
	p := &InjectedPanic{Node: m.n.name, Actor: m.id, Message: w.types.of(actor.UnwrapEnvelopeMessage(msg)).name}
	w.Note("fault: " + p.Error())
	m.invoker.EscalateFailure(p, msg)
}

func (m *stepMailbox) invoke(msg any, id uint64, system bool) {
	w := m.n.w
	w.delivered(m, msg, id)
	w.current = m
	defer func() {
		w.current = nil
		if r := recover(); r != nil {
			m.invoker.EscalateFailure(r, msg)
		}
	}()
	if system {
		m.invoker.InvokeSystemMessage(msg)
	} else {
		m.invoker.InvokeUserMessage(msg)
	}
}

// slot is a queued message with its id.
type slot struct {
	msg any
	id  uint64
}
