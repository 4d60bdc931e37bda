package actors

import (
	"context"
	"strings"

	"github.com/pkg/errors"
)

// Close stops every top-level actor (and so, through protoactor's
// supervision tree, every actor) and waits until all have stopped. Each
// top-level actor is poisoned in spawn order, so it first handles the
// messages already queued for it. If ctx ends first, the remaining actors
// are stopped at once and Close returns an error naming them.
//
// A top-level spawn in progress when Close begins (its actor's producer
// still running, say) is waited for, and its actor poisoned like the
// others; no actor of the System runs once Close has returned nil.
//
// protoactor's own ActorSystem.Shutdown stops nothing; Close is the way to
// end a System. Once Close has begun, Spawn, SpawnNamed and spawns through
// Root return ErrClosed. Close is idempotent: later calls wait for the
// same actors.
//
// Never call Close from inside an actor (pitfall 1 of the package doc):
// Close waits for every actor to stop, the caller included, and the
// caller cannot stop while its Receive is blocked in Close. In a real
// system Close then returns only when ctx ends, with the error naming the
// caller; in a simulation it fails at once. Either way every actor is
// stopped. To end the System from an actor, have a goroutine outside the
// actors call Close.
func (s *System) Close(ctx context.Context) error {
	s.closed.Store(true)
	for _, pid := range s.top.beginClose() {
		s.rawRoot.Poison(pid)
	}
	if err := s.wait(ctx, s.top.empty); err != nil {
		left, spawning := s.top.remaining()
		names := make([]string, len(left))
		for i, pid := range left {
			s.rawRoot.Stop(pid)
			names[i] = pid.Id
		}
		if spawning > 0 {
			return errors.Wrapf(err, "actors: close %s: %d actors still running [%s], %d spawns in progress",
				s.name, len(left), strings.Join(names, " "), spawning)
		}
		return errors.Wrapf(err, "actors: close %s: %d actors still running [%s]",
			s.name, len(left), strings.Join(names, " "))
	}
	s.unsubscribe()
	if s.workers != nil {
		s.workers.stop()
	}
	// Closes that end together shut protoactor down once: a second
	// Shutdown panics.
	if s.owned && s.shutdown.CompareAndSwap(false, true) && !s.as.IsStopped() {
		if beforeShutdownHook != nil {
			beforeShutdownHook()
		}
		s.as.Shutdown()
	}
	return nil
}

// Closed reports whether Close has been called.
func (s *System) Closed() bool { return s.closed.Load() }

// Live returns how many top-level actors are running.
func (s *System) Live() int { return s.top.count() }

// beforeShutdownHook, when a test sets it, runs just before Close shuts
// the protoactor system down, so that tests can run a second Close there.
var beforeShutdownHook func()
