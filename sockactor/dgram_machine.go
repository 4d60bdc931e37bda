package sockactor

import (
	"errors"
	"net"
	"syscall"
	"time"
)

// DgramConfig sizes a datagram socket. Zero fields take the defaults.
type DgramConfig struct {
	// MaxDatagram is the largest datagram sent or received (EMSGSIZE
	// beyond). Default 65507, the largest UDP/IPv4 payload.
	MaxDatagram int
	// RecvQueue is how many received datagrams may wait for a
	// recvfrom. Default 256.
	RecvQueue int
	// SendBatch is how many queued datagrams go to the transport at
	// once. Default 64.
	SendBatch int
}

// Default datagram sizes.
const (
	DefaultMaxDatagram = 65507
	DefaultRecvQueue   = 256
	DefaultSendBatch   = 64
)

func (c DgramConfig) withDefaults() DgramConfig {
	if c.MaxDatagram <= 0 {
		c.MaxDatagram = DefaultMaxDatagram
	}
	if c.RecvQueue <= 0 {
		c.RecvQueue = DefaultRecvQueue
	}
	if c.SendBatch <= 0 {
		c.SendBatch = DefaultSendBatch
	}
	return c
}

// DgramMachine is the pure core of a datagram socket: one pending
// recvfrom fed from a queue of received datagrams, the sendto lane (one
// pending direct send, a FIFO queue), disconnect, cancellation and
// timeouts. Datagram errors are per request, never sticky.
type DgramMachine struct {
	effects
	cfg      DgramConfig
	state    StreamState // Connected (open), Disconnecting, Disconnected, Stopped
	rq       []EvDatagram
	reading  bool
	recv     *simpleOp
	sends    []*sendOp
	sending  int  // sends[:sending] are at the transport
	aborting bool // EffAbortSend is out for the outstanding batch
	flushing bool
	disc     *simpleOp
}

type sendOp struct {
	id   ReqID
	kind OpKind
	out  Outgoing
	// Set when the send was withdrawn (cancelled, timed out) while at
	// the transport: it fails with errno once the transport has let go
	// of its batch (OnSent).
	errno syscall.Errno
	why   string
}

// NewDgramMachine returns an open datagram machine.
func NewDgramMachine(cfg DgramConfig) *DgramMachine {
	m := &DgramMachine{cfg: cfg.withDefaults(), state: StateConnected}
	m.wantRecv()
	return m
}

// State returns the socket's state.
func (m *DgramMachine) State() StreamState { return m.state }

// Queued returns how many received datagrams wait for a recvfrom.
func (m *DgramMachine) Queued() int { return len(m.rq) }

func (m *DgramMachine) refusal(op string) error {
	switch m.state {
	case StateStopped, StateDisconnecting:
		return errf(op, syscall.ECONNABORTED, "socket is %s", stateWord(m.state))
	case StateDisconnected:
		return errf(op, syscall.ENOTCONN, "socket is %s", stateWord(m.state))
	}
	return nil
}

// RecvFrom submits a receive of the next whole datagram; EBUSY if one is
// pending.
func (m *DgramMachine) RecvFrom(timeout time.Duration) ReqID {
	id := m.newID()
	err := m.refusal("recvfrom")
	if err == nil && m.recv != nil {
		err = errf("recvfrom", syscall.EBUSY, "another recvfrom is pending")
	}
	if err != nil {
		m.complete(Completion{ID: id, Kind: OpRecvFrom, Err: err})
		return id
	}
	m.recv = &simpleOp{id: id, kind: OpRecvFrom}
	m.arm(id, timeout)
	m.deliver()
	return id
}

// SendTo submits one datagram (queue=false: EBUSY if a send is pending;
// queue=true: tsocket_sendto_queue_send). len 0 → EINVAL; longer than
// MaxDatagram → EMSGSIZE; nil dst → EDESTADDRREQ.
func (m *DgramMachine) SendTo(p []byte, dst net.Addr, queue bool, timeout time.Duration) ReqID {
	id, kind := m.newID(), OpSendTo
	if queue {
		kind = OpSendToQueue
	}
	var err error
	switch {
	case len(p) == 0:
		err = errf("sendto", syscall.EINVAL, "zero-length datagram")
	case len(p) > m.cfg.MaxDatagram:
		err = errf("sendto", syscall.EMSGSIZE, "datagram of %d bytes exceeds the maximum of %d", len(p), m.cfg.MaxDatagram)
	case dst == nil:
		err = errf("sendto", syscall.EDESTADDRREQ, "no destination address")
	default:
		err = m.refusal("sendto")
	}
	if err == nil && !queue && len(m.sends) > 0 {
		err = errf("sendto", syscall.EBUSY, "another sendto is pending")
	}
	if err != nil {
		m.complete(Completion{ID: id, Kind: kind, Err: err})
		return id
	}
	m.sends = append(m.sends, &sendOp{id: id, kind: kind, out: Outgoing{Data: p, Dst: dst}})
	m.arm(id, timeout)
	if m.sending == 0 && !m.flushing {
		m.flushing = true
		m.emit(&EffFlush{})
	}
	return id
}

// Flush hands the datagrams queued so far to the transport (the answer
// to EffFlush).
func (m *DgramMachine) Flush() {
	m.flushing = false
	m.pumpSends()
}

// OnDatagram feeds one received datagram (or a receive error, which goes
// to the next recvfrom only).
func (m *DgramMachine) OnDatagram(ev EvDatagram) {
	m.reading = false
	if m.state != StateConnected {
		return
	}
	m.queue(ev)
	m.deliver()
	m.wantRecv()
}

// OnDatagrams feeds the datagrams a transport handed over for one
// EffRecv (EvDatagrams), in the order they arrived.
func (m *DgramMachine) OnDatagrams(evs []EvDatagram) {
	m.reading = false
	if m.state != StateConnected {
		return
	}
	for _, ev := range evs {
		m.queue(ev)
	}
	m.deliver()
	m.wantRecv()
}

// queue appends a received datagram to the receive queue (one larger
// than MaxDatagram as its EMSGSIZE error).
func (m *DgramMachine) queue(ev EvDatagram) {
	if ev.Err == nil && len(ev.Data) > m.cfg.MaxDatagram {
		ev = EvDatagram{Src: ev.Src, Err: errf("recvfrom", syscall.EMSGSIZE, "datagram of %d bytes exceeds the maximum of %d", len(ev.Data), m.cfg.MaxDatagram)}
	}
	m.rq = append(m.rq, ev)
}

func (m *DgramMachine) deliver() {
	if m.recv == nil || len(m.rq) == 0 {
		return
	}
	op, ev := m.recv, m.rq[0]
	m.recv = nil
	m.rq[0] = EvDatagram{}
	m.rq = m.rq[1:]
	c := Completion{ID: op.id, Kind: OpRecvFrom, N: len(ev.Data), Data: ev.Data, Src: ev.Src}
	if ev.Err != nil {
		c.N, c.Data, c.Err = 0, nil, AsErrno("recvfrom", ev.Err, syscall.EIO)
	}
	m.complete(c)
	m.wantRecv() // the queue has room again
}

func (m *DgramMachine) wantRecv() {
	if m.reading || m.state != StateConnected || len(m.rq) >= m.cfg.RecvQueue {
		return
	}
	m.reading = true
	m.emit(&EffRecv{Max: m.cfg.RecvQueue - len(m.rq)})
}

// OnSent feeds the per-datagram outcome of the outstanding send batch.
// The transport has let go of the batch: the sends withdrawn while in it
// complete now, in order with the others. A datagram that an abort the
// machine asked for kept from leaving goes again, ahead of the queue, if
// its send was not withdrawn.
func (m *DgramMachine) OnSent(errs []error) {
	k, aborted := m.sending, m.aborting
	m.sending, m.aborting = 0, false
	if m.state != StateConnected {
		return
	}
	batch := m.sends[:k]
	again := 0 // batch[:again]: the datagrams to send again
	for i, op := range batch {
		var err error
		if i < len(errs) {
			err = errs[i]
		} else {
			err = errf("sendto", syscall.EIO, "transport reported %d results for %d datagrams", len(errs), k)
		}
		switch {
		case op.errno != 0:
			left := "it had left"
			if err != nil {
				left = "it did not leave"
			}
			m.complete(Completion{ID: op.id, Kind: op.kind, Err: errf("sendto", op.errno, "sendto %s while at the transport (%s)", op.why, left)})
		case err == nil:
			m.complete(Completion{ID: op.id, Kind: op.kind, N: len(op.out.Data)})
		case aborted && errors.Is(err, ErrSendAborted):
			batch[again] = op
			again++
		default:
			m.complete(Completion{ID: op.id, Kind: op.kind, Err: AsErrno("sendto", err, syscall.EIO)})
		}
	}
	// The datagrams to send again take the places just before the queue.
	copy(m.sends[k-again:k], batch[:again])
	clear(m.sends[:k-again])
	m.sends = m.sends[k-again:]
	m.pumpSends()
}

func (m *DgramMachine) pumpSends() {
	if m.sending > 0 || len(m.sends) == 0 || m.state != StateConnected {
		return
	}
	k := min(len(m.sends), m.cfg.SendBatch)
	batch := make([]Outgoing, k)
	for i, op := range m.sends[:k] {
		batch[i] = op.out
	}
	m.sending = k
	m.emit(&EffSend{Batch: batch})
}

// Disconnect closes the socket: EBUSY with a recvfrom or sendto pending,
// EALREADY while disconnecting, ENOTCONN afterwards.
func (m *DgramMachine) Disconnect() ReqID {
	id := m.newID()
	var err error
	switch {
	case m.state == StateDisconnecting:
		err = errf("disconnect", syscall.EALREADY, "disconnect already pending")
	case m.state != StateConnected:
		err = m.refusal("disconnect")
	case m.recv != nil || len(m.sends) > 0:
		err = errf("disconnect", syscall.EBUSY, "recvfrom or sendto pending")
	}
	if err != nil {
		m.complete(Completion{ID: id, Kind: OpDisconnect, Err: err})
		return id
	}
	m.state = StateDisconnecting
	m.disc = &simpleOp{id: id, kind: OpDisconnect}
	m.rq = nil
	m.emit(&EffClose{})
	return id
}

// OnClosed feeds the transport's report that the endpoint is closed.
func (m *DgramMachine) OnClosed() {
	if m.state != StateDisconnecting {
		return
	}
	m.state = StateDisconnected
	if op := m.disc; op != nil {
		m.disc = nil
		m.complete(Completion{ID: op.id, Kind: OpDisconnect})
	}
}

// Stop completes everything pending with ECONNABORTED and closes.
func (m *DgramMachine) Stop() {
	if m.state == StateStopped {
		return
	}
	if m.state == StateConnected {
		m.emit(&EffClose{})
	}
	m.state = StateStopped
	m.aborting = false
	if op := m.recv; op != nil {
		m.recv = nil
		m.complete(Completion{ID: op.id, Kind: op.kind, Err: errf("recvfrom", syscall.ECONNABORTED, "socket stopped")})
	}
	sends := m.sends
	m.sends, m.sending, m.rq = nil, 0, nil
	for _, op := range sends {
		err := errf("sendto", syscall.ECONNABORTED, "socket stopped")
		if op.errno != 0 {
			err = errf("sendto", op.errno, "sendto %s while at the transport", op.why)
		}
		m.complete(Completion{ID: op.id, Kind: op.kind, Err: err})
	}
	if op := m.disc; op != nil {
		m.disc = nil
		m.complete(Completion{ID: op.id, Kind: op.kind, Err: errf("disconnect", syscall.ECONNABORTED, "socket stopped")})
	}
}

// Cancel withdraws a request with ECANCELED. A recvfrom never consumed
// anything, so its cancel is always clean, and so is that of a sendto
// the transport was not given yet. A sendto at the transport may still
// leave: the machine asks the transport to abort its batch
// (EffAbortSend) and the sendto completes once the transport reports the
// batch (OnSent), after which the transport no longer reads its datagram;
// nothing is poisoned (datagrams are whole), and the other datagrams of
// the batch that the abort kept from leaving are sent again.
func (m *DgramMachine) Cancel(id ReqID) { m.withdraw(id, syscall.ECANCELED, "cancelled") }

// Expire is the timeout of request id: like Cancel, with ETIMEDOUT.
func (m *DgramMachine) Expire(id ReqID) { m.withdraw(id, syscall.ETIMEDOUT, "timed out") }

func (m *DgramMachine) withdraw(id ReqID, errno syscall.Errno, why string) {
	if op := m.recv; op != nil && op.id == id {
		m.recv = nil
		m.complete(Completion{ID: id, Kind: op.kind, Err: errf("recvfrom", errno, "recvfrom %s", why)})
		return
	}
	for i, op := range m.sends {
		if op.id != id {
			continue
		}
		if i < m.sending {
			if op.errno != 0 {
				return // withdrawn already: waits for the transport
			}
			// The transport may be reading op's datagram: op fails, in
			// order, once it has let go of the batch (OnSent).
			op.errno, op.why = errno, why
			if !m.aborting {
				m.aborting = true
				m.emit(&EffAbortSend{})
			}
			return
		}
		m.sends = append(m.sends[:i:i], m.sends[i+1:]...)
		m.complete(Completion{ID: id, Kind: op.kind, Err: errf("sendto", errno, "sendto %s before it started", why)})
		return
	}
}
