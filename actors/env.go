package actors

import (
	"context"
	"log/slog"
	"math/rand/v2"

	"github.com/asynkron/protoactor-go/actor"
)

// Env is everything a System takes from the world it runs in. The zero
// value of every field means "the real thing": a pool of worker goroutines
// running protoactor's unbounded mailboxes, the wall clock, a randomly seeded
// generator, a quiet logger and channel waits. The simulator (package sim)
// fills every field so that the same actors run on one goroutine, in a
// seeded order, in virtual time.
type Env struct {
	// Name names the system in logs and traces. Empty means "actorio".
	Name string

	// Dispatcher runs mailboxes. It is injected into every spawn, children
	// included. Nil means a pool of worker goroutines that keep their
	// grown stacks between activations (protoactor's default starts a
	// goroutine per activation), for Props that carry no dispatcher of
	// their own.
	Dispatcher actor.Dispatcher

	// Mailbox produces the mailbox of every actor. Nil keeps protoactor's
	// default unbounded mailbox or the one the Props already carry.
	Mailbox actor.MailboxProducer

	// Clock tells the time and runs timers. Nil means the wall clock.
	Clock Clock

	// Rand is the source behind System.Rand. It must be safe for use from
	// every goroutine the dispatcher runs actors on. Nil means a
	// ChaCha8 source seeded from the operating system, behind a mutex.
	Rand rand.Source

	// Logger receives the system's logs, protoactor's own included. Nil
	// means standard error at level Warn.
	Logger *slog.Logger

	// Waiter blocks callers outside the actors (Request, Close, the
	// blocking faces of streams and sockets) until a channel is ready.
	// Nil means a plain channel wait.
	Waiter Waiter

	// Observer, when set, sees every supervision decision and dead letter
	// as it is counted.
	Observer Observer

	// Faults, when set, decides named fault points (Buggify). Real
	// systems have none: no fault point ever fires.
	Faults FaultPoints

	// Configure, when set, is called once on the new protoactor system
	// before anything is spawned on it (the simulator sets the node's
	// address here).
	Configure func(*actor.ActorSystem)
}

// Waiter blocks a goroutine that is not an actor until ready yields a value
// or is closed. Implementations receive from ready, so a buffered channel
// carrying wake-up tokens can be reused across waits.
type Waiter interface {
	Wait(ctx context.Context, ready <-chan struct{}) error
}

// Observer is told about the runtime events a System counts. Calls may come
// from any goroutine the dispatcher uses; in a simulation they come from the
// simulation's single goroutine.
type Observer interface {
	// Supervised reports that a supervisor applied directive to child,
	// which failed with reason.
	Supervised(system string, child *actor.PID, reason any, directive actor.Directive)
	// DeadLetter reports a message that could not be delivered to target.
	DeadLetter(system string, target *actor.PID, message any, sender *actor.PID)
}

// FaultPoints decides whether a named fault point fires, and whether a
// planted bug (a canary) is on. The simulator implements it from the run's
// fault profile and canary set.
type FaultPoints interface {
	Buggify(site string) bool
	Canary(name string) bool
}

// Buggify reports whether the named fault point site fires now. Code uses
// it to take a rare path on purpose (shorten a timeout, shrink a window,
// fail a write) so that simulations exercise it:
//
//	if actors.Buggify(ctx, "stream/short-window") { window = 1 }
//
// In a real system it is always false; in a simulation the run's profile
// activates each site with some probability and fires active ones
// randomly, and every decision is traced.
func Buggify(ctx actor.Context, site string) bool {
	if s := FromContext(ctx); s != nil {
		return s.Buggify(site)
	}
	return false
}

// Buggify is the System's fault point, for code outside actors.
func (s *System) Buggify(site string) bool {
	return s.env.Faults != nil && s.env.Faults.Buggify(site)
}

// Canary reports whether the planted bug called name is on. Library code
// guards a deliberate bug with it (a window one too large, a delivery
// after a disconnect) so that the simulator's checkers can be shown to
// catch it: only a simulation run with that canary (simrun -canary, or a
// test) turns one on. In a real System it is always false.
func (s *System) Canary(name string) bool {
	return s.env.Faults != nil && s.env.Faults.Canary(name)
}

// chanWaiter is the real Waiter: it waits on the channel or the context.
type chanWaiter struct{}

func (chanWaiter) Wait(ctx context.Context, ready <-chan struct{}) error {
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// wait waits through the Env's Waiter and prefers ready to an ended
// context: a Waiter may report the context first when both are ready (the
// real one picks at random), which made a Close whose actors had all
// stopped, or a Request whose reply had come, fail.
func (s *System) wait(ctx context.Context, ready <-chan struct{}) error {
	err := s.waiter.Wait(ctx, ready)
	if err != nil {
		select {
		case <-ready:
			return nil
		default:
		}
	}
	return err
}
