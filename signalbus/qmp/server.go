package qmp

import (
	"sync"
	"sync/atomic"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/schema"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// Version is what the greeting and query-version report.
type Version struct {
	Major, Minor, Micro int
	Package             string
}

// Limits bound what clients can make a server hold.
type Limits struct {
	MaxConns   int // sessions at once; more are told so and closed (default 16)
	MaxLine    int // bytes in one input message (a JSON value); a longer one gets an error and is discarded (default 64 KiB)
	MaxPending int // input lines read ahead of the command being handled (default 8, as QEMU)
	EventQueue int // backlog bound of each of a session's connections (default signalbus.DefaultQueueLimit)
}

// DefaultLimits are the limits of a server unless WithLimits says otherwise.
var DefaultLimits = Limits{MaxConns: 16, MaxLine: 64 << 10, MaxPending: 8, EventQueue: signalbus.DefaultQueueLimit}

// Server serves a bus over QMP: one Conn actor per session.
type Server struct {
	bus     *signalbus.Bus
	sys     *actors.System
	schema  *schema.Schema
	reg     *Registry
	version Version
	limits  Limits

	mu    sync.Mutex
	conns int

	handlerPanics atomic.Uint64
}

// Option configures a Server.
type Option func(*Server)

// WithVersion sets the version the greeting reports.
func WithVersion(v Version) Option { return func(s *Server) { s.version = v } }

// WithLimits sets the server's limits; zero fields keep their defaults.
func WithLimits(l Limits) Option {
	return func(s *Server) {
		if l.MaxConns > 0 {
			s.limits.MaxConns = l.MaxConns
		}
		if l.MaxLine > 0 {
			s.limits.MaxLine = l.MaxLine
		}
		if l.MaxPending > 0 {
			s.limits.MaxPending = l.MaxPending
		}
		if l.EventQueue > 0 {
			s.limits.EventQueue = l.EventQueue
		}
	}
}

// NewServer returns a server for bus. sch (may be nil) is the schema the
// bus's signals come from: query-qmp-schema reports it, and command
// arguments may use its types. Every signal already on the bus gets its
// generated <accessor>-connect and <accessor>-disconnect commands. A
// signal is refused where a name would be twice in one object, as QAPI
// refuses clashing members: an accessor argument named tag (disconnect
// could not tell it from the handle), an argument named twice, or one
// named like a member of the event, in sch or in the signal's Go event
// type (signalbus.SignalRef.EventType; its members as encoding/json
// names them): the event's data holds both, and the member's value
// would replace the argument's. schema.Parse refuses accessors with such
// arguments, and signalbus.NewSignal one named twice, so these are
// signals made by hand (signalbus.WithArgs) that the schema does not
// describe so.
func NewServer(bus *signalbus.Bus, sch *schema.Schema, opts ...Option) (*Server, error) {
	s := &Server{
		bus:     bus,
		sys:     bus.System(),
		schema:  sch,
		reg:     NewRegistry(sch),
		version: Version{Major: 7, Minor: 2, Micro: 0, Package: "actorio"},
		limits:  DefaultLimits,
	}
	for _, o := range opts {
		o(s)
	}
	if err := s.builtins(); err != nil {
		return nil, err
	}
	for _, sig := range bus.Signals() {
		if err := s.signalCommands(sig); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Bus returns the bus the server serves.
func (s *Server) Bus() *signalbus.Bus { return s.bus }

// Limits returns the server's limits.
func (s *Server) Limits() Limits { return s.limits }

// Registry returns the server's commands.
func (s *Server) Registry() *Registry { return s.reg }

// Register adds an application command. Its arguments are type-checked
// against args (types from the server's schema) before h runs; events h
// emits are written to the session before the command's response (its
// return or its error), also those that wait in a connection's queue.
func (s *Server) Register(name string, args []*schema.Member, returns string, h Handler) error {
	return s.reg.Add(&Command{Name: name, Args: args, Returns: returns, Handler: h, Flush: true})
}

// Attach starts a session on stream (an accepted connection) and returns
// its actor. Over MaxConns, the session only writes an error and closes.
func (s *Server) Attach(stream Stream) (*actor.PID, error) {
	if stream == nil {
		return nil, errors.New("qmp: attach: nil stream")
	}
	s.mu.Lock()
	s.conns++
	reject := s.conns > s.limits.MaxConns
	s.mu.Unlock()
	c := &Conn{srv: s, stream: stream, m: NewMachine(s.reg, s.limits.MaxLine), reject: reject}
	pid, err := s.sys.Spawn(actor.PropsFromProducer(func() actor.Actor { return c }))
	if err != nil {
		s.release()
		return nil, errors.Wrap(err, "qmp: attach")
	}
	return pid, nil
}

// HandlerPanics counts the command handlers that panicked (each answered
// with a GenericError; the session went on).
func (s *Server) HandlerPanics() uint64 { return s.handlerPanics.Load() }

// Conns returns how many sessions are open (rejected ones included until
// they close).
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

func (s *Server) release() {
	s.mu.Lock()
	s.conns--
	s.mu.Unlock()
}
