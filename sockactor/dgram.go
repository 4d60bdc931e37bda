package sockactor

import (
	"context"
	"net"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// Dgram is a datagram socket: an actor (PID) plus its blocking Go face.
type Dgram struct {
	sys     *actors.System
	pid     *actor.PID
	face    *face
	local   net.Addr
	timeout time.Duration
}

// Datagram is one received datagram with its source address.
type Datagram struct {
	Data []byte
	Src  net.Addr
}

// ListenPacket binds a datagram socket on network ("udp", "udp4",
// "udp6", "unixgram") at addr and spawns its actor on owner.
func ListenPacket(owner Owner, tr Transport, network, addr string, opts ...Option) (*Dgram, error) {
	if tr == nil {
		return nil, errors.New("sockactor: nil transport")
	}
	sys, err := systemOf(owner)
	if err != nil {
		return nil, err
	}
	o := buildOptions(opts)
	ep, err := tr.ListenPacket(network, addr)
	if err != nil {
		return nil, AsErrno("listen "+network+" "+addr, err, 0)
	}
	d := &Dgram{sys: sys, face: newFace(), local: ep.LocalAddr()}
	pid, err := spawn(owner, sys, "dgram", o.name, func() actor.Actor {
		return &dgramActor{shell: newShell(d.face, "datagram"), m: NewDgramMachine(o.dgram), ep: ep}
	})
	if err != nil {
		ep.Close()
		return nil, err
	}
	d.pid = pid
	return d, nil
}

// PID returns the socket actor's address.
func (d *Dgram) PID() *actor.PID { return d.pid }

// LocalAddr returns the bound address.
func (d *Dgram) LocalAddr() net.Addr { return d.local }

// WithTimeout returns a copy of d whose requests time out after d on the
// actor clock (ETIMEDOUT); t ≤ 0 means no timeout.
func (d *Dgram) WithTimeout(t time.Duration) *Dgram {
	cp := *d
	cp.timeout = t
	return &cp
}

// RecvFrom receives the next whole datagram; EBUSY if one is pending.
func (d *Dgram) RecvFrom() *Pending[Datagram] {
	return submit(d.sys, d.pid, d.face, RecvFrom{Timeout: d.timeout}, func(x *Completion) Datagram {
		return Datagram{Data: x.Data, Src: x.Src}
	})
}

// SendTo sends one datagram to dst; EBUSY if a send is pending. p must
// not change until the request completes, and is the caller's again
// then, cancelled or timed out too (see the SendTo message).
func (d *Dgram) SendTo(p []byte, dst net.Addr) *Pending[int] {
	return submit(d.sys, d.pid, d.face, SendTo{Data: p, Dst: dst, Timeout: d.timeout}, completionN)
}

// SendToQueue sends one datagram through the socket's send queue.
func (d *Dgram) SendToQueue(p []byte, dst net.Addr) *Pending[int] {
	return submit(d.sys, d.pid, d.face, SendToQueue{Data: p, Dst: dst, Timeout: d.timeout}, completionN)
}

// Disconnect closes the endpoint; the actor stays and answers ENOTCONN.
func (d *Dgram) Disconnect() *Pending[struct{}] {
	return submit(d.sys, d.pid, d.face, Disconnect{}, func(*Completion) struct{} { return struct{}{} })
}

// Close stops the socket: everything pending completes with ECONNABORTED.
func (d *Dgram) Close() { d.sys.Send(d.pid, &Close{}) }

// Stopped reports whether the socket has stopped: its actor is gone and
// its endpoint holds no caller's datagram any more.
func (d *Dgram) Stopped() bool { return d.face.isDead() }

// WaitStopped waits until the socket has stopped (after Close, or when its
// owner stopped it): its actor is gone, every request it took has
// completed, and its endpoint holds no caller's datagram any more.
func (d *Dgram) WaitStopped(ctx context.Context) error { return d.face.waitStopped(ctx, d.sys) }
