package sockactor

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// Conn is a stream socket: an actor (PID) plus its blocking Go face.
// Actors send it request messages; Go code calls its methods, which send
// the same messages and return a *Pending handle. A Conn value may be
// copied and shared; WithTimeout returns a copy whose requests carry a
// timeout.
type Conn struct {
	sys     *actors.System
	pid     *actor.PID
	face    *face
	addrs   *addrBox
	timeout time.Duration
}

type addrBox struct {
	mu            sync.Mutex
	local, remote net.Addr
}

func (c *Conn) setAddrs(local, remote net.Addr) {
	c.addrs.mu.Lock()
	c.addrs.local, c.addrs.remote = local, remote
	c.addrs.mu.Unlock()
}

// NewConn spawns an unconnected stream socket on owner; Connect connects
// it (tsocket_connect_send).
func NewConn(owner Owner, tr Transport, opts ...Option) (*Conn, error) {
	return spawnConn(owner, tr, nil, buildOptions(opts))
}

func spawnConn(owner Owner, tr Transport, ep Stream, o options) (*Conn, error) {
	if tr == nil && ep == nil {
		return nil, errors.New("sockactor: nil transport")
	}
	sys, err := systemOf(owner)
	if err != nil {
		return nil, err
	}
	c := &Conn{sys: sys, face: newFace(), addrs: &addrBox{}}
	if ep != nil {
		c.setAddrs(ep.LocalAddr(), ep.RemoteAddr())
	}
	pid, err := spawn(owner, sys, "conn", o.name, func() actor.Actor { return newConnActor(o.stream, tr, ep, c) })
	if err != nil {
		return nil, err
	}
	c.pid = pid
	return c, nil
}

// Dial spawns a stream socket on owner and connects it to addr, waiting
// for the outcome: tsocket_connect_send/recv in one call. On failure the
// socket is closed.
func Dial(ctx context.Context, owner Owner, tr Transport, network, addr string, opts ...Option) (*Conn, error) {
	c, err := NewConn(owner, tr, opts...)
	if err != nil {
		return nil, err
	}
	if _, err := c.Connect(network, addr).Wait(ctx); err != nil {
		c.sys.Send(c.pid, &Close{})
		return nil, err
	}
	return c, nil
}

// PID returns the socket actor's address.
func (c *Conn) PID() *actor.PID { return c.pid }

// System returns the System the socket runs in.
func (c *Conn) System() *actors.System { return c.sys }

// WithTimeout returns a copy of c whose requests time out after d on the
// actor clock (ETIMEDOUT); d ≤ 0 means no timeout.
func (c *Conn) WithTimeout(d time.Duration) *Conn {
	cp := *c
	cp.timeout = d
	return &cp
}

// LocalAddr returns the local address once connected (else nil).
func (c *Conn) LocalAddr() net.Addr {
	c.addrs.mu.Lock()
	defer c.addrs.mu.Unlock()
	return c.addrs.local
}

// RemoteAddr returns the peer's address once connected (else nil).
func (c *Conn) RemoteAddr() net.Addr {
	c.addrs.mu.Lock()
	defer c.addrs.mu.Unlock()
	return c.addrs.remote
}

// Addrs is a connect's result.
type Addrs struct{ Local, Remote net.Addr }

// Connect connects the socket (EALREADY while connecting, EISCONN once
// connected).
func (c *Conn) Connect(network, addr string) *Pending[Addrs] {
	return submit(c.sys, c.pid, c.face, Connect{Network: network, Addr: addr, Timeout: c.timeout}, func(x *Completion) Addrs {
		return Addrs{Local: x.Local, Remote: x.Remote}
	})
}

func completionN(x *Completion) int { return x.N }

// ReadPDU reads one PDU through next (see NextFunc); the result is its
// size. EBUSY if another read is pending.
func (c *Conn) ReadPDU(next NextFunc) *Pending[int] {
	return submit(c.sys, c.pid, c.face, ReadPDU{Next: next, Timeout: c.timeout}, completionN)
}

// ReadPDUQueue reads one PDU through the socket's read queue.
func (c *Conn) ReadPDUQueue(next NextFunc) *Pending[int] {
	return submit(c.sys, c.pid, c.face, ReadPDUQueue{Next: next, Timeout: c.timeout}, completionN)
}

// ReadPDUs reads a batch of whole PDUs through the socket's read queue
// (see the ReadPDUs message): the first PDU, then every further one already
// buffered, at most max (0: DefaultReadPDUsMax). f must not be shared
// with another pending read.
func (c *Conn) ReadPDUs(f *Frame, max int) *Pending[[][]byte] {
	return submit(c.sys, c.pid, c.face, ReadPDUs{Frame: f, Max: max, Timeout: c.timeout}, completionPDUs)
}

func completionPDUs(x *Completion) [][]byte { return x.PDUs }

// Writev writes the whole vector; EBUSY if another write is pending. The
// buffers must not change until the request completes.
func (c *Conn) Writev(bufs ...[]byte) *Pending[int] {
	return submit(c.sys, c.pid, c.face, Writev{Bufs: bufs, Timeout: c.timeout}, completionN)
}

// WritevQueue writes the whole vector through the socket's write queue.
func (c *Conn) WritevQueue(bufs ...[]byte) *Pending[int] {
	return submit(c.sys, c.pid, c.face, WritevQueue{Bufs: bufs, Timeout: c.timeout}, completionN)
}

// Disconnect closes the connection (EBUSY with I/O pending, EALREADY
// while disconnecting); the actor stays and answers ENOTCONN.
func (c *Conn) Disconnect() *Pending[struct{}] {
	return submit(c.sys, c.pid, c.face, Disconnect{}, func(*Completion) struct{} { return struct{}{} })
}

// Close stops the socket: everything pending completes with
// ECONNABORTED. It does not wait; WaitStopped tells when the socket is
// gone.
func (c *Conn) Close() { c.sys.Send(c.pid, &Close{}) }

// Stopped reports whether the socket has stopped: its actor is gone and
// its endpoint holds no caller's buffer any more.
func (c *Conn) Stopped() bool { return c.face.isDead() }

// WaitStopped waits until the socket has stopped (after Close, or when its
// owner stopped it): its actor is gone, every request it took has
// completed, and its endpoint holds no caller's buffer any more.
func (c *Conn) WaitStopped(ctx context.Context) error { return c.face.waitStopped(ctx, c.sys) }
