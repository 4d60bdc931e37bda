package actors

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/asynkron/protoactor-go/extensions"
	"github.com/pkg/errors"
)

// ErrClosed is returned by calls on a System after Close.
var ErrClosed = errors.New("actors: system closed")

// System is an actor system together with the environment it runs in.
// Every spawn goes through it, children included, so that the dispatcher,
// mailbox, clock and supervision of the Env apply to every actor and none
// escapes onto a goroutine the Env does not control.
type System struct {
	as *actor.ActorSystem
	// workers runs the mailboxes of actors whose Props name no
	// dispatcher, when the Env names none (a real system).
	workers *workerDispatcher
	owned   bool // built by New: we replaced protoactor's EventStream and Root
	name    string
	env     Env
	clock   Clock
	rand    *rand.Rand
	logger  *slog.Logger
	waiter  Waiter

	rawRoot *actor.RootContext // no middleware: timers and internal sends
	root    *actor.RootContext // public: spawns go through prepare, under the guardian

	guardian actor.SupervisorStrategy // supervises top-level actors
	children actor.SupervisorStrategy // default for every actor's children

	top    *topLevel
	stats  counters
	subs   []*eventstream.Subscription
	closed atomic.Bool
	// shutdown is set by the Close that shuts protoactor down.
	shutdown atomic.Bool
	// terminated filters the Terminated that reach the system's actors
	// (see SetTerminatedFilter).
	terminated atomic.Pointer[TerminatedFilter]
}

// Option configures a System.
type Option func(*config)

type config struct {
	env      Env
	guardian actor.SupervisorStrategy
	base     *actor.ActorSystem
}

// WithEnv runs the system in env instead of the real environment. Unset
// fields of env keep their real defaults.
func WithEnv(env Env) Option { return func(c *config) { c.env = env } }

// WithName names the system in logs and traces.
func WithName(name string) Option { return func(c *config) { c.env.Name = name } }

// WithLogger sends the system's logs, protoactor's included, to l.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.env.Logger = l } }

// WithSupervisor sets the strategy that supervises top-level actors and,
// for actors whose Props carry none, their children. The default is
// OneForOne(10, 10s, Restart) on the system clock.
func WithSupervisor(s actor.SupervisorStrategy) Option {
	return func(c *config) { c.guardian = s }
}

// WithActorSystem builds the System on as instead of a new protoactor
// system. as must be fresh (nothing spawned on it yet) and the System owns
// it from then on, as if New had made it: it replaces its EventStream and
// Root. The simulator uses it to build nodes cheaply. To put a System
// around a protoactor system that is already in use, use Wrap.
func WithActorSystem(as *actor.ActorSystem) Option {
	return func(c *config) { c.base = as }
}

// New builds a System on a fresh protoactor ActorSystem. Without options it
// is real: a pool of worker goroutines, the wall clock, a quiet logger.
func New(opts ...Option) *System {
	c := configure(opts)
	as := c.base
	if as == nil {
		as = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
			return c.env.Logger.With("system", c.env.Name)
		}))
		compactRegistry(as)
	}
	as.ID = c.env.Name
	// protoactor's EventStream carries a dead-letter logger whose throttle
	// starts a goroutine per burst; a fresh stream keeps runs free of it.
	// deadLetters puts back the two behaviours that matter.
	as.EventStream = eventstream.NewEventStream()
	if c.env.Configure != nil {
		c.env.Configure(as)
	}
	s := build(as, c, true)
	as.Root = s.root
	return s
}

// Wrap puts a System around an ActorSystem the caller already runs. Actors
// spawned through the returned System get its Env, supervision, timers and
// Close; actors the caller spawns directly are left alone. The caller's
// logger and EventStream are kept.
func Wrap(as *actor.ActorSystem, opts ...Option) (*System, error) {
	if as == nil {
		return nil, errors.New("actors: wrap: nil ActorSystem")
	}
	if ext := as.Extensions.Get(extensionID); ext != nil {
		return nil, errors.Errorf("actors: wrap: system %q is already wrapped", as.ID)
	}
	c := configure(opts)
	if c.env.Name == "actorio" && as.ID != "" {
		c.env.Name = as.ID
	}
	return build(as, c, false), nil
}

func configure(opts []Option) *config {
	c := &config{}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	if c.env.Name == "" {
		c.env.Name = "actorio"
	}
	if c.env.Logger == nil {
		c.env.Logger = QuietLogger()
	}
	if c.env.Clock == nil {
		c.env.Clock = RealClock()
	}
	if c.env.Rand == nil {
		c.env.Rand = newRealSource()
	}
	if c.env.Waiter == nil {
		c.env.Waiter = chanWaiter{}
	}
	return c
}

func build(as *actor.ActorSystem, c *config, owned bool) *System {
	s := &System{
		as:     as,
		owned:  owned,
		name:   c.env.Name,
		env:    c.env,
		clock:  c.env.Clock,
		rand:   rand.New(c.env.Rand),
		logger: c.env.Logger,
		waiter: c.env.Waiter,
	}
	if c.env.Dispatcher == nil {
		s.workers = newWorkerDispatcher()
	}
	s.guardian = c.guardian
	if s.guardian == nil {
		s.guardian = OneForOne(s.clock, 10, defaultRestartWindow, actor.DefaultDecider)
	}
	if g, ok := s.guardian.(*oneForOne); ok {
		// A guardian cannot escalate; its copy turns Escalate into Stop.
		s.guardian = g.asGuardian()
	}
	s.children = s.guardian
	if g, ok := s.children.(*oneForOne); ok {
		s.children = g.asChildren()
	}
	s.rawRoot = actor.NewRootContext(as, nil)
	// protoactor's root spawn middleware ignores the parent handed down
	// the chain and spawns under the root context it was set on, so the
	// guardian goes on that same context.
	s.root = s.rawRoot.Copy().WithGuardian(s.guardian).WithSpawnMiddleware(s.rootSpawnMiddleware)
	s.top = newTopLevel(s)
	as.Extensions.Register(&systemExtension{s: s})
	s.subscribe(owned)
	return s
}

// FromContext returns the System an actor runs in, or nil when the actor's
// system was not built by New or Wrap.
func FromContext(ctx actor.Context) *System { return FromActorSystem(ctx.ActorSystem()) }

// FromActorSystem returns the System around as, or nil.
func FromActorSystem(as *actor.ActorSystem) *System {
	if as == nil {
		return nil
	}
	if ext, ok := as.Extensions.Get(extensionID).(*systemExtension); ok {
		return ext.s
	}
	return nil
}

var extensionID = extensions.NextExtensionID()

type systemExtension struct{ s *System }

func (*systemExtension) ExtensionID() extensions.ExtensionID { return extensionID }

// Name returns the system's name.
func (s *System) Name() string { return s.name }

// ActorSystem returns the underlying protoactor system.
func (s *System) ActorSystem() *actor.ActorSystem { return s.as }

// Root returns the root context. Spawns through it get the Env like
// System.Spawn does.
func (s *System) Root() *actor.RootContext { return s.root }

// Clock returns the system clock.
func (s *System) Clock() Clock { return s.clock }

// Now returns the current time on the system clock.
func (s *System) Now() time.Time { return s.clock.Now() }

// Rand returns the system's random generator: seeded by the simulator,
// OS-seeded and goroutine-safe in a real system.
func (s *System) Rand() *rand.Rand { return s.rand }

// Logger returns the system's logger.
func (s *System) Logger() *slog.Logger { return s.logger }

// Env returns the environment the system runs in, with defaults filled in.
func (s *System) Env() Env { return s.env }

// Spawn starts a top-level actor from props with a generated name.
func (s *System) Spawn(props *actor.Props) (*actor.PID, error) {
	if props == nil {
		return nil, errors.New("actors: spawn: nil props")
	}
	return s.SpawnNamed(props, s.as.ProcessRegistry.NextId())
}

// SpawnNamed starts a top-level actor from props under name. It fails if
// the name is empty or taken, the system is closed, or props' producer panics or
// returns no actor (protoactor runs it on the caller's goroutine; the
// panic is not passed on).
func (s *System) SpawnNamed(props *actor.Props, name string) (*actor.PID, error) {
	if props == nil {
		return nil, errors.Errorf("actors: spawn %q: nil props", name)
	}
	if name == "" {
		return nil, errors.New("actors: spawn: empty name (Spawn generates one)")
	}
	pid, err := s.root.SpawnNamed(props, name)
	if err != nil {
		return nil, errors.Wrapf(err, "actors: spawn %q", name)
	}
	return pid, nil
}

// Send sends message to pid from outside any actor. A message to a nil
// pid is a dead letter, as if sent to an actor that no longer exists.
func (s *System) Send(pid *actor.PID, message any) {
	if pid == nil {
		// protoactor dereferences the PID.
		s.as.DeadLetter.SendUserMessage(nil, message)
		return
	}
	s.rawRoot.Send(pid, message)
}

// Stop stops pid at once: queued messages are dropped. A nil pid is
// ignored.
func (s *System) Stop(pid *actor.PID) {
	if pid != nil {
		s.rawRoot.Stop(pid)
	}
}

// Poison stops pid after the messages already queued for it. A nil pid is
// ignored.
func (s *System) Poison(pid *actor.PID) {
	if pid != nil {
		s.rawRoot.Poison(pid)
	}
}

// Wait blocks a caller outside the actors until ready yields or is closed,
// through the Env's Waiter: a channel wait in a real system, a run of the
// simulation loop in a simulated one. Never call it from inside an actor.
//
// If ready yields by the time ctx ends, Wait reports success: what was
// awaited has happened.
func (s *System) Wait(ctx context.Context, ready <-chan struct{}) error {
	return s.wait(ctx, ready)
}

// Unmanaged runs fn with protoactor's Root set to a plain root context, so
// that top-level actors spawned during fn are neither given the Env nor
// tracked for Close. It is for infrastructure that manages its own
// actors' lifetime, such as protoactor remote's endpoint actors (see
// package node). Do not spawn other actors concurrently.
func (s *System) Unmanaged(fn func()) {
	if !s.owned {
		fn() // a wrapped system's Root was never replaced
		return
	}
	s.as.Root = s.rawRoot
	defer func() { s.as.Root = s.root }()
	fn()
}
