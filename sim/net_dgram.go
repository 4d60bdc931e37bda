package sim

import (
	"fmt"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	"github.com/actorio/actorio/sockactor"
)

// maxUDP is the largest UDP/IPv4 payload; maxQueue bounds a datagram
// socket's receive queue (beyond it arrivals are dropped, as a kernel
// does when its buffer is full).
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
	// last is the latest arrival time scheduled from this socket, per
	// destination address: the floor of the next one's when datagrams
	// must keep their order (unix datagrams always, UDP once the network
	// is healed).
	last map[string]time.Duration
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
	p.sink(&ev)
}

// Send implements sockactor.Packet: each UDP datagram travels alone, and
// may be lost, duplicated or delayed past later ones (faults, and latency
// jitter until the network is healed). Unix datagrams are reliable and
// arrive in the order they were sent.
func (p *simPacket) Send(batch []sockactor.Outgoing) {
	errs := make([]error, len(batch))
	for i, o := range batch {
		errs[i] = p.sendOne(o)
	}
	sink := p.sink
	p.n.after(0, func() {
		if sink != nil {
			sink(&sockactor.EvSent{Errs: errs})
		}
	})
}

// AbortSend implements sockactor.Packet. A simulated socket sends (and
// copies) each datagram of a batch as Send takes it, so it never holds a
// batch: there is nothing left to abort, and the EvSent already on its
// way reports every datagram's result. (A unix datagram socket whose
// peer's queue is full would block a real sender, which AbortSend then
// stops; the simulated one drops the datagram instead.)
func (p *simPacket) AbortSend() {}

func (p *simPacket) sendOne(o sockactor.Outgoing) error {
	if len(o.Data) > maxUDP {
		return &sockactor.Error{Op: "sendto", Errno: syscall.EMSGSIZE, Err: fmt.Errorf("sim: datagram of %d bytes", len(o.Data))}
	}
	if o.Dst == nil {
		return &sockactor.Error{Op: "sendto", Errno: syscall.EDESTADDRREQ}
	}
	dst, err := parse(p.host, p.addr.Net, o.Dst.String())
	if err != nil {
		return err
	}
	target, _ := p.n.binds[dst.key()].(*simPacket)
	if target == nil {
		if dst.Net == "unixgram" {
			return &sockactor.Error{Op: "sendto", Errno: syscall.ECONNREFUSED, Err: fmt.Errorf("sim: no socket at %s", dst)}
		}
		return nil // UDP to nowhere: gone without a trace
	}
	cfg := p.n.config(p.host, dst.Host)
	if dst.Net == "unixgram" {
		cfg.DropRate, cfg.DupRate, cfg.ReorderRate = 0, 0, 0 // unix datagrams are reliable
	}
	what := fmt.Sprintf("%v->%v %dB", p.addr, dst, len(o.Data))
	link := p.host + ">" + dst.Host
	if dst.Net != "unixgram" && p.n.cut(p.host, dst.Host) > 0 {
		p.n.w.Note("net: lost in a partition " + what)
		return nil
	}
	if p.n.chance("drop", link, cfg.DropRate) {
		p.n.w.Note("net: drop " + what)
		return nil
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
		p.last = map[string]time.Duration{}
	}
	key := dst.key()
	for c := 0; c < copies; c++ {
		d := delay(p.rng, cfg)
		if dst.Net != "unixgram" {
			d = max(d, p.n.hold(p.host, dst.Host)-p.n.w.clock.now)
		}
		if p.n.chance("reorder", link, cfg.ReorderRate) {
			// The delay comes from the opportunity's own stream: a
			// replayed or shrunk plan keeps it, no other link's moves.
			extra := time.Duration(p.n.w.faultStream("socket/reorder", link).Int64N(int64(cfg.ReorderDelay) + 1))
			p.n.w.Note(fmt.Sprintf("net: delay %s by %v", what, extra))
			d += extra
		}
		at := p.n.w.clock.now + d
		if ordered {
			at = max(at, p.last[key])
		}
		p.last[key] = max(at, p.last[key])
		src := p.addr
		p.n.after(at-p.n.w.clock.now, func() { target.arrive(sockactor.EvDatagram{Data: data, Src: src}) })
	}
	return nil
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
	delete(p.n.binds, p.addr.key())
	p.n.disown(p, p.owner)
	if sink := p.sink; sink != nil {
		p.n.after(0, func() { sink(&sockactor.EvClosed{}) })
	}
}
