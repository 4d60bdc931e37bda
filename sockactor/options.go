package sockactor

import (
	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// Owner is where a socket actor is spawned: an *actors.System (a
// top-level socket) or an actor.Context (a child of the calling actor,
// stopped with it).
type Owner interface {
	SpawnNamed(props *actor.Props, name string) (*actor.PID, error)
}

// Option configures a socket.
type Option func(*options)

type options struct {
	stream StreamConfig
	dgram  DgramConfig
	name   string
	listen ListenConfig
	accept *actor.PID
}

// WithStreamConfig sizes a stream socket (and the connections a listener
// accepts).
func WithStreamConfig(c StreamConfig) Option { return func(o *options) { o.stream = c } }

// WithDgramConfig sizes a datagram socket.
func WithDgramConfig(c DgramConfig) Option { return func(o *options) { o.dgram = c } }

// WithName names the socket actor (default: a generated name).
func WithName(name string) Option { return func(o *options) { o.name = name } }

// WithMode sets the file mode of a unix listener's socket file. On the
// real transport the file appears at its path with that mode already set:
// the socket is bound in a private directory (0700) created next to the
// path, chmodded there and linked to the path, so that it is never
// reachable with the umask's permissions; the directory is removed. The
// path's directory must therefore be writable, as for any bind. A process
// that dies within the Listen call, between creating that directory and
// removing it, leaves it behind (named ".s" and digits, next to the
// path); nothing uses it again and it may be removed. Abstract ("@name")
// and autobound ("") addresses have no file: the mode is ignored.
func WithMode(c ListenConfig) Option { return func(o *options) { o.listen = c } }

// AcceptTo makes a listener push every accepted connection to pid as an
// *AcceptDone, instead of waiting for Accept requests.
func AcceptTo(pid *actor.PID) Option { return func(o *options) { o.accept = pid } }

func buildOptions(opts []Option) options {
	var o options
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}

// systemOf returns the System behind an owner.
func systemOf(owner Owner) (*actors.System, error) {
	switch o := owner.(type) {
	case *actors.System:
		return o, nil
	case actor.Context:
		if s := actors.FromContext(o); s != nil {
			return s, nil
		}
		return nil, errors.New("sockactor: the owner actor was not spawned through an actors.System")
	case nil:
		return nil, errors.New("sockactor: nil owner")
	}
	return nil, errors.Errorf("sockactor: owner %T is neither an *actors.System nor an actor.Context", owner)
}

func spawn(owner Owner, sys *actors.System, prefix, name string, producer actor.Producer) (*actor.PID, error) {
	if name == "" {
		name = prefix + sys.ActorSystem().ProcessRegistry.NextId()
	}
	// Sockets are data-path actors: in a real system they run on the
	// goroutine that hands them a message (a driver posting an event, a
	// caller posting a request) with a lean mailbox, which saves a
	// goroutine start per message; in a simulation the World's dispatcher
	// and mailbox replace both. The drivers take commands without
	// blocking, so an actor running on a driver's goroutine cannot wait
	// on itself.
	pid, err := owner.SpawnNamed(actor.PropsFromProducer(producer, actors.HotPath()...), name)
	if err != nil {
		return nil, errors.Wrapf(err, "sockactor: spawn %s", name)
	}
	return pid, nil
}
