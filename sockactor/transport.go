package sockactor

import (
	"errors"
	"net"
	"os"
)

// Transport opens socket endpoints. A socket actor never touches a file
// descriptor: it asks its endpoint for work and hears the results as
// events delivered to its Sink. The real Transport (Net) gives every fd
// to driver goroutines; package sim's network implements the same
// interface on the simulation loop.
//
// Listen and ListenPacket bind at once (a bind never blocks) and report
// bind errors (EADDRINUSE, EACCES...) directly; Connect reports its
// outcome later, as one *EvConnected event.
type Transport interface {
	// Connect starts connecting a stream endpoint to addr on network
	// ("tcp", "tcp4", "tcp6", "unix"). Exactly one *EvConnected event
	// follows on sink, unless the endpoint is closed first. An error is
	// returned only for a request that cannot start (unknown network).
	Connect(network, addr string, sink Sink) (Stream, error)
	// Listen binds a stream listener ("tcp", "tcp4", "tcp6", "unix").
	// Nothing is accepted until Start and Accept.
	Listen(network, addr string, cfg ListenConfig) (ListenEndpoint, error)
	// ListenPacket binds a datagram endpoint ("udp", "udp4", "udp6",
	// "unixgram"). Nothing is delivered until Start.
	ListenPacket(network, addr string) (Packet, error)
}

// ListenConfig tunes a listener.
type ListenConfig struct {
	// Mode, when non-zero, is applied to a unix socket's file (QMP
	// wants 0600). Ignored for other networks.
	Mode os.FileMode
}

// Sink receives an endpoint's events. The real transport calls it from
// its driver goroutines, the simulated one from the simulation loop; a
// socket actor's sink only sends the event to the actor.
type Sink func(ev any)

// Stream is one byte-stream endpoint (a connected TCP or unix socket).
// At most one Read and one Write are outstanding at a time; each is
// answered by exactly one event.
type Stream interface {
	// Start sets the sink of an accepted stream (a connecting stream got
	// its sink from Connect). Calling it again has no effect.
	Start(sink Sink)
	// Read asks for the next bytes, at most max: one *EvData follows.
	Read(max int)
	// Write writes every byte of bufs, in order: one *EvWritten follows.
	// The endpoint does not keep bufs after that event.
	Write(bufs [][]byte)
	// AbortWrite ends the outstanding Write as soon as it can: its
	// *EvWritten follows (the bytes written so far and an error, unless
	// the write had just finished), and then the endpoint no longer
	// reads its bufs. Without an outstanding Write it does nothing.
	AbortWrite()
	// Close closes the endpoint. Outstanding operations end with an
	// error event; then one *EvClosed follows. Until the outstanding
	// Write's event (or EvClosed) the endpoint may still read its bufs:
	// the socket delivers the completions of the writes it carries only
	// after that.
	Close()
	// LocalAddr and RemoteAddr return the endpoint's addresses (nil
	// while connecting).
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}

// Packet is one datagram endpoint.
type Packet interface {
	// Start sets the sink; nothing is delivered before.
	Start(sink Sink)
	// Recv asks for the next datagram: one *EvDatagram follows.
	Recv()
	// Send sends each datagram of batch, in order: one *EvSent follows
	// with one result per datagram. The endpoint does not keep batch
	// after that event.
	Send(batch []Outgoing)
	// AbortSend ends the outstanding Send as soon as it can: its
	// *EvSent follows, in which each datagram the endpoint did not send
	// because of the abort has an error matching ErrSendAborted (the
	// datagrams sent before it have their usual results, and none is
	// sent after it), and then the endpoint no longer reads the batch.
	// Without an outstanding Send it does nothing, and the endpoint
	// stays usable either way.
	AbortSend()
	// Close closes the endpoint; one *EvClosed follows. Until the
	// outstanding batch's EvSent (or EvClosed) the endpoint may still
	// read its datagrams.
	Close()
	// LocalAddr returns the bound address.
	LocalAddr() net.Addr
}

// ListenEndpoint is one stream listener endpoint.
type ListenEndpoint interface {
	// Start sets the sink; nothing is delivered before.
	Start(sink Sink)
	// Accept asks for the next connection: one *EvAccepted follows.
	Accept()
	// Close stops listening; one *EvClosed follows (a unix socket's file
	// is removed).
	Close()
	// Addr returns the bound address.
	Addr() net.Addr
}

// Outgoing is one datagram to send.
type Outgoing struct {
	Data []byte
	Dst  net.Addr
}

// EvConnected ends a Connect: Err is nil on success.
type EvConnected struct {
	Local, Remote net.Addr
	Err           error
}

// EvData answers a Stream.Read: the bytes read (len ≥ 1), or an error
// (io.EOF when the peer closed its side). The socket owns Data from then
// on. Free, when set, takes Data back once the socket has consumed all of
// it (the transport may then reuse its array); a socket that stops with
// bytes unread does not call it.
type EvData struct {
	Data []byte
	Err  error
	Free func([]byte)
}

// EvWritten answers a Stream.Write: N bytes were accepted by the kernel;
// Err is non-nil when not all were.
type EvWritten struct {
	N   int
	Err error
}

// EvClosed reports that an endpoint is closed and will send nothing more.
type EvClosed struct{}

// EvAccepted answers a Listener.Accept: a new unstarted Stream, or an
// error.
type EvAccepted struct {
	Stream Stream
	Err    error
}

// PacketBatchReceiver is a Packet that can hand over several datagrams
// for one request. RecvUpTo(n), n ≥ 1, asks for up to n datagrams: one
// *EvDatagram follows, or one *EvDatagrams with 2 to n of them: the
// first, once one arrives, and those already waiting behind it, in
// order. A Packet without it is asked with Recv, one datagram at a time.
type PacketBatchReceiver interface {
	RecvUpTo(n int)
}

// EvDatagrams answers a PacketBatchReceiver.RecvUpTo with more than one
// datagram, in the order they arrived.
type EvDatagrams struct {
	Datagrams []EvDatagram
}

// EvDatagram answers a Packet.Recv: one whole datagram and its source,
// or an error.
type EvDatagram struct {
	Data []byte
	Src  net.Addr
	Err  error
}

// EvSent answers a Packet.Send: one error (nil for success) per datagram
// of the batch, in order.
type EvSent struct {
	Errs []error
}

// ErrSendAborted is the result (matched with errors.Is) that a Packet
// reports for a datagram of its outstanding batch that it did not send
// because of AbortSend. A datagram socket sends such a datagram again
// with its successors, unless its own request was the one withdrawn.
var ErrSendAborted = errors.New("sockactor: send aborted before the datagram left")
