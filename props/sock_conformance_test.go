package props

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sockactor"
)

// SockEnv is one implementation the socket conformance suite runs
// against: real loopback sockets, or the simulated network.
type SockEnv struct {
	Name string
	// Setup returns a fresh System and the client's and server's
	// transports, and registers its own cleanup on t.
	Setup func(t *testing.T) (sys *actors.System, client, server sockactor.Transport)
	// StreamAddr returns a listen address for network ("tcp", "unix").
	StreamAddr func(t *testing.T, network string) string
	// PacketAddr returns a bind address for a datagram socket.
	PacketAddr func(t *testing.T) string
	// BigWrite is a write size that cannot complete while the peer
	// reads nothing.
	BigWrite int
	// Concurrent says the transport finishes operations on goroutines of
	// its own (the real one): a disconnect may then complete before the
	// requests sent right after it reach the socket, so those see a
	// disconnected socket instead of a disconnecting one. In a simulation
	// nothing happens until the caller waits, and the order is exact.
	Concurrent bool
}

// SockConformance runs the socket conformance suite: the rules of
// research §0/§9 observed from outside, through the Go face, on env.
// Each case names the invariants (research §6) it checks.
func SockConformance(t *testing.T, env SockEnv) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			for _, c := range streamCases {
				t.Run(c.name, func(t *testing.T) {
					sys, ctr, str := env.Setup(t)
					ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
					defer cancel()
					cl, sv := sockPair(t, ctx, sys, ctr, str, network, env.StreamAddr(t, network))
					c.run(t, ctx, env, cl, sv)
					cl.Close()
					sv.Close()
				})
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		sys, ctr, str := env.Setup(t)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		l, err := sockactor.Listen(sys, str, "tcp", env.StreamAddr(t, "tcp"))
		must(t, err)
		addr := l.Addr().String()
		l.Close()
		must(t, l.WaitStopped(ctx))
		_, err = sockactor.Dial(ctx, sys, ctr, "tcp", addr)
		wantErrno(t, "connect to a closed port (inv 31)", err, syscall.ECONNREFUSED)
	})
	for _, c := range dgramCases {
		t.Run("dgram/"+c.name, func(t *testing.T) {
			sys, ctr, str := env.Setup(t)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			a, err := sockactor.ListenPacket(sys, ctr, "udp", env.PacketAddr(t))
			must(t, err)
			b, err := sockactor.ListenPacket(sys, str, "udp", env.PacketAddr(t))
			must(t, err)
			c.run(t, ctx, a, b, str, env.PacketAddr(t))
			a.Close()
			b.Close()
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErrno(t *testing.T, what string, err error, want syscall.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
}

// sockPair connects a client to a fresh listener and returns both ends.
func sockPair(t *testing.T, ctx context.Context, sys *actors.System, ctr, str sockactor.Transport, network, addr string) (*sockactor.Conn, *sockactor.Conn) {
	t.Helper()
	l, err := sockactor.Listen(sys, str, network, addr)
	must(t, err)
	acc := l.Accept()
	cl, err := sockactor.Dial(ctx, sys, ctr, network, l.Addr().String())
	must(t, err)
	sv, err := acc.Wait(ctx)
	must(t, err)
	l.Close()
	must(t, l.WaitStopped(ctx))
	if cl.LocalAddr() == nil || cl.RemoteAddr() == nil {
		t.Fatalf("connected socket without addresses (inv 31): %v %v", cl.LocalAddr(), cl.RemoteAddr())
	}
	return cl, sv
}

// framed returns body with a 4-byte length prefix.
func framed(body []byte) []byte {
	out, _ := sockactor.AppendLength(make([]byte, 0, 4+len(body)), 4, len(body))
	return append(out, body...)
}

type streamCase struct {
	name string
	run  func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn)
}

var streamCases = []streamCase{
	{"pdus-intact-any-split", func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn) {
		// inv 1, 2, 6, 7, 11, 12, 13: PDUs written whole, byte by byte
		// and coalesced arrive identical and in order.
		rng := rand.New(rand.NewPCG(1, 2))
		var bodies [][]byte
		var writes []*sockactor.Pending[int]
		for i := 0; i < 40; i++ {
			body := make([]byte, []int{0, 1, 3, 100, 5000}[i%5])
			for j := range body {
				body[j] = byte(rng.IntN(256))
			}
			bodies = append(bodies, body)
			wire := framed(body)
			if i%3 == 1 { // header split at every offset, then the rest
				cut := i % 5
				writes = append(writes, cl.WritevQueue(wire[:cut]), cl.WritevQueue(wire[cut:]))
			} else {
				writes = append(writes, cl.WritevQueue(wire[:2], nil, wire[2:]))
			}
		}
		var reads []*sockactor.Pending[int]
		var frames []*sockactor.Frame
		for range bodies {
			f := sockactor.LengthPrefixed(4, 1<<20)
			frames = append(frames, f)
			reads = append(reads, sv.ReadPDUQueue(f.Next))
		}
		for i, r := range reads {
			n, err := r.Wait(ctx)
			if err != nil || n != 4+len(bodies[i]) || !bytes.Equal(frames[i].Body(), bodies[i]) {
				t.Fatalf("PDU %d: n=%d err=%v", i, n, err)
			}
		}
		for i, w := range writes {
			if _, err := w.Wait(ctx); err != nil && !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("write %d: %v", i, err)
			}
		}
	}},
	{"second-read-ebusy", func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn) {
		// inv 8
		f := sockactor.LengthPrefixed(4, 100)
		first := sv.ReadPDU(f.Next)
		_, err := sv.ReadPDU(sockactor.LengthPrefixed(4, 100).Next).Wait(ctx)
		wantErrno(t, "second read", err, syscall.EBUSY)
		_, err = cl.Writev(framed([]byte("hello"))).Wait(ctx)
		must(t, err)
		if n, err := first.Wait(ctx); err != nil || n != 9 || string(f.Body()) != "hello" {
			t.Fatalf("first read after EBUSY: %d %v %q", n, err, f.Body())
		}
	}},
	{"second-write-ebusy", func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn) {
		// inv 9: a write that cannot finish (nobody reads) stays pending.
		big := make([]byte, env.BigWrite)
		first := cl.Writev(big)
		_, err := cl.Writev([]byte("x")).Wait(ctx)
		wantErrno(t, "second write", err, syscall.EBUSY)
		got := 0
		for got < len(big) {
			n, err := sv.ReadPDU(sockactor.ReadFull(make([]byte, min(1<<20, len(big)-got)))).Wait(ctx)
			must(t, err)
			got += n
		}
		if n, err := first.Wait(ctx); err != nil || n != len(big) {
			t.Fatalf("first write after EBUSY: %d %v", n, err)
		}
	}},
	{"sticky-eof-queued-in-order", func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn) {
		// inv 15, 16, 17: EOF mid-PDU is EPIPE, sticky, for reads and writes.
		wire := append(framed([]byte("one")), framed([]byte("two-truncated"))[:7]...)
		_, err := cl.Writev(wire).Wait(ctx)
		must(t, err)
		cl.Close()
		f := []*sockactor.Frame{sockactor.LengthPrefixed(4, 100), sockactor.LengthPrefixed(4, 100), sockactor.LengthPrefixed(4, 100)}
		r := []*sockactor.Pending[int]{sv.ReadPDUQueue(f[0].Next), sv.ReadPDUQueue(f[1].Next), sv.ReadPDUQueue(f[2].Next)}
		if _, err := r[0].Wait(ctx); err != nil || string(f[0].Body()) != "one" {
			t.Fatalf("first PDU: %v %q", err, f[0].Body())
		}
		_, err1 := r[1].Wait(ctx)
		_, err2 := r[2].Wait(ctx)
		wantErrno(t, "PDU cut by EOF", err1, syscall.EPIPE)
		wantErrno(t, "queued behind it", err2, syscall.EPIPE)
		_, err = sv.ReadPDU(sockactor.LengthPrefixed(4, 100).Next).Wait(ctx)
		wantErrno(t, "read after", err, syscall.EPIPE)
		_, err = sv.Writev([]byte("x")).Wait(ctx)
		wantErrno(t, "write after EOF (sticky)", err, syscall.EPIPE)
	}},
	{"max-pdu-emsgsize-poisons", func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn) {
		_, err := cl.Writev([]byte{0, 0, 1, 0}, make([]byte, 256), framed([]byte("ok"))).Wait(ctx)
		must(t, err)
		_, err = sv.ReadPDU(sockactor.LengthPrefixed(4, 255).Next).Wait(ctx)
		wantErrno(t, "length over max", err, syscall.EMSGSIZE)
		_, err = sv.ReadPDU(sockactor.LengthPrefixed(4, 1000).Next).Wait(ctx)
		wantErrno(t, "read after EMSGSIZE (poisoned)", err, syscall.EMSGSIZE)
	}},
	{"next-errors", func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn) {
		// inv 5: no errno → EIO; zero-total vector → EINVAL; neither
		// consumed anything, so the stream stays usable.
		_, err := sv.ReadPDU(func() ([][]byte, error) { return nil, fmt.Errorf("parser gave up") }).Wait(ctx)
		wantErrno(t, "next error without errno", err, syscall.EIO)
		_, err = sv.ReadPDU(func() ([][]byte, error) { return [][]byte{{}, nil}, nil }).Wait(ctx)
		wantErrno(t, "zero-total vector", err, syscall.EINVAL)
		_, err = sv.ReadPDU(func() ([][]byte, error) { return make([][]byte, sockactor.IOVMax+1), nil }).Wait(ctx)
		wantErrno(t, "too many entries", err, syscall.EMSGSIZE)
		_, err = cl.Writev(framed([]byte("still fine"))).Wait(ctx)
		must(t, err)
		f := sockactor.LengthPrefixed(4, 100)
		if _, err := sv.ReadPDU(f.Next).Wait(ctx); err != nil || string(f.Body()) != "still fine" {
			t.Fatalf("after clean errors: %v %q", err, f.Body())
		}
	}},
	{"cancel-before-start-clean", func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn) {
		// inv 18, 19
		f1, f2, f3 := sockactor.LengthPrefixed(4, 100), sockactor.LengthPrefixed(4, 100), sockactor.LengthPrefixed(4, 100)
		r1 := sv.ReadPDUQueue(f1.Next)
		r2 := sv.ReadPDUQueue(f2.Next)
		r3 := sv.ReadPDUQueue(f3.Next)
		r2.Cancel()
		_, err := r2.Wait(ctx)
		wantErrno(t, "cancelled queued read", err, syscall.ECANCELED)
		_, err = cl.Writev(framed([]byte("a")), framed([]byte("b"))).Wait(ctx)
		must(t, err)
		if _, err := r1.Wait(ctx); err != nil || string(f1.Body()) != "a" {
			t.Fatalf("r1: %v %q", err, f1.Body())
		}
		if _, err := r3.Wait(ctx); err != nil || string(f3.Body()) != "b" {
			t.Fatalf("r3 after a cancelled predecessor: %v %q", err, f3.Body())
		}
	}},
	{"cancel-after-partial-poisons", func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn) {
		// inv 21
		f := sockactor.LengthPrefixed(4, 100)
		header := make(chan struct{}, 1)
		calls := 0
		r := sv.ReadPDU(func() ([][]byte, error) {
			calls++
			if calls == 2 { // the header has been consumed
				header <- struct{}{}
			}
			return f.Next()
		})
		_, err := cl.Writev([]byte{0, 0, 0, 5, 'a'}).Wait(ctx)
		must(t, err)
		must(t, sv.System().Wait(ctx, header))
		r.Cancel()
		_, err = r.Wait(ctx)
		wantErrno(t, "cancelled partial read", err, syscall.ECANCELED)
		_, err = sv.ReadPDU(sockactor.LengthPrefixed(4, 100).Next).Wait(ctx)
		wantErrno(t, "read after a poisoning cancel", err, syscall.ECONNABORTED)
	}},
	{"timeout-clean-then-usable", func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn) {
		// inv 22
		_, err := sv.WithTimeout(20 * time.Millisecond).ReadPDU(sockactor.LengthPrefixed(4, 100).Next).Wait(ctx)
		wantErrno(t, "read with nothing to read", err, syscall.ETIMEDOUT)
		_, err = cl.Writev(framed([]byte("late"))).Wait(ctx)
		must(t, err)
		f := sockactor.LengthPrefixed(4, 100)
		if _, err := sv.WithTimeout(time.Minute).ReadPDU(f.Next).Wait(ctx); err != nil || string(f.Body()) != "late" {
			t.Fatalf("after a clean timeout: %v %q", err, f.Body())
		}
	}},
	{"disconnect-rules", func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn) {
		// inv 24
		r := sv.ReadPDU(sockactor.LengthPrefixed(4, 100).Next)
		_, err := sv.Disconnect().Wait(ctx)
		wantErrno(t, "disconnect with a read pending", err, syscall.EBUSY)
		_, err = cl.Writev(framed(nil)).Wait(ctx)
		must(t, err)
		if _, err := r.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		d1 := sv.Disconnect()
		d2 := sv.Disconnect()
		w := sv.Writev([]byte("x"))
		_, err = d2.Wait(ctx)
		_, werr := w.Wait(ctx)
		if env.Concurrent && errors.Is(err, syscall.ENOTCONN) {
			// The disconnect finished before d2 arrived: w came later still.
			wantErrno(t, "write after the disconnect finished", werr, syscall.ENOTCONN)
		} else {
			wantErrno(t, "second disconnect", err, syscall.EALREADY)
			if !(env.Concurrent && errors.Is(werr, syscall.ENOTCONN)) {
				wantErrno(t, "write during disconnect", werr, syscall.ECONNABORTED)
			}
		}
		_, err = d1.Wait(ctx)
		must(t, err)
		_, err = sv.Writev([]byte("x")).Wait(ctx)
		wantErrno(t, "write after disconnect", err, syscall.ENOTCONN)
		_, err = sv.Disconnect().Wait(ctx)
		wantErrno(t, "disconnect after disconnect", err, syscall.ENOTCONN)
	}},
	{"stop-aborts-everything", func(t *testing.T, ctx context.Context, env SockEnv, cl, sv *sockactor.Conn) {
		// inv 25
		r := sv.ReadPDU(sockactor.LengthPrefixed(4, 100).Next)
		q := sv.ReadPDUQueue(sockactor.LengthPrefixed(4, 100).Next)
		sv.Close()
		_, err1 := r.Wait(ctx)
		_, err2 := q.Wait(ctx)
		wantErrno(t, "pending read on stop", err1, syscall.ECONNABORTED)
		wantErrno(t, "queued read on stop", err2, syscall.ECONNABORTED)
		must(t, sv.WaitStopped(ctx))
		_, err := sv.Writev([]byte("x")).Wait(ctx)
		wantErrno(t, "request to a stopped socket", err, syscall.ECONNABORTED)
	}},
}

type dgramCase struct {
	name string
	run  func(t *testing.T, ctx context.Context, a, b *sockactor.Dgram, str sockactor.Transport, addr string)
}

var dgramCases = []dgramCase{
	{"whole-with-source", func(t *testing.T, ctx context.Context, a, b *sockactor.Dgram, _ sockactor.Transport, _ string) {
		// inv 26, 12 (sendto queue order), 28
		sizes := []int{1, 7, 512, 1400, 9000, 65507}
		var sends []*sockactor.Pending[int]
		for i, n := range sizes {
			sends = append(sends, a.SendToQueue(bytes.Repeat([]byte{byte(i + 1)}, n), b.LocalAddr()))
		}
		for i, s := range sends {
			if n, err := s.Wait(ctx); err != nil || n != sizes[i] {
				t.Fatalf("sendto %d: %d %v", i, n, err)
			}
		}
		seen := map[int]bool{}
		for range sizes {
			d, err := b.RecvFrom().Wait(ctx)
			must(t, err)
			if d.Src == nil || d.Src.String() != a.LocalAddr().String() {
				t.Fatalf("source %v, want %v", d.Src, a.LocalAddr())
			}
			i := int(d.Data[0]) - 1
			if i < 0 || i >= len(sizes) || len(d.Data) != sizes[i] || !bytes.Equal(d.Data, bytes.Repeat([]byte{d.Data[0]}, sizes[i])) || seen[i] {
				t.Fatalf("datagram %d: %d bytes, merged, split or duplicated", i, len(d.Data))
			}
			seen[i] = true
		}
	}},
	{"bad-sendto", func(t *testing.T, ctx context.Context, a, b *sockactor.Dgram, _ sockactor.Transport, _ string) {
		// inv 28, 29
		_, err := a.SendTo(nil, b.LocalAddr()).Wait(ctx)
		wantErrno(t, "zero-length sendto", err, syscall.EINVAL)
		_, err = a.SendTo(make([]byte, 65508), b.LocalAddr()).Wait(ctx)
		wantErrno(t, "oversize sendto", err, syscall.EMSGSIZE)
		if _, err := a.SendTo([]byte("after"), b.LocalAddr()).Wait(ctx); err != nil {
			t.Fatalf("sendto after errors (not sticky): %v", err)
		}
		d, err := b.RecvFrom().Wait(ctx)
		if err != nil || string(d.Data) != "after" {
			t.Fatalf("recv: %v %q", err, d.Data)
		}
	}},
	{"recv-ebusy-timeout", func(t *testing.T, ctx context.Context, a, b *sockactor.Dgram, _ sockactor.Transport, _ string) {
		first := b.RecvFrom()
		_, err := b.RecvFrom().Wait(ctx)
		wantErrno(t, "second recvfrom", err, syscall.EBUSY)
		_, err = a.SendTo([]byte("x"), b.LocalAddr()).Wait(ctx)
		must(t, err)
		if d, err := first.Wait(ctx); err != nil || string(d.Data) != "x" {
			t.Fatalf("first recvfrom: %v %q", err, d.Data)
		}
		_, err = b.WithTimeout(10 * time.Millisecond).RecvFrom().Wait(ctx)
		wantErrno(t, "recvfrom with nothing", err, syscall.ETIMEDOUT)
	}},
	{"zero-length-does-not-block", func(t *testing.T, ctx context.Context, a, b *sockactor.Dgram, str sockactor.Transport, addr string) {
		// inv 27: a raw endpoint sends an empty datagram, then a real one.
		raw, err := str.ListenPacket("udp", addr)
		must(t, err)
		raw.Start(func(any) {})
		raw.Send([]sockactor.Outgoing{{Data: nil, Dst: b.LocalAddr()}, {Data: []byte("next"), Dst: b.LocalAddr()}})
		d1, err := b.RecvFrom().Wait(ctx)
		must(t, err)
		d2, err := b.RecvFrom().Wait(ctx)
		must(t, err)
		raw.Close()
		if len(d1.Data)+len(d2.Data) != 4 || (string(d1.Data) != "next" && string(d2.Data) != "next") {
			t.Fatalf("got %q and %q, want an empty datagram and \"next\"", d1.Data, d2.Data)
		}
	}},
	{"stop-aborts", func(t *testing.T, ctx context.Context, a, b *sockactor.Dgram, _ sockactor.Transport, _ string) {
		r := b.RecvFrom()
		b.Close()
		_, err := r.Wait(ctx)
		wantErrno(t, "recvfrom on stop", err, syscall.ECONNABORTED)
	}},
}

var _ net.Addr // the suite's addresses are net.Addr values
