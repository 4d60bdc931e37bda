package sim

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// World is one deterministic simulation: a set of nodes (each an
// actors.System on the World's Env), a seeded scheduler that picks the
// next mailbox step, a virtual clock, independent random streams, and a
// running fingerprint of everything that happened. Everything runs on the
// goroutine that calls Run; a World is not safe for concurrent use.
type World struct {
	seed       uint64
	sched      scheduler
	clock      vclock
	fp         fingerprint
	types      typeNames
	streams    map[string]*rand.Rand
	nodes      []*node
	byName     map[string]*node
	logger     *slog.Logger
	record     bool
	events     []Event
	escape     escapeLog
	owner      uintptr // goroutine allowed to drive the World
	running    bool
	steps      int64
	delivers   int64
	eventCount int64
	msgSeq     uint64       // ids of posted messages
	current    *stepMailbox // the mailbox taking the current step, if any
	failure    error        // a panic outside any actor, or a misuse, ends the run
	booting    *node        // the node whose boot function is running, if any
	net        network      // the network between nodes
	crashHooks []func(node string)

	profile     Profile
	nemesisOn   bool
	healed      bool
	healedAt    time.Duration
	healHooks   []func()
	panicTarget func(node, actorID string) bool
	buggify     map[string]bool // site → activated
	canaries    map[string]bool // planted bugs turned on
	canaryUsed  map[string]bool

	replay        *replay        // replaying a plan instead of drawing faults
	injected      []Fault        // the faults injected so far
	opportunities map[string]int // kind|target → opportunities so far
}

// Option configures a World.
type Option func(*World)

// WithRecording keeps every event of the run (see Events). Without it only
// the fingerprint is kept, which is much cheaper.
func WithRecording() Option { return func(w *World) { w.record = true } }

// WithLogger sends the logs of the World's nodes to l (by default they are
// discarded).
func WithLogger(l *slog.Logger) Option { return func(w *World) { w.logger = l } }

// WithStrategy replaces the uniform random scheduler. make receives the
// World's "sched" random stream.
func WithStrategy(make func(rng *rand.Rand) Strategy) Option {
	return func(w *World) { w.sched.strategy = make(w.Rand("sched")) }
}

// New returns an empty World for seed. If the profile or plan among opts
// is invalid (Profile.Validate, Plan.Validate), every Run fails with why.
func New(seed uint64, opts ...Option) *World {
	w := &World{
		seed:    seed,
		fp:      newFingerprint(seed),
		types:   typeNames{},
		streams: map[string]*rand.Rand{},
		byName:  map[string]*node{},
		logger:  actors.DiscardLogger(),
		owner:   getg(),
	}
	w.clock.w = w
	for _, o := range opts {
		o(w)
	}
	if w.sched.strategy == nil {
		w.sched.strategy = NewRandom(w.Rand("sched"))
	}
	if err := w.inputErr(); err != nil {
		w.fail(err)
	}
	return w
}

// inputErr checks the profile (WithProfile) or plan (WithPlan) the World
// was given: an invalid one fails every Run instead of running with
// rates that are not probabilities or a heal that never comes.
func (w *World) inputErr() error {
	if w.replay != nil {
		return errors.Wrap(w.replay.plan.Validate(), "sim: invalid plan")
	}
	return errors.Wrap(w.profile.Validate(), "sim: invalid profile")
}

// Seed returns the World's seed.
func (w *World) Seed() uint64 { return w.seed }

// Rand returns the random stream called name. Each stream is derived from
// (seed, name) alone, so adding a stream for a new purpose never changes
// the draws of the others. The same name returns the same stream.
func (w *World) Rand(name string) *rand.Rand {
	if r, ok := w.streams[name]; ok {
		return r
	}
	r := stream(w.seed, name)
	w.streams[name] = r
	return r
}

// stream returns a fresh generator for (seed, name).
func stream(seed uint64, name string) *rand.Rand {
	return rand.New(rand.NewPCG(seed, hashString(name)))
}

// Clock returns the virtual clock.
func (w *World) Clock() actors.Clock { return &w.clock }

// Now returns the virtual time elapsed since the start of the run. It
// may be called from any goroutine, also while the World runs (it then
// returns the virtual time the World last moved to).
func (w *World) Now() time.Duration { return time.Duration(w.clock.shown.Load()) }

// Steps returns how many steps (mailbox steps and timer firings) ran.
func (w *World) Steps() int64 { return w.steps }

// EventCount returns how many events (scheduling decisions, sends,
// deliveries, timer firings, supervision decisions, dead letters, notes)
// the run has hashed into its fingerprint.
func (w *World) EventCount() int64 { return w.eventCount }

// Deliveries returns how many messages were handed to actors.
func (w *World) Deliveries() int64 { return w.delivers }

// Fingerprint returns the hash of every decision and event so far. The
// same seed and the same build give the same fingerprint, always.
func (w *World) Fingerprint() uint64 { return w.fp.sum() }

// Events returns the recorded events (WithRecording), in order.
func (w *World) Events() []Event { return w.events }

// Strategy returns the scheduling strategy.
func (w *World) Strategy() Strategy { return w.sched.strategy }

type node struct {
	w     *World
	name  string
	hash  uint64
	sys   *actors.System // current incarnation
	opts  []actors.Option
	boot  func(*actors.System) error // nil: the node cannot restart
	down  bool
	epoch int // incarnation; mailboxes and timers of older ones are dead
}

// Node adds a node: an actors.System whose dispatcher, mailboxes, clock,
// random source, logger and waiter are the World's. Its PIDs carry name
// as their address. Node names must be unique.
func (w *World) Node(name string, opts ...actors.Option) (*actors.System, error) {
	if name == "" {
		return nil, errors.New("sim: node needs a name")
	}
	if _, dup := w.byName[name]; dup {
		return nil, errors.Errorf("sim: node %q exists", name)
	}
	n := &node{w: w, name: name, hash: hashString("node/" + name), opts: opts}
	w.nodes = append(w.nodes, n)
	w.byName[name] = n
	n.sys = w.newSystem(n)
	return n.sys, nil
}

// newSystem builds an incarnation of node n.
func (w *World) newSystem(n *node) *actors.System {
	name := n.name
	env := actors.Env{
		Name:       name,
		Dispatcher: dispatcher{n: n},
		Mailbox:    func() actor.Mailbox { return newStepMailbox(n) },
		Clock:      &w.clock,
		Rand:       w.Rand(fmt.Sprintf("node/%s/%d", name, n.epoch)),
		Logger:     w.logger.With("node", name),
		Waiter:     w,
		Observer:   w,
		Faults:     w,
		Configure: func(as *actor.ActorSystem) {
			as.ProcessRegistry.Address = name
			as.ProcessRegistry.RegisterAddressResolver(w.resolver(name))
		},
	}
	base := baseSystem(env.Logger.With("system", name))
	return actors.New(append(n.opts, actors.WithEnv(env), actors.WithActorSystem(base))...)
}

// fail ends the World's runs with err (the first one wins).
func (w *World) fail(err error) {
	if w.failure == nil {
		w.failure = err
	}
}

// MustNode is Node for set-up code where a bad name is a bug.
func (w *World) MustNode(name string, opts ...actors.Option) *actors.System {
	s, err := w.Node(name, opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// Nodes returns the nodes' systems in the order they were added.
func (w *World) Nodes() []*actors.System {
	out := make([]*actors.System, len(w.nodes))
	for i, n := range w.nodes {
		out[i] = n.sys
	}
	return out
}

// Note adds a scenario's or a fault's own event to the fingerprint (and
// the recording).
func (w *World) Note(what string) {
	w.event(EventNote)
	w.fp.mix(hashString(what))
	if w.record {
		w.add(Event{Kind: EventNote, What: what})
	}
}

func (w *World) add(e Event) {
	e.Step, e.Time, e.Hash = w.steps, w.clock.now, w.fp.h
	w.events = append(w.events, e)
}

// sent hashes (and records) a message posted to m, and returns its id.
func (w *World) sent(m *stepMailbox, msg any) uint64 {
	w.msgSeq++
	tn := w.types.of(actor.UnwrapEnvelopeMessage(msg))
	w.event(EventSend)
	w.fp.mix(m.task.Key)
	w.fp.mix(tn.hash)
	if w.record {
		e := Event{Kind: EventSend, Peer: m.n.name + "/" + m.id, What: tn.name, ID: w.msgSeq}
		if c := w.current; c != nil {
			e.Node, e.Actor = c.n.name, c.id
		}
		w.add(e)
	}
	return w.msgSeq
}

// delivered hashes (and records) a message handed to an actor.
func (w *World) delivered(m *stepMailbox, msg any, id uint64) {
	w.delivers++
	body, sender := msg, (*actor.PID)(nil)
	if env, ok := msg.(*actor.MessageEnvelope); ok {
		body, sender = env.Message, env.Sender
	}
	tn := w.types.of(body)
	w.event(EventDeliver)
	w.fp.mix(m.task.Key)
	w.fp.mix(tn.hash)
	if sender != nil {
		w.fp.mix(hashString(sender.Id))
	}
	if w.record {
		e := Event{Kind: EventDeliver, Node: m.n.name, Actor: m.id, What: tn.name, ID: id}
		if sender != nil {
			e.Peer = sender.Address + "/" + sender.Id
		}
		w.add(e)
	}
}

// Supervised implements actors.Observer.
func (w *World) Supervised(system string, child *actor.PID, reason any, directive actor.Directive) {
	w.event(EventSupervision)
	w.fp.mix(hashString(system))
	w.fp.mix(hashString(child.Id))
	w.fp.mix(uint64(directive))
	w.fp.mix(hashString(reasonText(reason)))
	if w.record {
		w.add(Event{Kind: EventSupervision, Node: system, Actor: child.Id, What: directive.String() + ": " + reasonText(reason)})
	}
}

// DeadLetter implements actors.Observer.
func (w *World) DeadLetter(system string, target *actor.PID, message any, sender *actor.PID) {
	tn := w.types.of(message)
	w.event(EventDeadLetter)
	w.fp.mix(hashString(system))
	w.fp.mix(hashString(target.Id))
	w.fp.mix(tn.hash)
	if w.record {
		e := Event{Kind: EventDeadLetter, Node: system, Actor: target.Id, What: tn.name}
		if sender != nil {
			e.Peer = sender.Id
		}
		w.add(e)
	}
}

// reasonText renders a panic value without anything that varies between
// processes (such as pointers).
func reasonText(r any) string {
	switch v := r.(type) {
	case string:
		return v
	case error:
		return v.Error()
	default:
		return typeNames{}.of(r).name
	}
}
