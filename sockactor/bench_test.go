package sockactor_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/benchcmp"
	"github.com/actorio/actorio/sockactor"
	"github.com/asynkron/protoactor-go/actor"
)

// window is how many PDUs or datagrams a benchmark client keeps in
// flight, in both implementations.
const window = 32

// echoActor echoes every PDU of the connections pushed to it, keeping a
// few reads queued per connection.
type echoActor struct{}

func (echoActor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *sockactor.AcceptDone:
		if m.Err != nil {
			return
		}
		for i := 0; i < window; i++ {
			f := sockactor.LengthPrefixed(4, 1<<20)
			c.Send(m.Conn.PID(), &sockactor.ReadPDUQueue{Next: f.Next, ReplyTo: c.Self(), Tag: f})
		}
	case *sockactor.ReadPDUDone:
		if m.Err != nil {
			c.Send(m.Socket, &sockactor.Close{})
			return
		}
		c.Send(m.Socket, &sockactor.WritevQueue{Bufs: [][]byte{m.Tag.(*sockactor.Frame).PDU()}})
		f := sockactor.LengthPrefixed(4, 1<<20)
		c.Send(m.Socket, &sockactor.ReadPDUQueue{Next: f.Next, ReplyTo: c.Self(), Tag: f})
	}
}

// batchEchoActor echoes every PDU of the connections pushed to it with
// batch reads: each ReadPDUs batch goes back as one queued write.
type batchEchoActor struct{}

func (batchEchoActor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *sockactor.AcceptDone:
		if m.Err != nil {
			return
		}
		c.Send(m.Conn.PID(), &sockactor.ReadPDUs{Frame: sockactor.LengthPrefixed(4, 1<<20), ReplyTo: c.Self()})
	case *sockactor.ReadPDUsDone:
		if m.Err != nil {
			c.Send(m.Socket, &sockactor.Close{})
			return
		}
		c.Send(m.Socket, &sockactor.WritevQueue{Bufs: m.PDUs})
		c.Send(m.Socket, m.Req) // completed: the same request may go again
	}
}

// benchPDU echoes size-byte PDUs, window in flight, through sockactor on
// both sides (batch: with ReadPDUs and one write per batch; else one
// ReadPDUQueue and one WritevQueue per PDU) and through the baseline.
func benchPDU(b *testing.B, size int, batch bool) {
	pdu := make([]byte, 4+size)
	binary.BigEndian.PutUint32(pdu, uint32(size))
	ctx := context.Background()

	// ours: sockactor client and server.
	sys := actors.New()
	defer sys.Close(ctx)
	tr := sockactor.RealTransport()
	// The echo server is a data-path actor: like the sockets, it runs with
	// actors.HotPath (handled on the goroutine that hands it a message).
	var echo actor.Actor = echoActor{}
	if batch {
		echo = batchEchoActor{}
	}
	srv, _ := sys.Spawn(actor.PropsFromProducer(func() actor.Actor { return echo }, actors.HotPath()...))
	l, err := sockactor.Listen(sys, tr, "tcp", "127.0.0.1:0", sockactor.AcceptTo(srv))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	c, err := sockactor.Dial(ctx, sys, tr, "tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ours := func(n int) {
		var reads []*sockactor.Pending[int]
		for i := 0; i < n; i++ {
			if len(reads) == window {
				if _, err := reads[0].Wait(ctx); err != nil {
					b.Fatal(err)
				}
				reads = reads[1:]
			}
			c.WritevQueue(pdu)
			reads = append(reads, c.ReadPDUQueue(sockactor.LengthPrefixed(4, 1<<20).Next))
		}
		for _, r := range reads {
			if _, err := r.Wait(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if batch {
		// As the baseline's bufio: the PDUs the window allows go out as
		// one write, and each read takes every PDU that came.
		f := sockactor.LengthPrefixed(4, 1<<20)
		var reads, pdus int
		defer func() {
			if reads > 0 {
				b.ReportMetric(float64(pdus)/float64(reads), "pdus/batch")
			}
		}()
		ours = func(n int) {
			sent, got := 0, 0
			for got < n {
				if k := min(window-(sent-got), n-sent); k > 0 {
					bufs := make([][]byte, k)
					for i := range bufs {
						bufs[i] = pdu
					}
					c.WritevQueue(bufs...)
					sent += k
				}
				batch, err := c.ReadPDUs(f, 0).Wait(ctx)
				if err != nil {
					b.Fatal(err)
				}
				got += len(batch)
				reads++
				pdus += len(batch)
			}
		}
	}

	// baseline: goroutines, bufio and net.Conn on both sides.
	bl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		conn, err := bl.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		br, bw := bufio.NewReaderSize(conn, 64<<10), bufio.NewWriterSize(conn, 64<<10)
		for {
			p, err := readPDU(br)
			if err != nil {
				return
			}
			bw.Write(p)
			if br.Buffered() == 0 {
				bw.Flush()
			}
		}
	}()
	bc, err := net.Dial("tcp", bl.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	bbr, bbw := bufio.NewReaderSize(bc, 64<<10), bufio.NewWriterSize(bc, 64<<10)
	base := func(n int) {
		tokens := make(chan struct{}, window)
		done := make(chan struct{})
		go func() {
			for i := 0; i < n; i++ {
				if _, err := readPDU(bbr); err != nil {
					panic(err)
				}
				<-tokens
			}
			close(done)
		}()
		for i := 0; i < n; i++ {
			tokens <- struct{}{}
			bbw.Write(pdu)
			if len(tokens) == window || i == n-1 {
				bbw.Flush()
			}
		}
		<-done
	}
	b.SetBytes(int64(len(pdu)))
	benchcmp.Compare(b, ours, base)
	bc.Close()
	bl.Close()
	wg.Wait()
}

func readPDU(br *bufio.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return nil, err
	}
	p := make([]byte, 4+binary.BigEndian.Uint32(hdr[:]))
	copy(p, hdr[:])
	_, err := io.ReadFull(br, p[4:])
	return p, err
}

// BenchmarkPDUEcho1K: 4-byte-length-prefixed 1 KiB PDUs echoed over
// loopback TCP, 32 in flight, one ReadPDUQueue and one WritevQueue per
// PDU on each side (tsocket's model); x-base is our PDUs/s over the
// baseline's.
func BenchmarkPDUEcho1K(b *testing.B) { benchPDU(b, 1<<10, false) }

// BenchmarkPDUEcho1KBatch: the same PDUs read with ReadPDUs, every batch
// answered with one write, and the client writing what its window allows
// at once, as the baseline's bufio does.
func BenchmarkPDUEcho1KBatch(b *testing.B) { benchPDU(b, 1<<10, true) }

// BenchmarkPDUEcho64K: the same as BenchmarkPDUEcho1K with 64 KiB PDUs.
func BenchmarkPDUEcho64K(b *testing.B) { benchPDU(b, 64<<10, false) }

// udpEcho echoes every datagram its socket receives.
type udpEcho struct{ d *sockactor.Dgram }

func (u *udpEcho) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		c.Send(u.d.PID(), &sockactor.RecvFrom{ReplyTo: c.Self()})
	case *sockactor.RecvFromDone:
		if m.Err != nil {
			return
		}
		c.Send(u.d.PID(), &sockactor.SendToQueue{Data: m.Data, Dst: m.Src})
		c.Send(u.d.PID(), &sockactor.RecvFrom{ReplyTo: c.Self()})
	}
}

// BenchmarkUDPEcho: 512-byte datagrams sent with sendto (queue) and
// received with recvfrom through an echo server, 32 in flight, against
// plain net.UDPConn on both sides.
func BenchmarkUDPEcho(b *testing.B) {
	msg := make([]byte, 512)
	ctx := context.Background()
	sys := actors.New()
	defer sys.Close(ctx)
	tr := sockactor.RealTransport()
	sd, err := sockactor.ListenPacket(sys, tr, "udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer sd.Close()
	sys.Spawn(actor.PropsFromProducer(func() actor.Actor { return &udpEcho{d: sd} }, actors.HotPath()...))
	cd, err := sockactor.ListenPacket(sys, tr, "udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer cd.Close()
	ours := func(n int) {
		inflight := 0
		for i := 0; i < n; i++ {
			if inflight == window {
				if _, err := cd.RecvFrom().Wait(ctx); err != nil {
					b.Fatal(err)
				}
				inflight--
			}
			cd.SendToQueue(msg, sd.LocalAddr())
			inflight++
		}
		for ; inflight > 0; inflight-- {
			if _, err := cd.RecvFrom().Wait(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}

	ss, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		buf := make([]byte, 65536)
		for {
			n, src, err := ss.ReadFrom(buf)
			if err != nil {
				return
			}
			ss.WriteTo(buf[:n], src)
		}
	}()
	cs, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	base := func(n int) {
		buf := make([]byte, 65536)
		inflight := 0
		recv := func() {
			k, _, err := cs.ReadFrom(buf)
			if err != nil {
				b.Fatal(err)
			}
			_ = append([]byte(nil), buf[:k]...)
		}
		for i := 0; i < n; i++ {
			if inflight == window {
				recv()
				inflight--
			}
			if _, err := cs.WriteTo(msg, ss.LocalAddr()); err != nil {
				b.Fatal(err)
			}
			inflight++
		}
		for ; inflight > 0; inflight-- {
			recv()
		}
	}
	benchcmp.Compare(b, ours, base)
	cs.Close()
	ss.Close()
}
