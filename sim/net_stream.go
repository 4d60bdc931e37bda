package sim

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	"github.com/actorio/actorio/sockactor"
)

// simListener is a listening address on the simulated network.
type simListener struct {
	n         *Network
	addr      *Addr
	sink      sockactor.Sink
	backlog   []*simStream
	accepting bool
	closed    bool
	owner     *node // the node whose crash closes it (net_crash.go)
}

// Listen implements sockactor.Transport.
func (t *hostTransport) Listen(network, addr string, _ sockactor.ListenConfig) (sockactor.ListenEndpoint, error) {
	a, err := parse(t.host, network, addr)
	if err != nil {
		return nil, err
	}
	if a.Net != "tcp" && a.Net != "unix" {
		return nil, &sockactor.Error{Op: "listen", Errno: syscall.EAFNOSUPPORT, Err: fmt.Errorf("sim: %q is not a stream network", network)}
	}
	l := &simListener{n: t.n}
	if l.addr, err = t.n.bind(a, l); err != nil {
		return nil, err
	}
	t.n.own(l, &l.owner, t.n.w.atWork())
	return l, nil
}

func (l *simListener) Start(sink sockactor.Sink) {
	l.sink = sink
	if !l.closed {
		l.n.own(l, &l.owner, l.n.w.atWork())
	}
}
func (l *simListener) Addr() net.Addr { return l.addr }

func (l *simListener) Accept() {
	l.accepting = true
	l.offer()
}

func (l *simListener) offer() {
	if !l.accepting || len(l.backlog) == 0 || l.sink == nil {
		return
	}
	s := l.backlog[0]
	l.backlog = l.backlog[1:]
	l.accepting = false
	l.sink(&sockactor.EvAccepted{Stream: s})
}

func (l *simListener) Close() {
	if l.closed {
		return
	}
	l.closed = true
	delete(l.n.binds, l.addr.key())
	l.n.disown(l, l.owner)
	for _, s := range l.backlog {
		s.reset() // never accepted: the client sees a reset
	}
	l.backlog = nil
	if l.sink != nil {
		l.n.after(0, func() { l.sink(&sockactor.EvClosed{}) })
	}
}

// simStream is one end of a simulated connection.
type simStream struct {
	n             *Network
	host          string
	local, remote *Addr
	sink          sockactor.Sink
	peer          *simStream
	epoch         int   // bumped by a reset: segments of older epochs are lost
	owner         *node // the node whose crash closes it (net_crash.go)
	// rng draws its segments' sizes and latencies: a stream of the
	// connection end's own (link, connection number on the link, end).
	rng  *rand.Rand
	conn string // "a>b/k": the k-th connection from host a to host b

	// receive side
	rbuf     [][]byte
	rlen     int
	inflight int // bytes sent towards this end, not yet arrived
	lastArr  int64
	reading  bool
	readMax  int
	eof      bool  // the peer's FIN arrived
	rst      error // reset: every operation fails with it
	closed   bool
	finished bool // EvClosed sent

	// send side: the one outstanding write
	writing bool
	wbufs   [][]byte
	wdone   int // bytes of the write already cut into segments
	wtotal  int
}

// Connect implements sockactor.Transport.
func (t *hostTransport) Connect(network, addr string, sink sockactor.Sink) (sockactor.Stream, error) {
	n := t.n
	dst, err := parse(t.host, network, addr)
	if err != nil {
		return nil, err
	}
	if dst.Net != "tcp" && dst.Net != "unix" {
		return nil, &sockactor.Error{Op: "connect", Errno: syscall.EAFNOSUPPORT, Err: fmt.Errorf("sim: %q is not a stream network", network)}
	}
	if l, ok := n.binds[dst.key()].(*simListener); ok && dst.Path != "" {
		dst = l.addr // a unix path lives on the host that bound it
	}
	link := t.host + ">" + dst.Host
	conn := fmt.Sprintf("%s/%d", link, n.nconns[link])
	n.nconns[link]++
	c := &simStream{n: n, host: t.host, sink: sink, remote: dst, conn: conn, rng: n.w.Rand("net/conn/" + conn + "/client")}
	n.conns = append(n.conns, c)
	n.own(c, &c.owner, n.w.atWork())
	there, back := delay(c.rng, n.config(t.host, dst.Host)), delay(c.rng, n.config(dst.Host, t.host))
	// The handshake's segments cross like any other: a partition or clog
	// holds the SYN (it is retransmitted until the link clears), then
	// the SYN-ACK (or the refusal's RST) on its way back.
	now := n.w.clock.now
	n.afterWire(max(now+there, n.hold(t.host, dst.Host)), now+there, nil, func() {
		if c.closed {
			return
		}
		now := n.w.clock.now
		n.afterWire(max(now+back, n.hold(dst.Host, t.host)), now+back, nil, func() { n.established(c, t.host, dst) })
	})
	return c, nil
}

// established ends the handshake of c, from host to dst: refused, or
// connected to a new endpoint in the listener's backlog. The refusal
// fault is decided now, with the rates in force now (a healed network
// refuses nothing).
func (n *Network) established(c *simStream, host string, dst *Addr) {
	if c.closed {
		return
	}
	l, _ := n.binds[dst.key()].(*simListener)
	switch {
	case l == nil || l.closed:
		c.sink(&sockactor.EvConnected{Err: &sockactor.Error{Op: "connect", Errno: syscall.ECONNREFUSED, Err: fmt.Errorf("sim: nothing listens on %s", dst)}})
		return
	case n.chance("refuse", host+">"+dst.Host, n.config(host, dst.Host).RefuseRate):
		n.w.Note(fmt.Sprintf("net: refuse connect %s->%s (injected)", host, dst))
		c.sink(&sockactor.EvConnected{Err: &sockactor.Error{Op: "connect", Errno: syscall.ECONNREFUSED, Err: fmt.Errorf("sim: connection to %s refused (injected)", dst)}})
		return
	}
	local := &Addr{Net: dst.Net, Host: host, Path: ""}
	if dst.Net == "tcp" {
		p := n.ports[host]
		if p == 0 {
			p = 40000
		}
		n.ports[host] = p + 1
		local.Port = p
	} else {
		local.Path = "@" + host
	}
	c.local = local
	s := &simStream{n: n, host: dst.Host, local: dst, remote: local, peer: c, conn: c.conn, rng: n.w.Rand("net/conn/" + c.conn + "/server")}
	c.peer = s
	n.conns = append(n.conns, s)
	n.own(s, &s.owner, l.owner) // until an actor starts it
	l.backlog = append(l.backlog, s)
	l.offer()
	c.sink(&sockactor.EvConnected{Local: c.local, Remote: c.remote})
}

// released implements lane: the stream's incoming segments were released.
func (s *simStream) released(last time.Duration) { s.lastArr = int64(last) }

func (s *simStream) Start(sink sockactor.Sink) {
	if s.sink == nil {
		s.sink = sink
		if !s.closed {
			s.n.own(s, &s.owner, s.n.w.atWork())
		}
	}
}

func (s *simStream) LocalAddr() net.Addr {
	if s.local == nil {
		return nil
	}
	return s.local
}

func (s *simStream) RemoteAddr() net.Addr { return s.remote }

// Read implements sockactor.Stream: it answers from the bytes that have
// arrived, coalescing segments, as soon as there are any.
func (s *simStream) Read(max int) {
	s.reading, s.readMax = true, max
	s.tryRead()
}

func (s *simStream) tryRead() {
	if !s.reading || s.closed || s.sink == nil {
		return
	}
	switch {
	case s.rst != nil:
		s.reading = false
		s.sink(&sockactor.EvData{Err: s.rst})
	case s.rlen > 0:
		s.reading = false
		take := min(s.rlen, s.readMax)
		data := make([]byte, 0, take)
		for len(data) < take {
			k := copy(data[len(data):take], s.rbuf[0])
			data = data[:len(data)+k]
			if k == len(s.rbuf[0]) {
				s.rbuf = s.rbuf[1:]
			} else {
				s.rbuf[0] = s.rbuf[0][k:]
			}
		}
		s.rlen -= take
		s.sink(&sockactor.EvData{Data: data})
		if s.peer != nil {
			s.peer.pump() // room in the window
		}
	case s.eof:
		s.reading = false
		s.sink(&sockactor.EvData{Err: io.EOF})
	}
}

// Write implements sockactor.Stream.
func (s *simStream) Write(bufs [][]byte) {
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	s.writing, s.wbufs, s.wdone, s.wtotal = true, bufs, 0, total
	if s.rst != nil {
		s.endWrite(s.rst)
		return
	}
	s.pump()
}

// AbortWrite implements sockactor.Stream: the outstanding write ends
// with the segments already cut (copies, in flight as usual).
func (s *simStream) AbortWrite() {
	if s.writing {
		s.endWrite(errWriteAborted)
	}
}

// errWriteAborted ends a write the socket aborted.
var errWriteAborted = fmt.Errorf("sim: write aborted: %w", syscall.ECONNABORTED)

func (s *simStream) endWrite(err error) {
	n := s.wdone
	s.writing, s.wbufs = false, nil
	if sink := s.sink; sink != nil {
		s.n.after(0, func() { sink(&sockactor.EvWritten{N: n, Err: err}) })
	}
}

// pump cuts the outstanding write into random segments while the peer's
// window has room, and schedules their arrival in order.
func (s *simStream) pump() {
	if !s.writing || s.closed || s.rst != nil {
		return
	}
	p := s.peer
	cfg := s.n.config(s.host, s.remote.Host)
	for s.wdone < s.wtotal {
		room := cfg.Window - (p.inflight + p.rlen)
		if room <= 0 {
			return
		}
		size := 1 + s.rng.IntN(min(cfg.MaxSegment, s.wtotal-s.wdone, room))
		seg := make([]byte, 0, size)
		for len(seg) < size {
			off := s.wdone + len(seg)
			b, i := s.wbufs[0], off
			for _, bb := range s.wbufs {
				if i < len(bb) {
					b = bb
					break
				}
				i -= len(bb)
			}
			seg = append(seg, b[i:min(len(b), i+size-len(seg))]...)
		}
		s.wdone += size
		s.send(p, seg, segData, cfg)
	}
	s.endWrite(nil)
}

// segKind tells what a segment carries.
type segKind uint8

const (
	segData segKind = iota // bytes
	segFIN                 // the end of the sender's data
	segRST                 // a reset: the sender closed with bytes unread
)

// send schedules seg's arrival at p, after every earlier segment (FIFO).
// cfg gives its traversal time; the fault rates that apply to it are the
// ones in force when it arrives.
func (s *simStream) send(p *simStream, seg []byte, kind segKind, cfg NetConfig) {
	base := s.n.w.clock.now + delay(s.rng, cfg)
	at := int64(base)
	if held := int64(s.n.hold(s.host, s.remote.Host)); at < held {
		at = held // partitioned or clogged: retransmitted once it clears
	}
	if at < p.lastArr {
		at = p.lastArr
	}
	p.lastArr = at
	p.inflight += len(seg)
	epoch := p.epoch
	s.n.afterWire(time.Duration(at), base, p, func() {
		if p.epoch != epoch {
			return // lost in a reset
		}
		p.inflight -= len(seg)
		switch kind {
		case segFIN:
			p.eof = true
			p.tryRead()
			return
		case segRST:
			s.n.w.Note(fmt.Sprintf("net: reset from %v arrived at %v", s.local, p.local))
			s.reset()
			return
		}
		if p.closed {
			// Data for a closed socket: the sender gets a reset.
			s.n.w.Note(fmt.Sprintf("net: data for closed %v: reset", p.local))
			s.reset()
			return
		}
		if s.n.chance("reset", s.local.Host+">"+s.remote.Host, s.n.config(s.host, s.remote.Host).ResetRate) {
			s.n.w.Note(fmt.Sprintf("net: reset %v-%v (fault)", s.local, s.remote))
			s.reset()
			return
		}
		p.rbuf = append(p.rbuf, seg)
		p.rlen += len(seg)
		p.tryRead()
	})
}

// reset kills the connection at both ends with ECONNRESET.
func (s *simStream) reset() {
	for _, e := range []*simStream{s, s.peer} {
		if e == nil || e.rst != nil {
			continue
		}
		e.rst = &sockactor.Error{Op: "stream", Errno: syscall.ECONNRESET, Err: fmt.Errorf("sim: connection %v-%v reset", e.local, e.remote)}
		e.epoch++
		e.rbuf, e.rlen, e.inflight = nil, 0, 0
		if e.writing && !e.closed {
			e.endWrite(e.rst)
		}
		e.tryRead()
	}
}

// errClosed ends the operations outstanding when their endpoint closes,
// as the real driver's do (a read or write on a closed net.Conn).
var errClosed = fmt.Errorf("sim: endpoint closed: %w", net.ErrClosed)

// Close implements sockactor.Stream: the outstanding Read and Write end
// with errClosed, then EvClosed follows. A FIN follows the data already
// sent; but if bytes that arrived were never read, the peer gets a reset
// instead, as a kernel answers such a close with RST (so a writer facing
// a window the closer will never drain does not wait forever).
func (s *simStream) Close() {
	if s.closed {
		return
	}
	s.closed = true
	if s.writing {
		s.endWrite(errClosed)
	}
	if s.reading {
		s.reading = false
		if sink := s.sink; sink != nil {
			s.n.after(0, func() { sink(&sockactor.EvData{Err: errClosed}) })
		}
	}
	if p := s.peer; p != nil && s.rst == nil {
		cfg := s.n.config(s.host, s.remote.Host)
		if s.rlen > 0 {
			s.n.w.Note(fmt.Sprintf("net: %v closed with %d bytes unread: reset", s.local, s.rlen))
			s.send(p, nil, segRST, cfg)
		} else {
			s.send(p, nil, segFIN, cfg)
		}
	}
	s.forget()
	s.n.disown(s, s.owner)
	if s.sink != nil && !s.finished {
		s.finished = true
		sink := s.sink
		s.n.after(0, func() { sink(&sockactor.EvClosed{}) })
	}
}

func (s *simStream) forget() {
	for i, c := range s.n.conns {
		if c == s {
			s.n.conns = append(s.n.conns[:i:i], s.n.conns[i+1:]...)
			return
		}
	}
}
