package signalbus

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/actorio/actorio/internal/wire"
	"github.com/pkg/errors"
)

// How events and connection requests cross nodes: an event is its
// signal's name (the event type), its header and its value as JSON in a
// protobuf message; the subscriber decodes it into its own T. Everything
// decoded here comes from a peer, so it is checked and refused with an
// error, never trusted.

// ErrUnknownType means a peer named an event type the receiver does not
// know: a connect for a signal the server does not have, or an event of
// another type than the connection's.
var ErrUnknownType = errors.New("unknown event type")

// ErrBadEvent means a peer sent an event that does not decode (malformed
// JSON for the type, wrong number of accessor arguments).
var ErrBadEvent = errors.New("malformed event")

// ErrBadRequest means a peer sent a connection request the server
// refuses (a queue limit or policy out of range).
var ErrBadRequest = errors.New("bad request")

// ErrPeerGone means a remote connection ended because the other node
// died, became unreachable (its keepalive failed), or forgot the
// connection (it restarted).
var ErrPeerGone = errors.New("peer gone")

// MaxRemoteQueue bounds the backlog limit a peer may ask for.
const MaxRemoteQueue = 1 << 16

// maxWireArgs bounds the accessor arguments of a connect or an event.
const maxWireArgs = 64

// encodeEvent turns a delivery into the wire message (without the
// connection's fields, which the server fills in). A value whose
// MarshalJSON panics is an error, as one that fails: the server ends the
// connection, not itself.
func encodeEvent(ev AnyEvent) (*wire.SignalEvent, error) {
	h := ev.Head()
	data, err := guardJSON(func() ([]byte, error) { return json.Marshal(ev.Data()) })
	if err != nil {
		return nil, errors.Wrapf(err, "signalbus: encode a %s event", h.Signal.Name)
	}
	return &wire.SignalEvent{
		Seq:     h.Seq,
		Time:    h.Time.UnixNano(),
		Args:    h.Args,
		Type:    h.Signal.Name,
		Data:    data,
		Dropped: ev.EventDropped(),
	}, nil
}

// decodeEvent checks an event from a peer against the connection's signal
// and decodes its value into a T.
func decodeEvent[T any](m *wire.SignalEvent, info *SignalInfo) (*Emission[T], error) {
	if m.GetType() != info.Name {
		return nil, errors.Wrapf(ErrUnknownType, "signalbus: event of type %q on a connection to %s", m.GetType(), info.Name)
	}
	if len(m.GetArgs()) != len(info.Args) {
		return nil, errors.Wrapf(ErrBadEvent, "signalbus: %s event with %d accessor arguments, want %d", info.Name, len(m.GetArgs()), len(info.Args))
	}
	e := &Emission[T]{Header: Header{Signal: info, Seq: m.GetSeq(), Time: time.Unix(0, m.GetTime()), Args: m.GetArgs()}}
	// T's own UnmarshalJSON runs on the peer's bytes: a panic in it is a
	// malformed event, refused on its connection, not a failure of the
	// client actor (which would end every remote connection of the bus).
	if _, err := guardJSON(func() ([]byte, error) { return nil, json.Unmarshal(m.GetData(), &e.Value) }); err != nil {
		return nil, errors.Wrapf(ErrBadEvent, "signalbus: %s event: %v", info.Name, err)
	}
	return e, nil
}

// guardJSON runs f, turning a panic in it (a MarshalJSON or
// UnmarshalJSON of the user's type) into an error.
func guardJSON(f func() ([]byte, error)) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, errors.Errorf("panic in a JSON method: %v", r)
		}
	}()
	return f()
}

// connectInfo is what a server tells a client about the signal it
// connected to.
func connectInfo(m *wire.SignalConnected) (*SignalInfo, error) {
	if m.GetName() == "" || len(m.GetArgs()) > maxWireArgs {
		return nil, errors.Wrapf(ErrBadEvent, "signalbus: connect answer with signal %q and %d arguments", m.GetName(), len(m.GetArgs()))
	}
	info := &SignalInfo{Name: m.GetName(), Wire: m.GetWire(), Accessor: m.GetAccessor()}
	for _, a := range m.GetArgs() {
		info.Args = append(info.Args, ArgInfo{Name: a.GetName(), Type: a.GetType(), Optional: a.GetOptional()})
	}
	return info, nil
}

// describe is the reverse of connectInfo, on the server.
func describe(m *wire.SignalConnected, info *SignalInfo) {
	m.Name, m.Wire, m.Accessor = info.Name, info.Wire, info.Accessor
	for _, a := range info.Args {
		m.Args = append(m.Args, &wire.SignalArgInfo{Name: a.Name, Type: a.Type, Optional: a.Optional})
	}
}

// connectOptions checks a peer's connect request and turns it into the
// local connection's options; kind names the failure for the peer.
func connectOptions(m *wire.SignalConnect) (opts []ConnectOption, kind string, err error) {
	if m.GetConn() == "" || len(m.GetConn()) > 256 {
		return nil, kindBadRequest, errors.Wrapf(ErrBadRequest, "signalbus: connect without a valid connection name (%d bytes)", len(m.GetConn()))
	}
	if m.GetLimit() > MaxRemoteQueue {
		return nil, kindBadRequest, errors.Wrapf(ErrBadRequest, "signalbus: connect with queue limit %d, at most %d", m.GetLimit(), MaxRemoteQueue)
	}
	if m.GetPolicy() > uint32(DropNewest) {
		return nil, kindBadRequest, errors.Wrapf(ErrBadRequest, "signalbus: connect with overflow policy %d", m.GetPolicy())
	}
	if len(m.GetArgs()) > maxWireArgs {
		return nil, kindBadRequest, errors.Wrapf(ErrBadRequest, "signalbus: connect with %d arguments", len(m.GetArgs()))
	}
	limit := int(m.GetLimit())
	if limit == 0 {
		limit = DefaultQueueLimit
	}
	opts = append(opts, Queue(limit, Policy(m.GetPolicy())))
	for _, a := range m.GetArgs() {
		opts = append(opts, Arg(a.GetName(), a.GetValue()))
	}
	return opts, "", nil
}

// The failure kinds of a SignalConnected.
const (
	kindUnknownType = "unknown-type"
	kindBadArgument = "bad-argument"
	kindBadRequest  = "bad-request"
	kindClosed      = "closed"
	kindStale       = "stale"
)

// connectError turns a refused SignalConnected into an error that
// errors.Is the matching sentinel.
func connectError(m *wire.SignalConnected) error {
	var base error
	switch m.GetErrorKind() {
	case kindUnknownType:
		base = ErrUnknownType
	case kindBadArgument:
		base = ErrBadArgument
	case kindClosed:
		base = ErrClosed
	case kindStale:
		base = ErrPeerGone
	default:
		base = ErrBadRequest
	}
	return errors.Wrap(base, fmt.Sprintf("signalbus: the server refused the connection: %s", m.GetError()))
}
