package actors

import (
	"log/slog"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// Stats counts the runtime events of a System that would otherwise only be
// logged (protoactor restarts panicking actors silently when logs are off).
type Stats struct {
	// Failures counts failures a supervisor decided on (a panic in
	// Receive, or a failure escalated to it).
	Failures int64
	// Restarts, Stops, Resumes and Escalations count the decisions.
	Restarts, Stops, Resumes, Escalations int64
	// DeadLetters counts messages sent to actors that no longer exist
	// (actorio's own expired timer messages excepted).
	DeadLetters int64
}

type counters struct {
	failures, restarts, stops, resumes, escalations, deadLetters atomic.Int64
}

// Stats returns the counts so far.
func (s *System) Stats() Stats {
	return Stats{
		Failures:    s.stats.failures.Load(),
		Restarts:    s.stats.restarts.Load(),
		Stops:       s.stats.stops.Load(),
		Resumes:     s.stats.resumes.Load(),
		Escalations: s.stats.escalations.Load(),
		DeadLetters: s.stats.deadLetters.Load(),
	}
}

// subscribe counts supervision decisions and dead letters. On a system we
// built (owned), protoactor's own dead-letter subscribers were dropped with
// its EventStream, so this also does their two useful jobs: it answers a
// request that hit a dead letter with DeadLetterResponse (so an Ask fails
// at once instead of timing out), and it answers a Watch of a dead actor
// with Terminated{NotFound} (but for an actor on a peer: see
// remoteAnswersWatch).
func (s *System) subscribe(owned bool) {
	es := s.as.EventStream
	s.subs = append(s.subs, es.Subscribe(func(evt any) {
		switch e := evt.(type) {
		case *actor.SupervisorEvent:
			s.onSupervised(e)
		case *actor.DeadLetterEvent:
			s.onDeadLetter(e, owned)
		}
	}))
}

func (s *System) unsubscribe() {
	if s.owned {
		return // the stream is ours; keep counting late dead letters
	}
	for _, sub := range s.subs {
		s.as.EventStream.Unsubscribe(sub)
	}
	s.subs = nil
}

func (s *System) onSupervised(e *actor.SupervisorEvent) {
	switch e.Directive {
	case actor.RestartDirective:
		s.stats.restarts.Add(1)
	case actor.StopDirective:
		s.stats.stops.Add(1)
	case actor.ResumeDirective:
		s.stats.resumes.Add(1)
	case actor.EscalateDirective:
		s.stats.escalations.Add(1)
	}
	if e.Directive != actor.EscalateDirective {
		s.stats.failures.Add(1)
	}
	s.logger.Debug("supervision", slog.Any("child", e.Child), slog.String("directive", e.Directive.String()), slog.Any("reason", e.Reason))
	if s.env.Observer != nil {
		s.env.Observer.Supervised(s.name, e.Child, e.Reason, e.Directive)
	}
}

func (s *System) onDeadLetter(e *actor.DeadLetterEvent, owned bool) {
	// Counted and reported before it is answered: whoever the answer
	// wakes sees it in Stats.
	if _, internal := e.Message.(internalMessage); !internal {
		s.stats.deadLetters.Add(1)
		s.logger.Debug("dead letter", slog.Any("target", e.PID), slog.Any("sender", e.Sender))
		if s.env.Observer != nil {
			s.env.Observer.DeadLetter(s.name, e.PID, e.Message, e.Sender)
		}
	}
	answered := false
	if u, ok := e.Message.(Undeliverable); ok {
		answered = u.Undelivered(s, e.PID, e.Sender)
	}
	if !owned {
		return
	}
	if e.Sender != nil && !answered {
		s.rawRoot.Send(e.Sender, &actor.DeadLetterResponse{Target: e.PID})
	}
	if w, ok := e.Message.(*actor.Watch); ok && w.Watcher != nil && !s.remoteAnswersWatch(e.PID) {
		if proc, ok := s.as.ProcessRegistry.Get(w.Watcher); ok {
			proc.SendSystemMessage(w.Watcher, &actor.Terminated{Who: e.PID, Why: actor.TerminatedReason_NotFound})
		}
	}
}

// remoteAnswersWatch reports whether a Watch of pid is answered by the
// remote layer that carries messages to pid's address, so that the Watch
// becoming a dead letter here must not be answered as well. protoactor
// remote's endpoint watcher records every watch of a peer's actor before
// its endpoint writer sends it, and answers each with
// Terminated{AddressTerminated} when the connection fails; the writer
// turns a Watch it cannot send (no connection) into a dead letter, which
// answered with Terminated{NotFound} too made two Terminated for one
// watch. A Watch of an address no remote layer resolves is answered
// here.
func (s *System) remoteAnswersWatch(pid *actor.PID) bool {
	if pid == nil || pid.Address == localAddress || pid.Address == s.as.Address() {
		return false
	}
	_, resolved := s.as.ProcessRegistry.Get(pid)
	return resolved
}

// localAddress is protoactor's address of a system that is not a node.
const localAddress = "nonhost"

// internalMessage marks actorio's own timer and ask bookkeeping messages,
// whose late arrival at a stopped actor is expected and not counted.
type internalMessage interface{ actorioInternal() }
