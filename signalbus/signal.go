package signalbus

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// SignalInfo describes a signal: what the schema says about it.
type SignalInfo struct {
	Name     string    // the event type's name, e.g. BlockDeviceEvent
	Wire     string    // its QMP event name, e.g. BLOCK_DEVICE_EVENT
	Accessor string    // the signal accessor, e.g. block-device-event
	Args     []ArgInfo // the accessor's arguments, e.g. device
	Throttle *Throttle // nil: not throttled
}

// ArgInfo is one accessor argument.
type ArgInfo struct {
	Name     string
	Type     string // schema type: str, int, bool
	Optional bool   // may be omitted on connect (then it does not filter)
}

// Throttle declares rate limiting for a signal, as QEMU does for some of
// its events: per value of Key (an accessor argument or a member of the
// event; empty: one key for the whole signal), the first emission is
// delivered at once, later ones within Period are held and only the latest
// is delivered when the period ends ("latest wins, the last is never
// lost"). Emissions whose member Exempt names has one of the listed values
// bypass the throttle. It runs on the actor clock.
type Throttle struct {
	Period time.Duration
	Key    string
	Exempt map[string][]string
}

// SignalOption configures a signal.
type SignalOption func(*SignalInfo)

// WithArgs declares the signal accessor's arguments (all of type str and
// required on QMP connect). Emit takes their values in this order.
func WithArgs(names ...string) SignalOption {
	return func(i *SignalInfo) {
		for _, n := range names {
			i.Args = append(i.Args, ArgInfo{Name: n, Type: "str"})
		}
	}
}

// WithArgInfo declares accessor arguments with their types.
func WithArgInfo(args ...ArgInfo) SignalOption {
	return func(i *SignalInfo) { i.Args = append(i.Args, args...) }
}

// WithThrottle declares the signal's throttle. The signal keeps its own
// copy (of Exempt too): changing t's map or value lists afterwards
// changes nothing of it.
func WithThrottle(t Throttle) SignalOption {
	return func(i *SignalInfo) {
		tt := t
		if t.Exempt != nil {
			tt.Exempt = make(map[string][]string, len(t.Exempt))
			for _, name := range sortedNames(t.Exempt) {
				tt.Exempt[name] = append([]string(nil), t.Exempt[name]...)
			}
		}
		i.Throttle = &tt
	}
}

// WithWire overrides the QMP event name.
func WithWire(name string) SignalOption { return func(i *SignalInfo) { i.Wire = name } }

// WithAccessor overrides the accessor's name (default: the type name in
// QEMU command style, BlockIOEvent → block-io-event).
func WithAccessor(name string) SignalOption { return func(i *SignalInfo) { i.Accessor = name } }

// Signal is one typed signal: an actor holding its connections, its
// throttle and its order. Emit never blocks.
type Signal[T any] struct {
	*signalBase
	key    func(v *T, args []string) string
	exempt func(v *T, args []string) bool
}

// signalBase is the untyped part of a signal, shared with sessions and the
// QMP endpoint.
type signalBase struct {
	info   *SignalInfo
	typ    reflect.Type // T
	bus    *Bus
	sys    *actors.System
	pid    *actor.PID
	closed atomic.Bool
	waits  waits // blocking Disconnects waiting for the actor
	// connMu orders a connection's registration and its request to the
	// actor against the actor's look at the registered connections
	// after a restart (see Bus.connect).
	connMu sync.Mutex
}

func (s *signalBase) send(m any) { s.sys.Send(s.pid, m) }

// wake implements connHost.
func (s *signalBase) wake(h Handle) { s.send(&wake{h: h}) }

// Info returns what the schema says about the signal. It is the
// signal's own: read it, do not change it (the throttle, its period
// included, is fixed when the signal is made).
func (s *signalBase) Info() *SignalInfo { return s.info }

// EventType returns the Go type of the signal's events (the T of its
// Signal[T]), as the QMP endpoint needs it to see the members an event's
// data will have.
func (s *signalBase) EventType() reflect.Type { return s.typ }

// PID returns the signal's actor.
func (s *signalBase) PID() *actor.PID { return s.pid }

// Closed reports whether the signal was closed (its bus was): it accepts
// no emission or connection, delivers nothing more, and its actor stops.
func (s *signalBase) Closed() bool { return s.closed.Load() }

func (s *signalBase) base() *signalBase { return s }

// NewSignal registers a signal called name (the event type's name) on bus
// and starts its actor. Sessions that are already started get their
// default connection to it. It refuses (ErrBadArgument) an empty name,
// and an accessor argument without a name or named twice.
func NewSignal[T any](bus *Bus, name string, opts ...SignalOption) (*Signal[T], error) {
	if bus == nil {
		return nil, errors.Wrapf(ErrBadArgument, "signalbus: new signal %s: nil bus", name)
	}
	info := &SignalInfo{Name: name}
	for _, o := range opts {
		if o != nil {
			o(info)
		}
	}
	if err := info.check(); err != nil {
		return nil, err
	}
	if info.Wire == "" {
		info.Wire = WireName(name)
	}
	if info.Accessor == "" {
		info.Accessor = AccessorName(name)
	}
	s := &Signal[T]{signalBase: &signalBase{info: info, typ: reflect.TypeFor[T](), bus: bus, sys: bus.sys}}
	if err := s.prepareThrottle(); err != nil {
		return nil, err
	}
	// Every incarnation of the actor is the same sigActor: a restart
	// (after a failure) keeps the connections, the throttle and the
	// order, and repairs what the failure may have left behind.
	a := newSignalActor(s)
	if err := bus.addSignal(s.signalBase, func() (*actor.PID, error) {
		// Its children are its func slots' executors.
		sup := slotSupervisor{gen: func() int { return a.started }}
		return spawnSignal(bus.sys, actor.PropsFromProducer(func() actor.Actor { return a }, actor.WithSupervisor(sup)), info.Accessor)
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// spawnSignal starts a signal's actor, named signal-<accessor>. The name
// is no part of any protocol (peers and QMP find a signal through its bus
// by its names), only a help for logs: if another bus of the system (or
// one closed and still stopping) has it, the actor gets a name of its
// own, signal-<accessor>-$<n>, so that buses on one system are
// independent.
func spawnSignal(sys *actors.System, props *actor.Props, accessor string) (*actor.PID, error) {
	name := "signal-" + accessor
	pid, err := sys.SpawnNamed(props, name)
	if errors.Is(err, actor.ErrNameExists) {
		pid, err = sys.SpawnNamed(props, name+"-"+sys.ActorSystem().ProcessRegistry.NextId())
	}
	return pid, err
}

// check refuses a signal without a name, or whose accessor has an
// unnamed argument (no Arg filter could name it) or an argument named
// twice (no Arg filter could tell them apart, and an event's data over
// QMP could hold only one).
func (i *SignalInfo) check() error {
	if i.Name == "" {
		return errors.Wrap(ErrBadArgument, "signalbus: new signal: empty name")
	}
	for j, a := range i.Args {
		if a.Name == "" {
			return errors.Wrapf(ErrBadArgument, "signalbus: new signal %s: accessor argument %d has no name", i.Name, j)
		}
		for k := range j {
			if i.Args[k].Name == a.Name {
				return errors.Wrapf(ErrBadArgument, "signalbus: new signal %s: accessor argument %q is declared twice (arguments %d and %d)", i.Name, a.Name, k, j)
			}
		}
	}
	return nil
}

// Emit emits v with the accessor argument values args (one per declared
// argument, in order). It never blocks: the signal actor fans the event
// out. The event keeps a copy of args, so the caller may reuse its slice
// once Emit returns. It fails only on misuse: a wrong argument count, or
// a closed bus.
func (s *Signal[T]) Emit(v T, args ...string) error {
	if len(args) != len(s.info.Args) {
		return errors.Wrapf(ErrBadArgument, "signalbus: emit %s: %d accessor arguments, want %d", s.info.Name, len(args), len(s.info.Args))
	}
	if s.closed.Load() {
		return errors.Wrapf(ErrClosed, "signalbus: emit %s", s.info.Name)
	}
	// The emission keeps its own copy of the arguments: the signal actor
	// reads them (filters) and slots see them after Emit returned, when
	// the caller may have filled its slice again. (args itself never
	// escapes, so a variadic call's slice stays on the caller's stack.)
	var own []string
	if len(args) > 0 {
		own = append(make([]string, 0, len(args)), args...)
	}
	e := &emission[T]{Emission: Emission[T]{Header: Header{Signal: s.info, Time: s.sys.Now(), Args: own}, Value: v}}
	e.item.Args = own
	e.item.Payload = e
	if s.info.Throttle != nil {
		e.item.Key = s.key(&e.Value, own)
		e.item.Exempt = s.exempt(&e.Value, own)
	}
	s.send(e)
	return nil
}

// Connect connects slot to the signal and returns the connection's handle.
// Options give accessor-argument filters (Arg), the queue (Queue) and the
// owning session (InSession). The connection receives every matching event
// emitted after Connect returns, and none emitted before, but for one a
// throttle holds back when Connect is called: that one goes, when its
// period ends, to the connections open then (QEMU's delayed event). Connect
// never blocks, so it may be called from inside a slot.
func (s *Signal[T]) Connect(ctx context.Context, slot Slot[T], opts ...ConnectOption) (Handle, error) {
	if err := slot.check(); err != nil {
		return "", errors.Wrapf(err, "signalbus: connect %s", s.info.Name)
	}
	return s.connect(slot.target(), opts)
}

// Disconnect ends connection h, made with Signal.Connect without a
// session. It is a barrier: once it returns, the slot receives nothing
// more through h; called from outside the actors it also waits until a
// delivery the slot may be handling right now has finished. Called from
// inside a slot (a func slot's ctx, or InActor), it does not wait. If the
// bus closes while it waits, it returns an error wrapping ErrClosed (the
// connection is closed all the same; the slot may not have finished).
func (s *Signal[T]) Disconnect(ctx context.Context, h Handle) error {
	return s.bus.disconnect(ctx, h, 0, s.signalBase)
}

// emission is one Emit on its way to the signal actor; its Emission is
// what every connection's Event points to.
type emission[T any] struct {
	item Item
	Emission[T]
}

// ErrClosed means the bus (or the signal, or the session) was closed.
var ErrClosed = errors.New("closed")

// ErrUnknownHandle means a handle is not an open connection of the caller
// (never issued, already disconnected, or another session's).
var ErrUnknownHandle = errors.New("unknown handle")

// ErrBadArgument means a call was given arguments it cannot take: a
// connect named an accessor argument the signal does not have, or named
// one twice, or asked for an impossible queue; an Emit gave the wrong
// number of accessor arguments; a signal was declared without a name,
// or with an unnamed accessor argument or one named twice; a session
// connect named no signal.
var ErrBadArgument = errors.New("bad accessor argument")
