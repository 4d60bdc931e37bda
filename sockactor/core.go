package sockactor

import (
	"fmt"
	"net"
	"time"
)

// This file holds what the two pure state machines (StreamMachine and
// DgramMachine) share: request identities, operation kinds and effects.
// The machines have no goroutines, clocks, I/O or actor types: they take
// inputs (requests, transport events, cancels, timer expiries) and return
// effects that the socket actor carries out.

// ReqID identifies one accepted request inside a machine.
type ReqID uint64

// OpKind says which seed helper a request is.
type OpKind uint8

// The operation kinds, one per seed helper.
const (
	OpReadv       OpKind = iota + 1 // tsocket_readv_send with next_iovec
	OpReadvQueue                    // the readv-PDU queue
	OpWritev                        // tsocket_writev_send
	OpWritevQueue                   // tsocket_writev_queue_send
	OpConnect                       // tsocket_connect_send
	OpDisconnect                    // tstream/tdgram_disconnect_send
	OpRecvFrom                      // tsocket_recvfrom_send
	OpSendTo                        // tsocket_sendto_send
	OpSendToQueue                   // tsocket_sendto_queue_send
	OpReadPDUs                      // a batch of whole PDUs through the read queue (ours)
)

var opNames = [...]string{"", "readv", "readv-queue", "writev", "writev-queue", "connect", "disconnect", "recvfrom", "sendto", "sendto-queue", "readv-pdus"}

// String returns the OpKind in readable form.
func (k OpKind) String() string {
	if int(k) < len(opNames) && k != 0 {
		return opNames[k]
	}
	return fmt.Sprintf("op(%d)", uint8(k))
}

// IOVMax is the most entries one vector may have (Linux IOV_MAX).
const IOVMax = 1024

// Effect is something a machine asks its actor to do.
type Effect interface{ isEffect() }

// Completion finishes request ID: exactly one per accepted request.
type Completion struct {
	ID   ReqID
	Kind OpKind
	N    int   // bytes transferred (readv, writev, sendto, recvfrom)
	Err  error // nil on success, else an *Error
	// PDUs carries a ReadPDUs batch: the PDUs read, in stream order (N is
	// their total size).
	PDUs [][]byte
	// Data and Src carry a received datagram (recvfrom).
	Data []byte
	Src  net.Addr
	// Local and Remote carry a connect's addresses.
	Local, Remote net.Addr
	// Value carries a shell's own result (an accepted *Conn).
	Value any
}

// EffRead asks the stream transport for at most Max bytes. A machine has
// one transport read outstanding at a time and reuses the EffRead for the
// next one: it is valid until the read's outcome is fed back (OnData).
type EffRead struct{ Max int }

// EffWrite asks the stream transport to write Bufs. A machine has one
// transport write outstanding at a time and reuses the EffWrite and its
// Bufs slice for the next one: both are valid until the write's outcome
// is fed back (OnWritten).
type EffWrite struct{ Bufs [][]byte }

// EffAbortWrite asks the stream transport to end the outstanding write
// as soon as it can (Stream.AbortWrite): the stream is poisoned, and the
// requests it carries complete once the transport reports the write.
type EffAbortWrite struct{}

// EffAbortSend asks the datagram transport to end the outstanding send
// batch as soon as it can (Packet.AbortSend): the sends withdrawn while
// in it complete once the transport reports the batch, and the others
// it did not send go again.
type EffAbortSend struct{}

// EffConnect asks for a new transport endpoint connecting to Addr.
type EffConnect struct{ Network, Addr string }

// EffFlush asks the actor to call Flush once the messages already in its
// mailbox have been handled, so that a burst of queued writes (or sends)
// reaches the transport as one batch.
type EffFlush struct{}

// EffClose asks the transport to close the endpoint.
type EffClose struct{}

// EffRecv asks the datagram transport for the next datagram, or for up
// to Max of them from a transport that hands over several at once
// (PacketBatchReceiver): Max is the room left in the receive queue.
type EffRecv struct{ Max int }

// EffSend asks the datagram transport to send Batch.
type EffSend struct{ Batch []Outgoing }

// EffStartTimer asks for Expire(ID) after D on the actor clock.
type EffStartTimer struct {
	ID ReqID
	D  time.Duration
}

// EffStopTimer cancels the timer of ID.
type EffStopTimer struct{ ID ReqID }

func (*Completion) isEffect()    {}
func (*EffRead) isEffect()       {}
func (*EffWrite) isEffect()      {}
func (*EffAbortWrite) isEffect() {}
func (*EffConnect) isEffect()    {}
func (*EffClose) isEffect()      {}
func (*EffFlush) isEffect()      {}
func (*EffRecv) isEffect()       {}
func (*EffSend) isEffect()       {}
func (*EffAbortSend) isEffect()  {}
func (*EffStartTimer) isEffect() {}
func (*EffStopTimer) isEffect()  {}

// effects is the output buffer and timer bookkeeping both machines use.
type effects struct {
	out    []Effect
	spare  []Effect // the slice Effects returned last time, reused next
	free   []*Completion
	nextID ReqID
	timed  map[ReqID]bool
}

func (e *effects) newID() ReqID {
	e.nextID++
	return e.nextID
}

// arm starts the timer of a request that is now pending.
func (e *effects) arm(id ReqID, timeout time.Duration) {
	if timeout <= 0 {
		return
	}
	if e.timed == nil {
		e.timed = map[ReqID]bool{}
	}
	e.timed[id] = true
	e.emit(&EffStartTimer{ID: id, D: timeout})
}

func (e *effects) emit(eff Effect) { e.out = append(e.out, eff) }

// complete emits c, in a Completion recycled from an earlier batch when
// there is one (a busy socket completes a request per PDU).
func (e *effects) complete(c Completion) {
	if e.timed[c.ID] {
		delete(e.timed, c.ID)
		e.emit(&EffStopTimer{ID: c.ID})
	}
	e.emit(reuse(&e.free, c))
}

// Effects returns the effects produced since the last call, in order.
// The slice and the Completions in it are valid until the next call,
// which reuses them: copy what must outlive it.
func (e *effects) Effects() []Effect {
	out := e.out
	for i, eff := range e.spare {
		if c, ok := eff.(*Completion); ok {
			recycle(&e.free, c)
		}
		e.spare[i] = nil
	}
	e.out, e.spare = e.spare[:0], out
	return out
}
