package actors

import (
	"reflect"
	"unsafe"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// prepare returns a copy of props that carries the system's Env: its
// dispatcher and mailbox (when the Env sets them), a mailbox that
// dead-letters what reaches the actor once stopped (see deadmail.go), the
// actorio per-actor state (timers, asks, idle timeouts; see stateActor), a supervisor on the system
// clock when props has none, and the child spawn middleware, so that
// children spawned with bare Props are prepared in turn.
//
// Each spawn gets its own copy, which gives each actor its own producer
// closure and so its own per-actor state. For a top-level actor it also
// returns the stopNotice that hears when the actor's Stopped handler has
// run (nil if the actor has no producer to wrap).
func (s *System) prepare(props *actor.Props, topLevel bool) (*actor.Props, *stopNotice) {
	opts := make([]actor.PropsOption, 0, 5)
	switch {
	case s.env.Dispatcher != nil:
		opts = append(opts, actor.WithDispatcher(s.env.Dispatcher))
	case s.workers != nil && !hasField(props, "dispatcher"):
		opts = append(opts, actor.WithDispatcher(s.workers))
	}
	mailbox := s.env.Mailbox
	if mailbox == nil {
		mailbox = mailboxOf(props)
	}
	if !hasField(props, "supervisionStrategy") {
		opts = append(opts, actor.WithSupervisor(s.children))
	}
	var stop *stopNotice
	if produce := producerOf(props); produce != nil {
		if topLevel {
			stop = &stopNotice{}
		}
		st, as := &actorState{sys: s, stop: stop}, s.as
		opts = append(opts, actor.WithProducer(func() actor.Actor {
			inner := produce(as)
			if inner == nil {
				// At a spawn, spawnSafely turns this into the
				// spawn's error; at a restart, into a failure.
				panic(errNoActor)
			}
			return &stateActor{st: st, inner: inner}
		}), undeliveredMailboxes(mailbox, st))
	} else if mailbox != nil {
		opts = append(opts, actor.WithMailbox(mailbox))
	}
	opts = append(opts, actor.WithSpawnMiddleware(s.childSpawnMiddleware))
	return props.Clone(opts...), stop
}

// producerOf returns the producer props was made with. protoactor has no
// getter for it either; TestPropsProducerField guards the field's name and
// type.
func producerOf(props *actor.Props) actor.ProducerWithActorSystem {
	f := reflect.ValueOf(props).Elem().FieldByName("producer")
	if !f.IsValid() || f.Type() != reflect.TypeOf(actor.ProducerWithActorSystem(nil)) {
		return nil
	}
	return *(*actor.ProducerWithActorSystem)(unsafe.Pointer(f.UnsafeAddr()))
}

// hasField reports whether props carries its own value in the unexported
// field name (supervisionStrategy, dispatcher, spawner): protoactor has no getters
// for them. TestPropsFields fails if a protoactor upgrade renames one.
func hasField(props *actor.Props, name string) bool {
	f := reflect.ValueOf(props).Elem().FieldByName(name)
	return f.IsValid() && !f.IsNil()
}

// rootSpawnMiddleware prepares top-level spawns and tracks them for Close.
// They are parented to the system's guardian (set on the root context), so
// that the clock-based strategy supervises them, not protoactor's
// wall-clock default. Once Close has begun, a top-level spawn fails with
// ErrClosed, whichever root context it goes through; Close waits for the
// spawns that began before it.
func (s *System) rootSpawnMiddleware(next actor.SpawnFunc) actor.SpawnFunc {
	return func(as *actor.ActorSystem, id string, props *actor.Props, parent actor.SpawnerContext) (*actor.PID, error) {
		if !s.top.beginSpawn() {
			return nil, ErrClosed
		}
		var spawned *actor.PID
		var stop *stopNotice
		defer func() { s.top.endSpawn(spawned, stop) }() // also if the producer panics
		prepared, stop := s.prepare(props, true)
		pid, err := spawnSafely(next, as, id, prepared, parent)
		if err != nil {
			return pid, err
		}
		spawned = pid
		if afterSpawnHook != nil {
			afterSpawnHook(pid)
		}
		return handout(pid), nil
	}
}

// afterSpawnHook, when a test sets it, runs between a top-level actor's
// spawn and its tracking, so that tests can order the actor's start and
// stop against the tracker's Watch.
var afterSpawnHook func(*actor.PID)

// handout returns a fresh copy of an actor's PID for the spawner.
// protoactor returns the actor's own self PID, and a *PID caches the
// process it first resolved to, whichever system resolved it: had a test
// handed that object to a second system in the same process, the actor's
// own Stop(self) would have left through the network.
func handout(pid *actor.PID) *actor.PID {
	if pid == nil {
		return nil
	}
	return actor.NewPID(pid.Address, pid.Id)
}

// childSpawnMiddleware prepares the Props of children spawned from inside
// an actor with ctx.Spawn and friends.
func (s *System) childSpawnMiddleware(next actor.SpawnFunc) actor.SpawnFunc {
	return func(as *actor.ActorSystem, id string, props *actor.Props, parent actor.SpawnerContext) (*actor.PID, error) {
		prepared, _ := s.prepare(props, false)
		pid, err := spawnSafely(next, as, id, prepared, parent)
		return handout(pid), err
	}
}

// errNoActor is what a producer that returns no actor fails with.
var errNoActor = errors.New("producer returned no actor")

// spawnSafely runs the rest of the spawn chain and turns a failure of the
// actor's producer into the spawn's error. protoactor runs the producer on
// the spawner's goroutine, before it registers anything, so a producer
// that panicked (or returned no actor, or props without one) used to
// panic out of Spawn into the caller. An error the producer panicked with
// is wrapped, for errors.Is.
func spawnSafely(next actor.SpawnFunc, as *actor.ActorSystem, id string, props *actor.Props, parent actor.SpawnerContext) (pid *actor.PID, err error) {
	if producerOf(props) == nil && !hasField(props, "spawner") {
		// (A router's Props have a spawner of their own instead.)
		return nil, errors.New("props have no producer")
	}
	defer func() {
		if r := recover(); r != nil {
			pid = nil
			if e, ok := r.(error); ok {
				err = errors.Wrap(e, "producer panicked")
			} else {
				err = errors.Errorf("producer panicked: %v", r)
			}
		}
	}()
	return next(as, id, props, parent)
}
