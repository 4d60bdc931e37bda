package actors

import (
	"reflect"
	"unsafe"

	"github.com/asynkron/protoactor-go/actor"
)

// prepare returns a copy of props that carries the system's Env: its
// dispatcher and mailbox (when the Env sets them), the actorio per-actor
// state (timers, asks, idle timeouts; see stateActor), a supervisor on the system
// clock when props has none, and the child spawn middleware, so that
// children spawned with bare Props are prepared in turn.
//
// Each spawn gets its own copy, which gives each actor its own producer
// closure and so its own per-actor state.
func (s *System) prepare(props *actor.Props) *actor.Props {
	opts := make([]actor.PropsOption, 0, 5)
	switch {
	case s.env.Dispatcher != nil:
		opts = append(opts, actor.WithDispatcher(s.env.Dispatcher))
	case s.workers != nil && !hasField(props, "dispatcher"):
		opts = append(opts, actor.WithDispatcher(s.workers))
	}
	if s.env.Mailbox != nil {
		opts = append(opts, actor.WithMailbox(s.env.Mailbox))
	}
	if !hasField(props, "supervisionStrategy") {
		opts = append(opts, actor.WithSupervisor(s.children))
	}
	if produce := producerOf(props); produce != nil {
		st, as := &actorState{sys: s}, s.as
		opts = append(opts, actor.WithProducer(func() actor.Actor {
			return &stateActor{st: st, inner: produce(as)}
		}))
	}
	opts = append(opts, actor.WithSpawnMiddleware(s.childSpawnMiddleware))
	return props.Clone(opts...)
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
// field name (supervisionStrategy, dispatcher): protoactor has no getters
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
		defer func() { s.top.endSpawn(spawned) }() // also if the producer panics
		pid, err := next(as, id, s.prepare(props), parent)
		if err != nil {
			return pid, err
		}
		spawned = pid
		return handout(pid), nil
	}
}

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
		pid, err := next(as, id, s.prepare(props), parent)
		return handout(pid), err
	}
}
