package actors

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/actorio/actorio/internal/fifo"
	"github.com/asynkron/protoactor-go/actor"
)

// HotPath returns Props options for actors on a data path (a stream's
// ends): in a real system they get LeanMailbox and run on the goroutine
// of whoever sends them a message (InlineDispatcher), so a message costs
// neither an allocation nor a goroutine switch. In a simulation the
// World's dispatcher and mailbox replace both, as for every actor.
func HotPath() []actor.PropsOption {
	return []actor.PropsOption{actor.WithMailbox(LeanMailbox()), actor.WithDispatcher(InlineDispatcher())}
}

// InlineDispatcher runs a mailbox on the goroutine that posted to it (at
// most one goroutine runs a given mailbox at a time; the others only
// enqueue). The poster may be another actor, in which case the receiver's
// messages are handled nested in the poster's Receive.
func InlineDispatcher() actor.Dispatcher { return inlineDispatcher{} }

// inlineDispatcher is protoactor's synchronized dispatcher, as a type of
// ours: a LeanMailbox that sees it knows that it may handle a message on
// the poster's goroutine without queueing it first.
type inlineDispatcher struct{}

// Schedule implements actor.Dispatcher: it runs fn now.
func (inlineDispatcher) Schedule(fn func()) { fn() }

// Throughput implements actor.Dispatcher.
func (inlineDispatcher) Throughput() int { return inlineThroughput }

// inlineThroughput is how many messages a mailbox handles before yielding
// the processor.
const inlineThroughput = 300

// LeanMailbox returns a producer of unbounded mailboxes with the semantics
// of protoactor's default one (system messages first, suspension, batches,
// a panic escalated to the supervisor) that allocate nothing per message
// or activation in steady state: protoactor's allocates a closure each
// time the mailbox is scheduled, and a queue node per message.
func LeanMailbox() actor.MailboxProducer {
	return func() actor.Mailbox {
		m := &leanMailbox{}
		m.runFn = m.process
		return m
	}
}

const (
	mbIdle int32 = iota
	mbRunning
)

type leanMailbox struct {
	mu         sync.Mutex
	user       fifo.Queue[any]
	system     fifo.Queue[any]
	userCount  atomic.Int32
	sysCount   atomic.Int32
	status     atomic.Int32
	suspended  atomic.Bool
	invoker    actor.MessageInvoker
	dispatcher actor.Dispatcher
	inline     bool   // dispatcher is InlineDispatcher's
	runFn      func() // m.process, bound once
}

// PostUserMessage implements actor.Mailbox.
func (m *leanMailbox) PostUserMessage(message any) {
	UnpackBatch(message, m.PostUserMessage)
	// On the inline dispatcher, a message that finds the mailbox idle and
	// empty is handled at once, as it would be after a trip through the
	// queue (the poster would run the mailbox and pop it first), but
	// without the trip: two lock round trips and a push and pop per
	// message. Owning the running state, nobody else handles a message or
	// a suspension meanwhile; and a sender's own earlier message is
	// counted from the moment its post returned, and a count is its
	// queue's length (see enqueue), so an empty count means that nothing
	// of this sender's is left ahead of this one.
	if m.inline && m.userCount.Load() == 0 && m.sysCount.Load() == 0 && !m.suspended.Load() &&
		m.status.CompareAndSwap(mbIdle, mbRunning) {
		if m.userCount.Load() == 0 && m.sysCount.Load() == 0 && !m.suspended.Load() {
			m.runFirst(message)
			m.process()
			return
		}
		m.enqueue(message)
		m.process()
		return
	}
	m.enqueue(message)
	m.schedule()
}

// runFirst handles message, posted to the idle and empty mailbox that
// its poster now runs, as run would have.
func (m *leanMailbox) runFirst(message any) {
	defer func() {
		if r := recover(); r != nil {
			m.invoker.EscalateFailure(r, message)
		}
	}()
	m.invoker.InvokeUserMessage(message)
}

// enqueue queues a user message and counts it.
//
// A queue and its count change together, under the lock (see pop): the
// count is the queue's length whenever the lock is free. Counted after
// unlocking, a message could be popped, and uncounted, on the count of one
// posted after it, whose post had returned; with the count at 0 that one
// stayed queued, and its sender's next message, finding the mailbox
// empty, was handled ahead of it (the fast path above; for a system
// message, run's skip of the system queue).
func (m *leanMailbox) enqueue(message any) {
	m.mu.Lock()
	m.user.Push(message)
	m.userCount.Add(1)
	m.mu.Unlock()
}

// UnpackBatch posts each message of a protoactor MessageBatch, bare or in
// an envelope, with post, as protoactor's default mailbox does before it
// queues the batch itself; other messages are left alone. It is for
// Mailbox implementations (LeanMailbox, the simulator's step mailbox).
func UnpackBatch(message any, post func(any)) {
	if env, ok := message.(*actor.MessageEnvelope); ok {
		message = env.Message
	}
	if batch, ok := message.(actor.MessageBatch); ok {
		for _, msg := range batch.GetMessages() {
			post(msg)
		}
	}
}

// PostSystemMessage implements actor.Mailbox.
func (m *leanMailbox) PostSystemMessage(message any) {
	m.mu.Lock()
	m.system.Push(message)
	m.sysCount.Add(1) // under the lock, as in enqueue
	m.mu.Unlock()
	m.schedule()
}

// RegisterHandlers implements actor.Mailbox.
func (m *leanMailbox) RegisterHandlers(invoker actor.MessageInvoker, dispatcher actor.Dispatcher) {
	m.invoker = invoker
	m.dispatcher = dispatcher
	_, m.inline = dispatcher.(inlineDispatcher)
}

// Start implements actor.Mailbox.
func (m *leanMailbox) Start() {}

// UserMessageCount implements actor.Mailbox.
func (m *leanMailbox) UserMessageCount() int { return int(m.userCount.Load()) }

func (m *leanMailbox) schedule() {
	if m.status.CompareAndSwap(mbIdle, mbRunning) {
		m.dispatcher.Schedule(m.runFn)
	}
}

func (m *leanMailbox) process() {
	for {
		if m.sysCount.Load() != 0 || (m.userCount.Load() != 0 && !m.suspended.Load()) {
			m.run()
		}
		m.status.Store(mbIdle)
		sys, user := m.sysCount.Load(), m.userCount.Load()
		if sys == 0 && (m.suspended.Load() || user == 0) {
			return
		}
		// Posted after the loop ended: run again if nobody else took it.
		if !m.status.CompareAndSwap(mbIdle, mbRunning) {
			return
		}
	}
}

// pop takes the head of q and uncounts it from count, under the lock
// (see enqueue).
func (m *leanMailbox) pop(q *fifo.Queue[any], count *atomic.Int32) (any, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if q.Len() == 0 {
		return nil, false
	}
	count.Add(-1)
	return q.Pop(), true
}

func (m *leanMailbox) run() {
	var msg any
	defer func() {
		if r := recover(); r != nil {
			m.invoker.EscalateFailure(r, msg)
		}
	}()
	i, t := 0, m.dispatcher.Throughput()
	for {
		if i > t {
			i = 0
			runtime.Gosched()
		}
		i++
		if m.sysCount.Load() == 0 {
			// no system message: skip the lock
		} else if v, ok := m.pop(&m.system, &m.sysCount); ok {
			msg = v
			switch msg.(type) {
			case *actor.SuspendMailbox:
				m.suspended.Store(true)
			case *actor.ResumeMailbox:
				m.suspended.Store(false)
			default:
				m.invoker.InvokeSystemMessage(msg)
			}
			continue
		}
		if m.suspended.Load() || m.userCount.Load() == 0 {
			// (A message being queued now is handled by its poster:
			// process looks again once the mailbox is idle.)
			return
		}
		v, ok := m.pop(&m.user, &m.userCount)
		if !ok {
			return
		}
		msg = v
		m.invoker.InvokeUserMessage(msg)
	}
}
