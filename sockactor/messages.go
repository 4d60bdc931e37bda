package sockactor

import (
	"net"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Request messages. Send one to a socket's PID (Conn.PID, Dgram.PID); the
// socket answers with exactly one completion message, never before the
// send returned. The completion goes to ReplyTo, or to the sender when
// ReplyTo is nil (send with ctx.Request to be the sender); with neither,
// it is dropped. Timeout > 0 arms a per-request timeout on the actor
// clock (ETIMEDOUT). Tag is copied into the completion. A request value
// is one request: to cancel it, send &Cancel{Req: it}. Sent again (to this
// socket or another) before its completion, it is refused with EALREADY:
// one completion for the message sent again, to its ReplyTo or sender,
// naming the same Req, and the pending request is untouched. Once its
// completion is out, it may be sent again, as a new request (the Go
// handle it came from, if any, keeps its first result). A request that
// never reaches its socket (sent once the socket stopped, or queued
// behind its stop) is counted as a dead letter and completes with
// ECONNABORTED, to its ReplyTo or else its sender.

// ReadPDU reads one PDU through Next (tsocket_readv_send with its
// next_iovec callback). A second read while one is pending gets EBUSY.
// Completion: *ReadPDUDone.
type ReadPDU struct {
	Next    NextFunc
	Timeout time.Duration
	ReplyTo *actor.PID
	Tag     any
	reqState
}

// ReadPDUQueue is ReadPDU through the socket's read queue: queued PDU reads
// run one after the other, in order, each getting one whole PDU.
// Completion: *ReadPDUDone.
type ReadPDUQueue ReadPDU

// ReadPDUs reads a batch of whole PDUs through the socket's read queue
// (no seed equivalent: a pipelining server's readv_pdu_queue drained at
// once, as recvmmsg drains datagrams). It waits its turn and reads its
// first PDU through Frame like a ReadPDUQueue; then, without waiting for
// more bytes, every further PDU already whole in the socket's receive
// buffer, up to Max (0: DefaultReadPDUsMax). A later PDU is only started
// when its header decodes and all its bytes are buffered, so the batch
// fails only on its first PDU (with ReadPDU's rules) and whatever it did
// not take stays whole for the next read. Frame is the request's until
// its completion (it must not be shared with another pending read);
// a batch starts it over at a header when it begins, so it may be sent
// in the next ReadPDUs as is, after a success or a failure (a cancel or
// timeout before any byte came leaves the stream clean for that retry).
// Completion: *ReadPDUsDone.
type ReadPDUs struct {
	Frame   *Frame
	Max     int
	Timeout time.Duration
	ReplyTo *actor.PID
	Tag     any
	reqState
}

// Writev writes the whole vector (tsocket_writev_send). A second write
// while one is pending gets EBUSY. The buffers must not change until the
// completion. Completion: *WritevDone.
type Writev struct {
	Bufs    [][]byte
	Timeout time.Duration
	ReplyTo *actor.PID
	Tag     any
	reqState
}

// WritevQueue is Writev through the socket's write queue
// (tsocket_writev_queue_send): bytes of queued writes go out in
// submission order, never interleaved. Completion: *WritevDone.
type WritevQueue Writev

// Connect connects an unconnected stream socket (tsocket_connect_send).
// Completion: *ConnectDone.
type Connect struct {
	Network, Addr string
	Timeout       time.Duration
	ReplyTo       *actor.PID
	Tag           any
	reqState
}

// Disconnect closes a stream or datagram socket's endpoint; the actor
// stays to answer later requests with ENOTCONN. EBUSY with I/O pending,
// EALREADY while disconnecting. Completion: *DisconnectDone.
type Disconnect struct {
	ReplyTo *actor.PID
	Tag     any
	reqState
}

// RecvFrom receives the next whole datagram with its source address
// (tsocket_recvfrom_send). A second one while one is pending gets EBUSY.
// Completion: *RecvFromDone.
type RecvFrom struct {
	Timeout time.Duration
	ReplyTo *actor.PID
	Tag     any
	reqState
}

// SendTo sends one datagram to Dst (tsocket_sendto_send). A second one
// while one is pending gets EBUSY; len 0 gets EINVAL. Data must not
// change until the completion, and is the caller's again once it is
// out, whatever the outcome: a send cancelled or timed out while the
// transport is sending it completes (ECANCELED, ETIMEDOUT) only once the
// transport has aborted the send and let go of Data (its error says
// whether the datagram had left), as a Writev does.
// Completion: *SendToDone.
type SendTo struct {
	Data    []byte
	Dst     net.Addr
	Timeout time.Duration
	ReplyTo *actor.PID
	Tag     any
	reqState
}

// SendToQueue is SendTo through the socket's send queue
// (tsocket_sendto_queue_send): datagrams leave in submission order, each
// request with its own result (aborting a send for one withdrawn request
// costs the others nothing: those the abort kept from leaving go again).
// Completion: *SendToDone.
type SendToQueue SendTo

// Cancel withdraws the request Req (the pointer that was sent). Before
// the request started it completes cleanly with ECANCELED; after a
// partial transfer on a stream it completes with ECANCELED and the stream
// is poisoned (later requests get ECONNABORTED). A finished request is
// left alone.
type Cancel struct{ Req any }

// Close stops the socket: everything pending completes with
// ECONNABORTED, the endpoint is closed and the actor stops. A write (or
// send) the endpoint was carrying out completes once the endpoint has let
// go of its buffers, which may be after the actor stopped.
type Close struct{}

// ReadPDUDone completes a ReadPDU or ReadPDUQueue: N is the PDU's size.
type ReadPDUDone struct {
	Socket *actor.PID
	Req    any // *ReadPDU or *ReadPDUQueue
	Tag    any
	N      int
	Err    error
}

// ReadPDUsDone completes a ReadPDUs: PDUs are the PDUs read, in stream
// order, header included (at least one on success), and N their total
// size. They are the caller's; the PDUs the batch found already buffered
// share one buffer (each slice's capacity ends with its PDU, so an append
// to one never writes into another), so keeping one keeps them all:
// copy a PDU kept long after its batch is done with.
type ReadPDUsDone struct {
	Socket *actor.PID
	Req    *ReadPDUs
	Tag    any
	PDUs   [][]byte
	N      int
	Err    error
}

// WritevDone completes a Writev or WritevQueue: N is the vector's size.
type WritevDone struct {
	Socket *actor.PID
	Req    any // *Writev or *WritevQueue
	Tag    any
	N      int
	Err    error
}

// ConnectDone completes a Connect.
type ConnectDone struct {
	Socket        *actor.PID
	Req           *Connect
	Tag           any
	Local, Remote net.Addr
	Err           error
}

// DisconnectDone completes a Disconnect.
type DisconnectDone struct {
	Socket *actor.PID
	Req    *Disconnect
	Tag    any
	Err    error
}

// RecvFromDone completes a RecvFrom with one whole datagram (possibly
// empty) and its source address.
type RecvFromDone struct {
	Socket *actor.PID
	Req    *RecvFrom
	Tag    any
	Data   []byte
	Src    net.Addr
	Err    error
}

// SendToDone completes a SendTo or SendToQueue: N is the datagram's size.
type SendToDone struct {
	Socket *actor.PID
	Req    any // *SendTo or *SendToQueue
	Tag    any
	N      int
	Err    error
}

// completionMessage builds the completion message for c of request msg.
func completionMessage(self *actor.PID, msg any, tag any, c *Completion) any {
	switch r := msg.(type) {
	case *ReadPDU, *ReadPDUQueue:
		return &ReadPDUDone{Socket: self, Req: msg, Tag: tag, N: c.N, Err: c.Err}
	case *ReadPDUs:
		return &ReadPDUsDone{Socket: self, Req: r, Tag: tag, PDUs: c.PDUs, N: c.N, Err: c.Err}
	case *Writev, *WritevQueue:
		return &WritevDone{Socket: self, Req: msg, Tag: tag, N: c.N, Err: c.Err}
	case *Connect:
		return &ConnectDone{Socket: self, Req: r, Tag: tag, Local: c.Local, Remote: c.Remote, Err: c.Err}
	case *Disconnect:
		return &DisconnectDone{Socket: self, Req: r, Tag: tag, Err: c.Err}
	case *RecvFrom:
		return &RecvFromDone{Socket: self, Req: r, Tag: tag, Data: c.Data, Src: c.Src, Err: c.Err}
	case *SendTo, *SendToQueue:
		return &SendToDone{Socket: self, Req: msg, Tag: tag, N: c.N, Err: c.Err}
	case *Accept:
		conn, _ := c.Value.(*Conn)
		return &AcceptDone{Listener: self, Req: r, Tag: tag, Conn: conn, Err: c.Err}
	}
	return nil
}
