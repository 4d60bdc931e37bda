package sockactor

import (
	"math"
	"net"
	"syscall"
	"time"

	"github.com/actorio/actorio/internal/fifo"
)

// NextFunc is the next-iovec callback of a PDU read (Samba's
// tsocket_readv_next_iovec_t). It returns the caller's own buffers to
// fill next; each returned vector is filled completely before NextFunc is
// called again, and an empty vector ends the PDU. It may inspect what was
// read so far (it owns the buffers). An error ends the read with that
// error; an error without an errno becomes EIO. It runs inside the socket
// actor: it must be quick and must not block.
type NextFunc func() ([][]byte, error)

// StreamState is where a stream socket is in its life.
type StreamState uint8

// Stream socket states.
const (
	StateIdle          StreamState = iota // not connected (new, or connect failed)
	StateConnecting                       // connect pending
	StateConnected                        // usable
	StateDisconnecting                    // disconnect pending: new I/O gets ECONNABORTED
	StateDisconnected                     // disconnected: new I/O gets ENOTCONN
	StateStopped                          // actor stopped: everything got ECONNABORTED
)

// StreamConfig sizes a stream socket. Zero fields take the defaults.
type StreamConfig struct {
	// MaxPDU is the largest PDU a read may ask for (EMSGSIZE beyond).
	// Default 16 MiB.
	MaxPDU int
	// ReadAhead is how many received bytes may wait in the socket's
	// buffer for a read. Default 256 KiB.
	ReadAhead int
	// ReadChunk is the most bytes asked of the transport at once.
	// Default 256 KiB.
	ReadChunk int
	// WriteBatch is how many bytes of queued writes go to the transport
	// in one write. Default 1 MiB.
	WriteBatch int
}

// Default sizes.
const (
	DefaultMaxPDU     = 16 << 20
	DefaultReadAhead  = 256 << 10
	DefaultReadChunk  = 256 << 10
	DefaultWriteBatch = 1 << 20
)

func (c StreamConfig) withDefaults() StreamConfig {
	if c.MaxPDU <= 0 {
		c.MaxPDU = DefaultMaxPDU
	}
	if c.ReadAhead <= 0 {
		c.ReadAhead = DefaultReadAhead
	}
	if c.ReadChunk <= 0 {
		c.ReadChunk = DefaultReadChunk
	}
	if c.WriteBatch <= 0 {
		c.WriteBatch = DefaultWriteBatch
	}
	return c
}

// StreamMachine is the pure core of a stream socket: the read and write
// lanes (one pending direct request each, FIFO queues), the PDU reader
// that fills the caller's vectors from a receive buffer without ever
// consuming more than asked, the sticky first error, connect, disconnect,
// cancellation and timeouts. It does no I/O: feed it requests and
// transport events, carry out its Effects.
type StreamMachine struct {
	effects
	cfg   StreamConfig
	state StreamState
	err   error // the sticky first fatal error

	rbuf    []chunk // received, not yet consumed
	rbase   []chunk // rbuf's array from its start (length 0), reused once rbuf empties
	rlen    int
	reading bool    // a transport read is outstanding
	reff    EffRead // the outstanding transport read's request, reused
	reof    error   // the transport's read error, waiting for rbuf to drain

	reads    fifo.Queue[*readOp]
	writes   fifo.Queue[*writeOp]
	writing  bool     // a transport write is outstanding
	inflight int      // writes[:inflight] are in that transport write
	weff     EffWrite // the outstanding transport write, its vector reused
	aborting bool     // EffAbortWrite is out for the outstanding write
	flushing bool     // an EffFlush is out

	connect *simpleOp
	disc    *simpleOp

	// Finished reads and writes, reused by the next ones (a busy socket
	// finishes one of each per PDU).
	freeReads  []*readOp
	freeWrites []*writeOp
}

// chunk is one transport read in the receive buffer.
type chunk struct {
	p    []byte       // the bytes not yet consumed
	all  []byte       // the whole read, for free
	free func([]byte) // takes all back once p is consumed (nil: nobody)
}

type simpleOp struct {
	id   ReqID
	kind OpKind
}

type readOp struct {
	id       ReqID
	kind     OpKind
	next     NextFunc // nil for a batch, which reads with frame.Next
	started  bool
	vec      [][]byte // the array being filled
	vi, off  int      // position in vec
	consumed int      // bytes of this PDU taken from the stream so far
	// A ReadPDUs batch: its framing, the most PDUs it takes, and the PDUs
	// (and their bytes) read so far.
	frame *Frame
	max   int
	pdus  [][]byte
	total int
}

type writeOp struct {
	id    ReqID
	kind  OpKind
	bufs  [][]byte
	total int
	err   error // set: fails with this once the transport gives bufs back
}

// reuse returns a pointer to v, in an object taken from free when it
// has one.
func reuse[T any](free *[]*T, v T) *T {
	var op *T
	if n := len(*free); n > 0 {
		op = (*free)[n-1]
		(*free)[n-1] = nil
		*free = (*free)[:n-1]
	} else {
		op = new(T)
	}
	*op = v
	return op
}

// recycle keeps op, which is finished and out of its lane, in free.
func recycle[T any](free *[]*T, op *T) {
	var zero T
	*op = zero
	*free = append(*free, op)
}

// NewStreamMachine returns a machine in StateIdle, or StateConnected for
// an accepted connection.
func NewStreamMachine(cfg StreamConfig, connected bool) *StreamMachine {
	m := &StreamMachine{cfg: cfg.withDefaults()}
	if connected {
		m.state = StateConnected
		m.wantRead()
	}
	return m
}

// State returns the socket's state.
func (m *StreamMachine) State() StreamState { return m.state }

// Err returns the sticky error, or nil.
func (m *StreamMachine) Err() error { return m.err }

// Buffered returns how many received bytes wait for a read.
func (m *StreamMachine) Buffered() int { return m.rlen }

// Pending returns how many reads and writes are pending or queued.
func (m *StreamMachine) Pending() (reads, writes int) { return m.reads.Len(), m.writes.Len() }

func (m *StreamMachine) fail(id ReqID, kind OpKind, err error) ReqID {
	m.complete(Completion{ID: id, Kind: kind, Err: err})
	return id
}

// ioRefusal returns the error a new read or write gets in the current
// state, or nil if it may proceed.
func (m *StreamMachine) ioRefusal(op string) error {
	switch m.state {
	case StateStopped, StateDisconnecting:
		return errf(op, syscall.ECONNABORTED, "socket is %s", stateWord(m.state))
	case StateIdle, StateConnecting, StateDisconnected:
		return errf(op, syscall.ENOTCONN, "socket is %s", stateWord(m.state))
	}
	return m.err
}

func stateWord(s StreamState) string {
	return [...]string{"not connected", "connecting", "connected", "disconnecting", "disconnected", "stopped"}[s]
}

// Readv submits a PDU read (queue=false: tsocket_readv_send, EBUSY if any
// read is pending; queue=true: the readv-PDU queue). timeout > 0 arms a
// per-request timeout.
func (m *StreamMachine) Readv(next NextFunc, queue bool, timeout time.Duration) ReqID {
	id, kind := m.newID(), OpReadv
	if queue {
		kind = OpReadvQueue
	}
	if next == nil {
		return m.fail(id, kind, errf("readv", syscall.EINVAL, "nil next function"))
	}
	if err := m.ioRefusal("readv"); err != nil {
		return m.fail(id, kind, err)
	}
	if !queue && m.reads.Len() > 0 {
		return m.fail(id, kind, errf("readv", syscall.EBUSY, "another read is pending"))
	}
	m.reads.Push(reuse(&m.freeReads, readOp{id: id, kind: kind, next: next}))
	m.arm(id, timeout)
	m.pumpReads()
	return id
}

// Writev submits a write of the whole vector (queue=false:
// tsocket_writev_send, EBUSY if any write is pending; queue=true:
// tsocket_writev_queue_send). The machine keeps bufs until completion.
func (m *StreamMachine) Writev(bufs [][]byte, queue bool, timeout time.Duration) ReqID {
	id, kind := m.newID(), OpWritev
	if queue {
		kind = OpWritevQueue
	}
	total, err := vectorSize("writev", bufs, math.MaxInt32)
	if err == nil && total == 0 {
		err = errf("writev", syscall.EINVAL, "nothing to write (%d empty buffers)", len(bufs))
	}
	if err == nil {
		err = m.ioRefusal("writev")
	}
	if err == nil && !queue && m.writes.Len() > 0 {
		err = errf("writev", syscall.EBUSY, "another write is pending")
	}
	if err != nil {
		return m.fail(id, kind, err)
	}
	m.writes.Push(reuse(&m.freeWrites, writeOp{id: id, kind: kind, bufs: bufs, total: total}))
	m.arm(id, timeout)
	if !m.writing && !m.flushing {
		m.flushing = true
		m.emit(&EffFlush{})
	}
	return id
}

// Flush hands the writes queued so far to the transport (the answer to
// EffFlush).
func (m *StreamMachine) Flush() {
	m.flushing = false
	m.pumpWrites()
}

// vectorSize validates a vector: at most IOVMax entries, total ≤ limit.
func vectorSize(op string, bufs [][]byte, limit int) (int, error) {
	if len(bufs) > IOVMax {
		return 0, errf(op, syscall.EMSGSIZE, "vector of %d entries exceeds IOV_MAX %d", len(bufs), IOVMax)
	}
	total := 0
	for _, b := range bufs {
		if len(b) > limit-total {
			return 0, errf(op, syscall.EMSGSIZE, "vector exceeds %d bytes", limit)
		}
		total += len(b)
	}
	return total, nil
}

// Connect starts connecting (state Idle only).
func (m *StreamMachine) Connect(network, addr string, timeout time.Duration) ReqID {
	id := m.newID()
	switch m.state {
	case StateIdle:
	case StateConnecting:
		return m.fail(id, OpConnect, errf("connect", syscall.EALREADY, "connect already pending"))
	case StateStopped:
		return m.fail(id, OpConnect, errf("connect", syscall.ECONNABORTED, "socket is stopped"))
	default:
		return m.fail(id, OpConnect, errf("connect", syscall.EISCONN, "socket is %s", stateWord(m.state)))
	}
	m.state = StateConnecting
	m.connect = &simpleOp{id: id, kind: OpConnect}
	m.arm(id, timeout)
	m.emit(&EffConnect{Network: network, Addr: addr})
	return id
}

// OnConnected feeds the transport's connect outcome.
func (m *StreamMachine) OnConnected(local, remote net.Addr, err error) {
	if m.state != StateConnecting || m.connect == nil {
		return
	}
	op := m.connect
	m.connect = nil
	if err != nil {
		m.state = StateIdle
		m.emit(&EffClose{})
		m.complete(Completion{ID: op.id, Kind: OpConnect, Err: AsErrno("connect", err, syscall.EIO)})
		return
	}
	m.state = StateConnected
	m.complete(Completion{ID: op.id, Kind: OpConnect, Local: local, Remote: remote})
	m.wantRead()
}

// Disconnect starts closing the connection: EBUSY with I/O pending,
// EALREADY while disconnecting, ENOTCONN when not connected.
func (m *StreamMachine) Disconnect() ReqID {
	id := m.newID()
	var err error
	switch {
	case m.state == StateStopped:
		err = errf("disconnect", syscall.ECONNABORTED, "socket is stopped")
	case m.state == StateDisconnecting:
		err = errf("disconnect", syscall.EALREADY, "disconnect already pending")
	case m.state == StateConnecting:
		err = errf("disconnect", syscall.EBUSY, "connect pending")
	case m.state != StateConnected:
		err = errf("disconnect", syscall.ENOTCONN, "socket is %s", stateWord(m.state))
	case m.reads.Len() > 0 || m.writes.Len() > 0:
		err = errf("disconnect", syscall.EBUSY, "%d reads and %d writes pending", m.reads.Len(), m.writes.Len())
	}
	if err != nil {
		return m.fail(id, OpDisconnect, err)
	}
	m.state = StateDisconnecting
	m.disc = &simpleOp{id: id, kind: OpDisconnect}
	m.emit(&EffClose{})
	return id
}

// OnClosed feeds the transport's report that the endpoint is closed.
func (m *StreamMachine) OnClosed() {
	if m.state != StateDisconnecting {
		return
	}
	m.state = StateDisconnected
	if op := m.disc; op != nil {
		m.disc = nil
		m.complete(Completion{ID: op.id, Kind: OpDisconnect})
	}
}

// Stop completes everything pending with ECONNABORTED, in order, and
// closes the endpoint. The machine refuses everything afterwards.
func (m *StreamMachine) Stop() {
	if m.state == StateStopped {
		return
	}
	abort := func(op string) error { return errf(op, syscall.ECONNABORTED, "socket stopped") }
	if m.state == StateConnecting || m.state == StateConnected {
		m.emit(&EffClose{})
	}
	m.state = StateStopped
	if op := m.connect; op != nil {
		m.connect = nil
		m.fail(op.id, op.kind, abort("connect"))
	}
	m.failAll(abort("readv"), abort("writev"))
	if op := m.disc; op != nil {
		m.disc = nil
		m.fail(op.id, op.kind, abort("disconnect"))
	}
}

// failAll completes every read and write, in FIFO order per lane.
func (m *StreamMachine) failAll(rerr, werr error) {
	for m.reads.Len() > 0 {
		op := m.reads.Pop()
		m.fail(op.id, op.kind, rerr)
	}
	m.failWrites(werr)
}

// failWrites completes every write with err (or the error it was given
// when withdrawn), in order. While a transport write is outstanding its
// buffers are still being read, and a completion gives them back to the
// caller: so unless the socket is stopping, the machine asks the
// transport to abort the write (EffAbortWrite) and completes the lane
// once it reports back (OnWritten).
func (m *StreamMachine) failWrites(err error) {
	if m.writing && m.state != StateStopped {
		for i := 0; i < m.writes.Len(); i++ {
			if op := m.writes.At(i); op.err == nil {
				op.err = err
			}
		}
		if !m.aborting {
			m.aborting = true
			m.emit(&EffAbortWrite{})
		}
		return
	}
	m.inflight = 0
	for m.writes.Len() > 0 {
		op := m.writes.Pop()
		if op.err != nil {
			m.fail(op.id, op.kind, op.err)
		} else {
			m.fail(op.id, op.kind, err)
		}
	}
}

// poison makes err the sticky error (if none is yet) and fails every
// pending read and write with it.
func (m *StreamMachine) poison(err error) {
	if m.err == nil {
		m.err = err
	}
	m.failAll(m.err, m.err)
}

// Cancel withdraws a request: before it started, cleanly (ECANCELED, no
// I/O); after a partial transfer, the request gets ECANCELED and the
// stream is poisoned. A finished or unknown id is ignored.
func (m *StreamMachine) Cancel(id ReqID) { m.withdraw(id, syscall.ECANCELED, "cancelled") }

// Expire is the timeout of request id firing: like Cancel, with
// ETIMEDOUT.
func (m *StreamMachine) Expire(id ReqID) { m.withdraw(id, syscall.ETIMEDOUT, "timed out") }

func (m *StreamMachine) withdraw(id ReqID, errno syscall.Errno, why string) {
	if op := m.connect; op != nil && op.id == id {
		m.connect = nil
		m.state = StateIdle
		m.emit(&EffClose{})
		m.fail(id, op.kind, errf("connect", errno, "connect %s", why))
		return
	}
	for i := 0; i < m.reads.Len(); i++ {
		op := m.reads.At(i)
		if op.id != id {
			continue
		}
		m.reads.Remove(i)
		if i == 0 && op.consumed > 0 {
			m.fail(id, op.kind, errf("readv", errno, "read %s after %d bytes of the PDU", why, op.consumed))
			m.poison(errf("readv", syscall.ECONNABORTED, "stream poisoned: a read %s after consuming %d bytes of a PDU", why, op.consumed))
			return
		}
		m.fail(id, op.kind, errf("readv", errno, "read %s", why))
		m.pumpReads()
		return
	}
	for i := 0; i < m.writes.Len(); i++ {
		op := m.writes.At(i)
		if op.id != id || op.err != nil { // (one already failing waits for the transport)
			continue
		}
		if i < m.inflight {
			// The transport is writing from op's buffers: op fails, in
			// order, once the transport has let go of them.
			op.err = errf("writev", errno, "write %s while in progress", why)
			m.poison(errf("writev", syscall.ECONNABORTED, "stream poisoned: a write %s after it had started", why))
			return
		}
		m.writes.Remove(i)
		m.fail(id, op.kind, errf("writev", errno, "write %s before it started", why))
		return
	}
}
