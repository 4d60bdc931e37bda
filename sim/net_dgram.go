package sim

import (
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"syscall"
	"time"

	"github.com/actorio/actorio/sockactor"
)

// maxUDP is the largest UDP/IPv4 payload; maxQueue bounds a datagram
// socket's receive queue: beyond it UDP arrivals are dropped, as a kernel
// does when its buffer is full, and a unix datagram's sender waits for
// room, as a real one does (the real transport's write blocks until the
// reader drains the queue).
const (
	maxUDP   = 65507
	maxQueue = 1024
)

// simPacket is a bound datagram socket on the simulated network.
type simPacket struct {
	n       *Network
	host    string
	addr    *Addr
	sink    sockactor.Sink
	queue   []sockactor.EvDatagram
	reading bool
	closed  bool
	owner   *node      // the node whose crash closes it (net_crash.go)
	rng     *rand.Rand // its datagrams' latency jitter (stream of the address's own)
	// out is the outstanding batch while one of its unix datagrams waits
	// for room in blocked's queue; blocked lists it among its waiters.
	out      *outBatch
	blocked  *simPacket
	waiters  []*simPacket // senders waiting for room in the queue, in order
	inflight int          // unix datagrams on their way here: they have their place in the queue
	// last is the latest arrival time scheduled from this socket, per
	// destination address: the floor of the next one's when datagrams
	// must keep their order (unix datagrams always, UDP once the network
	// is healed).
	last map[string]*timeLane
}

func (p *simPacket) Start(sink sockactor.Sink) {
	p.sink = sink
	if !p.closed {
		p.n.own(p, &p.owner, p.n.w.atWork())
	}
}
func (p *simPacket) LocalAddr() net.Addr { return p.addr }

func (p *simPacket) Recv() {
	p.reading = true
	p.tryRecv()
}

func (p *simPacket) tryRecv() {
	if !p.reading || len(p.queue) == 0 || p.closed || p.sink == nil {
		return
	}
	ev := p.queue[0]
	p.queue = p.queue[1:]
	p.reading = false
	p.wake()
	p.sink(&ev)
}

// outBatch is a batch being sent: its datagrams before next have their
// results in errs.
type outBatch struct {
	batch []sockactor.Outgoing
	errs  []error
	next  int
}

// Send implements sockactor.Packet: each UDP datagram travels alone, and
// may be lost, duplicated or delayed past later ones (faults, and latency
// jitter until the network is healed). Unix datagrams are reliable and
// arrive in the order they were sent; one sent to a full queue waits for
// room, and so does the rest of its batch.
func (p *simPacket) Send(batch []sockactor.Outgoing) {
	if p.out != nil {
		return // a batch is already outstanding: the machine never sends two
	}
	p.out = &outBatch{batch: batch, errs: make([]error, len(batch))}
	p.pump()
}

// pump sends the outstanding batch's datagrams until one must wait for
// room in its destination's queue, or the batch is done.
func (p *simPacket) pump() {
	b := p.out
	for ; b.next < len(b.batch); b.next++ {
		full, err := p.sendOne(b.batch[b.next])
		if full != nil {
			p.blocked = full
			full.waiters = append(full.waiters, p)
			return
		}
		b.errs[b.next] = err
	}
	p.endSend(nil)
}

// endSend ends the outstanding batch, the datagrams not sent yet failing
// with err, and reports it.
func (p *simPacket) endSend(err error) {
	b := p.out
	if b == nil {
		return
	}
	p.out = nil
	if q := p.blocked; q != nil {
		p.blocked = nil
		if i := slices.Index(q.waiters, p); i >= 0 {
			q.waiters = slices.Delete(q.waiters, i, i+1)
		}
	}
	for i := b.next; i < len(b.batch); i++ {
		b.errs[i] = err
	}
	sink := p.sink
	p.n.after(0, func() {
		if sink != nil {
			sink(&sockactor.EvSent{Errs: b.errs})
		}
	})
}

// wake lets the senders waiting for room in p's queue try again.
func (p *simPacket) wake() {
	ws := p.waiters
	p.waiters = nil
	for _, s := range ws {
		p.n.after(0, func() {
			if s.out != nil && s.blocked == p {
				s.blocked = nil
				s.pump()
			}
		})
	}
}

// AbortSend implements sockactor.Packet: a batch waiting for room in a
// unix datagram socket's queue ends, the datagrams that did not leave
// failing with ErrSendAborted, as the real transport's do. Otherwise a
// simulated socket has sent (and copied) each datagram of its batch as
// Send took it: there is nothing left to abort, and the EvSent already on
// its way reports every datagram's result.
func (p *simPacket) AbortSend() {
	if p.out != nil {
		p.endSend(fmt.Errorf("%w: sim: %v waited for room in %v's queue", sockactor.ErrSendAborted, p.addr, p.blocked.addr))
	}
}

// sendOne sends o, or returns the unix datagram socket whose full queue
// it must wait for (nothing happened then).
func (p *simPacket) sendOne(o sockactor.Outgoing) (*simPacket, error) {
	if len(o.Data) > maxUDP {
		return nil, &sockactor.Error{Op: "sendto", Errno: syscall.EMSGSIZE, Err: fmt.Errorf("sim: datagram of %d bytes", len(o.Data))}
	}
	if o.Dst == nil {
		return nil, &sockactor.Error{Op: "sendto", Errno: syscall.EDESTADDRREQ}
	}
	dst, err := parse(p.host, p.addr.Net, o.Dst.String())
	if err != nil {
		return nil, err
	}
	target, _ := p.n.binds[dst.key()].(*simPacket)
	if target == nil {
		if dst.Net == "unixgram" {
			return nil, &sockactor.Error{Op: "sendto", Errno: syscall.ECONNREFUSED, Err: fmt.Errorf("sim: no socket at %s", dst)}
		}
		return nil, nil // UDP to nowhere: gone without a trace
	}
	if dst.Net == "unixgram" && len(target.queue)+target.inflight >= maxQueue {
		return target, nil
	}
	cfg := p.n.config(p.host, dst.Host)
	if dst.Net == "unixgram" {
		cfg.DropRate, cfg.DupRate, cfg.ReorderRate = 0, 0, 0 // unix datagrams are reliable
	}
	what := fmt.Sprintf("%v->%v %dB", p.addr, dst, len(o.Data))
	link := p.host + ">" + dst.Host
	if dst.Net != "unixgram" && p.n.cut(p.host, dst.Host) > 0 {
		p.n.w.Note("net: lost in a partition " + what)
		return nil, nil
	}
	if p.n.chance("drop", link, cfg.DropRate) {
		p.n.w.Note("net: drop " + what)
		return nil, nil
	}
	copies := 1
	if p.n.chance("duplicate", link, cfg.DupRate) {
		p.n.w.Note("net: duplicate " + what)
		copies = 2
	}
	data := append([]byte(nil), o.Data...)
	// Jitter may reorder UDP datagrams (as may the reorder fault), but
	// not unix ones, nor any after the heal, which promises no reorders.
	ordered := dst.Net == "unixgram" || p.n.healed
	if p.last == nil {
		p.last = map[string]*timeLane{}
	}
	key := dst.key()
	ln := p.last[key]
	if ln == nil {
		ln = &timeLane{}
		p.last[key] = ln
	}
	for c := 0; c < copies; c++ {
		d := delay(p.rng, cfg)
		base := d
		if dst.Net != "unixgram" {
			d = max(d, p.n.hold(p.host, dst.Host)-p.n.w.clock.now)
		}
		if p.n.chance("reorder", link, cfg.ReorderRate) {
			// The delay comes from the opportunity's own stream: a
			// replayed or shrunk plan keeps it, no other link's moves.
			extra := time.Duration(p.n.w.faultStream("socket/reorder", link).Int64N(int64(cfg.ReorderDelay) + 1))
			p.n.w.Note(fmt.Sprintf("net: delay %s by %v", what, extra))
			d += extra
			base += extra
		}
		at := p.n.w.clock.now + d
		if ordered {
			at = max(at, ln.last)
		}
		ln.last = max(at, ln.last)
		src, unix := p.addr, dst.Net == "unixgram"
		if unix {
			target.inflight++
		}
		p.n.afterWire(at, p.n.w.clock.now+base, ln, func() {
			if unix {
				target.inflight--
			}
			target.arrive(sockactor.EvDatagram{Data: data, Src: src})
		})
	}
	return nil, nil
}

func (p *simPacket) arrive(ev sockactor.EvDatagram) {
	if p.closed {
		return
	}
	if len(p.queue) >= maxQueue {
		p.n.w.Note(fmt.Sprintf("net: %v receive queue full, dropped", p.addr))
		return
	}
	p.queue = append(p.queue, ev)
	p.tryRecv()
}

func (p *simPacket) Close() {
	if p.closed {
		return
	}
	p.closed = true
	p.queue = nil
	p.endSend(fmt.Errorf("sim: %v closed while sending: %w", p.addr, net.ErrClosed))
	p.wake() // its waiters find no socket there now
	delete(p.n.binds, p.addr.key())
	p.n.disown(p, p.owner)
	if sink := p.sink; sink != nil {
		p.n.after(0, func() { sink(&sockactor.EvClosed{}) })
	}
}
