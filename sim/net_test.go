package sim_test

import (
	"bytes"
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/sockactor"
)

// TestNetDatagramFaults: with loss, duplication and reordering, every
// received datagram is intact and one that was sent (research inv 30),
// faults are noted in the trace, and after Heal every datagram arrives
// exactly once.
func TestNetDatagramFaults(t *testing.T) {
	w := sim.New(7, sim.WithRecording())
	sys := w.MustNode("n1")
	n := sim.NewNetwork(w, sim.NetConfig{Latency: time.Millisecond, Jitter: time.Millisecond, DropRate: 0.2, DupRate: 0.2, ReorderRate: 0.3})
	ctx := context.Background()
	a, err := sockactor.ListenPacket(sys, n.Host("a"), "udp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	b, err := sockactor.ListenPacket(sys, n.Host("b"), "udp", ":53")
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]int{}
	for i := 0; i < 200; i++ {
		p := []byte(fmt.Sprintf("datagram %03d", i))
		sent[string(p)]++
		a.SendToQueue(p, b.LocalAddr())
	}
	got := map[string]int{}
	rb := b.WithTimeout(50 * time.Millisecond)
	for {
		d, err := rb.RecvFrom().Wait(ctx)
		if err != nil {
			break
		}
		if sent[string(d.Data)] == 0 || d.Src.String() != a.LocalAddr().String() {
			t.Fatalf("received %q from %v: never sent", d.Data, d.Src)
		}
		got[string(d.Data)]++
		if got[string(d.Data)] > 2 {
			t.Fatalf("%q received %d times", d.Data, got[string(d.Data)])
		}
	}
	if len(got) == 200 || len(got) == 0 {
		t.Fatalf("%d distinct datagrams of 200 arrived: the faults did not act", len(got))
	}
	notes := 0
	for _, e := range w.Events() {
		if e.Kind == sim.EventNote && bytes.HasPrefix([]byte(e.What), []byte("net: ")) {
			notes++
		}
	}
	if notes == 0 {
		t.Fatal("no fault was noted in the trace")
	}
	n.Heal()
	for i := 0; i < 50; i++ {
		a.SendToQueue([]byte{byte(i)}, b.LocalAddr())
	}
	for i := 0; i < 50; i++ {
		d, err := rb.RecvFrom().Wait(ctx)
		if err != nil {
			t.Fatalf("after heal, datagram %d: %v", i, err)
		}
		if len(d.Data) != 1 {
			t.Fatalf("after heal: %q", d.Data)
		}
	}
	if _, err := rb.RecvFrom().Wait(ctx); err == nil {
		t.Fatal("after heal: a datagram arrived twice")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestNetStreamReset: an injected reset fails both ends with ECONNRESET.
func TestNetStreamReset(t *testing.T) {
	w := sim.New(3)
	sys := w.MustNode("n1")
	n := sim.NewNetwork(w, sim.NetConfig{Latency: time.Millisecond, MaxSegment: 3})
	ctx := context.Background()
	l, err := sockactor.Listen(sys, n.Host("srv"), "tcp", ":80")
	if err != nil {
		t.Fatal(err)
	}
	acc := l.Accept()
	c, err := sockactor.Dial(ctx, sys, n.Host("cli"), "tcp", "srv:80")
	if err != nil {
		t.Fatal(err)
	}
	s, err := acc.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := s.ReadPDU(sockactor.ReadFull(make([]byte, 10)))
	if k := n.Reset("cli", "srv"); k != 1 {
		t.Fatalf("reset %d connections, want 1", k)
	}
	if _, err := r.Wait(ctx); sockactor.Errno(err) != syscall.ECONNRESET {
		t.Fatalf("server read after reset: %v", err)
	}
	if _, err := c.Writev([]byte("x")).Wait(ctx); sockactor.Errno(err) != syscall.ECONNRESET {
		t.Fatalf("client write after reset: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestNetPartition: bytes sent across a partition are held and arrive, in
// order, once it mends; datagrams sent across it are lost; a clog delays
// without losing; the heal mends everything.
func TestNetPartition(t *testing.T) {
	w := sim.New(5)
	sys := w.MustNode("n1")
	n := sim.NewNetwork(w, sim.NetConfig{Latency: time.Millisecond, MaxSegment: 4})
	ctx := context.Background()
	l, err := sockactor.Listen(sys, n.Host("srv"), "tcp", ":80")
	if err != nil {
		t.Fatal(err)
	}
	acc := l.Accept()
	c, err := sockactor.Dial(ctx, sys, n.Host("cli"), "tcp", "srv:80")
	if err != nil {
		t.Fatal(err)
	}
	s, err := acc.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n.Partition("cli", "srv", true, 100*time.Millisecond)
	start := w.Now()
	c.WritevQueue([]byte("held "), []byte("until mended"))
	buf := make([]byte, len("held until mended"))
	if _, err := s.ReadPDU(sockactor.ReadFull(buf)).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if string(buf) != "held until mended" || w.Now()-start < 100*time.Millisecond {
		t.Fatalf("read %q after %v", buf, w.Now()-start)
	}
	// One-way: the other direction flows meanwhile.
	n.Partition("srv", "cli", true, time.Second)
	n.Clog("cli", "srv", 50*time.Millisecond)
	start = w.Now()
	c.Writev([]byte("late"))
	got := make([]byte, 4)
	if _, err := s.ReadPDU(sockactor.ReadFull(got)).Wait(ctx); err != nil || string(got) != "late" || w.Now()-start < 50*time.Millisecond {
		t.Fatalf("clogged read %q after %v: %v", got, w.Now()-start, err)
	}
	a, err := sockactor.ListenPacket(sys, n.Host("cli"), "udp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	b, err := sockactor.ListenPacket(sys, n.Host("srv"), "udp", ":53")
	if err != nil {
		t.Fatal(err)
	}
	b.SendTo([]byte("lost"), a.LocalAddr()) // srv → cli is cut
	if _, err := a.WithTimeout(10 * time.Millisecond).RecvFrom().Wait(ctx); sockactor.Errno(err) != syscall.ETIMEDOUT {
		t.Fatalf("a datagram crossed a partition: %v", err)
	}
	n.Heal()
	b.SendTo([]byte("after"), a.LocalAddr())
	if d, err := a.RecvFrom().Wait(ctx); err != nil || string(d.Data) != "after" {
		t.Fatalf("after the heal: %v, %v", d, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
