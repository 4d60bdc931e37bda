package sockactor

// The real datagram driver: a bound socket owned by a reader goroutine
// (one outstanding Recv) and a writer goroutine (one outstanding batch).
// Allowlisted in internal/detguard (go, channel, select).

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// recvBuffer is the receive buffer size: larger than any UDP payload; a
// datagram that fills it was truncated.
const recvBuffer = 65536 + 1

type netPacket struct {
	pc      net.PacketConn
	batcher *sendBatcher // nil: one send per datagram
	sink    Sink
	recvs   chan int // a Recv (1) or RecvUpTo (n) outstanding
	sends   chan []Outgoing
	quit    chan struct{}
	wg      sync.WaitGroup
	start   sync.Once
	close   sync.Once

	mu      sync.Mutex
	sending bool // a Send is outstanding (from Send until the writer is done with it)
	aborted bool // AbortSend set a write deadline in the past for it
}

func newNetPacket(pc net.PacketConn) *netPacket {
	return &netPacket{pc: pc, batcher: newSendBatcher(pc), recvs: make(chan int, 1), sends: make(chan []Outgoing, 1), quit: make(chan struct{})}
}

// Start implements Packet.
func (p *netPacket) Start(sink Sink) {
	p.start.Do(func() {
		p.sink = sink
		p.wg.Add(2)
		go p.reader()
		go p.writer()
	})
}

func (p *netPacket) reader() {
	defer p.wg.Done()
	read := packetReader(p.pc)
	var got []readResult
	for {
		var n int
		select {
		case n = <-p.recvs:
		case <-p.quit:
			return
		}
		// Wait for a datagram without holding a buffer (see readPacket).
		got = read(n, got[:0])
		if len(got) == 1 && got[0].err != nil && errors.Is(got[0].err, net.ErrClosed) {
			return
		}
		if len(got) == 1 {
			ev := datagramEvent(got[0])
			got[0] = readResult{} // the event holds the data now
			p.sink(&ev)
			continue
		}
		evs := make([]EvDatagram, len(got))
		for i, r := range got {
			evs[i] = datagramEvent(r)
		}
		clear(got) // the events hold the data now
		p.sink(&EvDatagrams{Datagrams: evs})
	}
}

// datagramEvent is what a receive result tells the socket actor.
func datagramEvent(r readResult) EvDatagram {
	if r.truncated {
		return EvDatagram{Src: r.src, Err: errf("recvfrom", syscall.EMSGSIZE, "datagram from %v truncated at %d bytes", r.src, recvBuffer)}
	}
	return EvDatagram{Src: r.src, Data: r.data, Err: r.err}
}

func (p *netPacket) writer() {
	defer p.wg.Done()
	for {
		var batch []Outgoing
		select {
		case batch = <-p.sends:
		case <-p.quit:
			return
		}
		errs := make([]error, len(batch))
		if b := p.batcher; b != nil {
			b.sendAll(batch, errs, p.send)
		} else {
			for i, o := range batch {
				errs[i] = p.send(o)
			}
		}
		p.endSend(errs)
		p.sink(&EvSent{Errs: errs})
	}
}

// send sends one datagram; on EMSGSIZE it raises the send buffer to the
// datagram's size (rounded up to 1 KiB) and retries once, as Samba does.
func (p *netPacket) send(o Outgoing) error {
	dst, err := resolve(p.pc, o.Dst)
	if err != nil {
		return err
	}
	_, err = p.pc.WriteTo(o.Data, dst)
	if errors.Is(err, syscall.EMSGSIZE) {
		if wb, ok := p.pc.(interface{ SetWriteBuffer(int) error }); ok {
			if wb.SetWriteBuffer((len(o.Data)+1023)&^1023) == nil {
				_, err = p.pc.WriteTo(o.Data, dst)
			}
		}
	}
	return err
}

// Recv implements Packet.
func (p *netPacket) Recv() { p.RecvUpTo(1) }

// RecvUpTo implements PacketBatchReceiver: the reader takes, after the
// first datagram, those already waiting behind it (at most
// maxRecvBatch), without waiting for more.
func (p *netPacket) RecvUpTo(n int) {
	select {
	case p.recvs <- min(max(n, 1), maxRecvBatch):
	default:
	}
}

// maxRecvBatch bounds the datagrams one receive hands over: the socket
// actor takes them in one message.
const maxRecvBatch = 32

// endSend ends the outstanding Send: from now on AbortSend has nothing
// to abort. If it aborted the Send, the deadline goes (the endpoint stays
// usable) and each datagram that met it did not leave: a send that fails
// on its deadline did so before its system call, or instead of waiting
// for room after it, and a datagram leaves whole or not at all.
func (p *netPacket) endSend(errs []error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sending = false
	if !p.aborted {
		return
	}
	p.aborted = false
	_ = p.pc.SetWriteDeadline(time.Time{})
	for i, err := range errs {
		if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			errs[i] = fmt.Errorf("%w: %w", ErrSendAborted, err)
		}
	}
}

// Send implements Packet.
func (p *netPacket) Send(batch []Outgoing) {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case p.sends <- batch:
		p.sending = true
	default: // a batch is already outstanding: the machine never sends two
	}
}

// AbortSend implements Packet: a write deadline in the past makes the
// writer's send in progress return at its next wait for room in the
// socket (a unix datagram socket waits while its peer's queue is full),
// and each one after it fail before its system call; endSend then lifts
// it. Without an outstanding Send (one that just finished: its EvSent is
// on the way) it does nothing.
func (p *netPacket) AbortSend() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sending && !p.aborted {
		p.aborted = true
		_ = p.pc.SetWriteDeadline(time.Unix(1, 0))
	}
}

// Close implements Packet.
func (p *netPacket) Close() {
	p.close.Do(func() {
		close(p.quit)
		p.pc.Close()
		go func() {
			p.wg.Wait()
			if p.sink != nil {
				p.sink(&EvClosed{})
			}
		}()
	})
}

// LocalAddr implements Packet.
func (p *netPacket) LocalAddr() net.Addr { return p.pc.LocalAddr() }
