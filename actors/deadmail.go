package actors

import (
	"reflect"
	"unsafe"

	"github.com/asynkron/protoactor-go/actor"
)

// protoactor drops, without a word, the user messages that reach a
// stopped actor's mailbox: those queued behind its stop and those sent
// by whoever still held its process. A dead letter would have answered a
// Request at once (DeadLetterResponse) and been counted; a dropped
// message leaves its sender waiting for ever. Every actor spawned through
// a System gets a mailbox that hands such messages to the dead letters
// instead, where they are counted, reported to the Observer and answered
// as if they had been sent once the actor was gone.

// undeliveredMailbox wraps an actor's mailbox so that the user messages
// it hands over once the actor has stopped go to the dead letters.
type undeliveredMailbox struct {
	actor.Mailbox
	st *actorState
}

// RegisterHandlers implements actor.Mailbox.
func (m *undeliveredMailbox) RegisterHandlers(invoker actor.MessageInvoker, dispatcher actor.Dispatcher) {
	m.Mailbox.RegisterHandlers(&undeliveredInvoker{MessageInvoker: invoker, st: m.st}, dispatcher)
}

type undeliveredInvoker struct {
	actor.MessageInvoker
	st *actorState
}

// Self returns the actor's PID, as its context does: mailboxes that name
// their actor (the simulator's) ask the invoker.
func (i *undeliveredInvoker) Self() *actor.PID {
	if s, ok := i.MessageInvoker.(interface{ Self() *actor.PID }); ok {
		return s.Self()
	}
	return nil
}

// InvokeUserMessage implements actor.MessageInvoker.
func (i *undeliveredInvoker) InvokeUserMessage(message any) {
	if i.st.stopped.Load() {
		i.st.undelivered(message)
		return
	}
	i.MessageInvoker.InvokeUserMessage(message)
}

// undelivered publishes message, which reached the actor after it had
// stopped, as a dead letter.
func (st *actorState) undelivered(message any) {
	msg, sender := actor.UnwrapEnvelopeMessage(message), actor.UnwrapEnvelopeSender(message)
	st.sys.as.EventStream.Publish(&actor.DeadLetterEvent{PID: st.self, Message: msg, Sender: sender})
}

// undeliveredMailboxes returns the option that gives an actor whose state
// is st a mailbox from produce (props' own, the Env's, or protoactor's
// default when nil) that dead-letters what reaches it after it stopped.
func undeliveredMailboxes(produce actor.MailboxProducer, st *actorState) actor.PropsOption {
	if produce == nil {
		produce = actor.Unbounded()
	}
	return actor.WithMailbox(func() actor.Mailbox { return &undeliveredMailbox{Mailbox: produce(), st: st} })
}

// mailboxOf returns the mailbox producer props was made with, if any.
// protoactor has no getter; TestPropsFields guards the field.
func mailboxOf(props *actor.Props) actor.MailboxProducer {
	f := reflect.ValueOf(props).Elem().FieldByName("mailboxProducer")
	if !f.IsValid() || f.Type() != reflect.TypeOf(actor.MailboxProducer(nil)) || f.IsNil() {
		return nil
	}
	return *(*actor.MailboxProducer)(unsafe.Pointer(f.UnsafeAddr()))
}

// Undeliverable is a message that wants to know when it could not be
// delivered: sent to an actor that no longer exists, or reaching one
// that had stopped. The System calls Undelivered once for each such
// delivery, after counting the dead letter, with the intended target and
// the message's sender (nil if none), on whatever goroutine found the
// message undeliverable. It reports whether it answered the sender
// itself; if it did, the System does not also send the sender a
// DeadLetterResponse. sockactor's requests use it to complete.
type Undeliverable interface {
	Undelivered(sys *System, target, sender *actor.PID) (answeredSender bool)
}
