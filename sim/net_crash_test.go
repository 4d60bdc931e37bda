package sim_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/sockactor"
	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// closedByPeer reports whether err is what a read gets from a peer whose
// process died: EOF (its kernel sent FIN; sockactor reports it as EPIPE)
// or ECONNRESET (it sent RST).
func closedByPeer(err error) bool {
	switch sockactor.Errno(err) {
	case syscall.EPIPE, syscall.ECONNRESET:
		return true
	}
	return errors.Is(err, io.EOF)
}

// TestSocketBytesOnWireOutliveCrash: bytes a node's socket sent before
// the node crashed are on the wire: they reach the live peer, and then
// the peer sees the connection end (the dead process's kernel closed it),
// as a message between nodes outlives its crashed sender. Found in
// review: the simulated network's timers belonged to the node whose actor
// made the call, so the crash silently dropped its traffic in flight, and
// its endpoints stayed open for good: the peer's read waited forever.
func TestSocketBytesOnWireOutliveCrash(t *testing.T) {
	w := sim.New(1)
	n := sim.NewNetwork(w, sim.NetConfig{Latency: 10 * time.Millisecond, MaxSegment: 3})
	ctx := context.Background()
	srv := w.MustNode("srv")
	l, err := sockactor.Listen(srv, n.Host("srv"), "tcp", ":80")
	if err != nil {
		t.Fatal(err)
	}
	acc := l.Accept()
	if _, err := w.Boot("a", func(*actors.System) error { return nil }); err != nil {
		t.Fatal(err)
	}
	c, err := sockactor.Dial(ctx, w.System("a"), n.Host("a"), "tcp", "srv:80")
	if err != nil {
		t.Fatal(err)
	}
	s, err := acc.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const msg = "sent before the crash"
	wr := c.Writev([]byte(msg))
	if _, err := wr.Wait(ctx); err != nil { // accepted by the kernel: on the wire for 10ms
		t.Fatal(err)
	}
	if err := w.Crash("a"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(msg))
	if _, err := s.ReadPDU(sockactor.ReadFull(buf)).Wait(ctx); err != nil || string(buf) != msg {
		t.Fatalf("the peer of the crashed node read %q, %v; want %q", buf, err, msg)
	}
	if _, err := s.ReadPDU(sockactor.ReadFull(make([]byte, 1))).Wait(ctx); !closedByPeer(err) {
		t.Fatalf("after the bytes, a read from the crashed node's connection ended with %v, want EOF or ECONNRESET", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSocketCrashClosesEndpoints: a node's crash closes its sockets, as a
// dead process's kernel does: a peer's pending read ends (EOF or reset),
// a connect to its listening address is refused while it is down, and
// the next incarnation binds the same addresses again and serves. Found
// in review: the crashed node's endpoints were never closed, so peers
// waited forever, a connect succeeded into the dead listener's backlog,
// and the restarted node could not bind (EADDRINUSE).
func TestSocketCrashClosesEndpoints(t *testing.T) {
	w := sim.New(1)
	n := sim.NewNetwork(w, sim.NetConfig{Latency: time.Millisecond})
	ctx := context.Background()
	var l *sockactor.Listener
	var d *sockactor.Dgram
	boots := 0
	boot := func(sys *actors.System) error {
		boots++
		var err error
		if l, err = sockactor.Listen(sys, n.Host("srv"), "tcp", ":80"); err != nil {
			return err
		}
		d, err = sockactor.ListenPacket(sys, n.Host("srv"), "udp", ":53")
		return err
	}
	if _, err := w.Boot("srv", boot); err != nil {
		t.Fatal(err)
	}
	cli := w.MustNode("cli")
	acc := l.Accept()
	c, err := sockactor.Dial(ctx, cli, n.Host("cli"), "tcp", "srv:80")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acc.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	rd := c.ReadPDU(sockactor.ReadFull(make([]byte, 1)))
	if _, err := w.Run(w.For(5 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := w.Crash("srv"); err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Wait(ctx); !closedByPeer(err) {
		t.Fatalf("a read from the crashed node's connection ended with %v, want EOF or ECONNRESET", err)
	}
	if c2, err := sockactor.Dial(ctx, cli, n.Host("cli"), "tcp", "srv:80"); sockactor.Errno(err) != syscall.ECONNREFUSED {
		t.Fatalf("a connect to the crashed node's listening address: %v, %v; want ECONNREFUSED", c2, err)
	}
	// A datagram on its way to the dead incarnation's socket is lost: it
	// does not reach the next incarnation bound to the same port.
	u, err := sockactor.ListenPacket(cli, n.Host("cli"), "udp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.SendTo([]byte("to the dead"), &sim.Addr{Net: "udp", Host: "srv", Port: 53}).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Restart("srv"); err != nil {
		t.Fatalf("the restarted node could not bind its addresses again: %v", err)
	}
	if boots != 2 {
		t.Fatalf("%d boots", boots)
	}
	acc = l.Accept()
	c, err = sockactor.Dial(ctx, cli, n.Host("cli"), "tcp", "srv:80")
	if err != nil {
		t.Fatalf("connect to the restarted node: %v", err)
	}
	s, err := acc.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Writev([]byte("hi")).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := s.ReadPDU(sockactor.ReadFull(buf)).Wait(ctx); err != nil || string(buf) != "hi" {
		t.Fatalf("the restarted node read %q, %v", buf, err)
	}
	if _, err := u.SendTo([]byte("to the living"), d.LocalAddr()).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := d.RecvFrom().Wait(ctx)
	if err != nil || string(got.Data) != "to the living" {
		t.Fatalf("the restarted node's first datagram: %q, %v; want the one sent to it, not the one sent to its last incarnation", got.Data, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSocketOpenedInBootCrashes: a socket a node's boot function opens
// belongs to the node even before any of its actors starts it, so a
// crash that comes first still frees its address for the next boot.
func TestSocketOpenedInBootCrashes(t *testing.T) {
	w := sim.New(1)
	n := sim.NewNetwork(w, sim.NetConfig{Latency: time.Millisecond})
	boot := func(*actors.System) error {
		if _, err := n.Host("srv").Listen("tcp", ":80", sockactor.ListenConfig{}); err != nil {
			return err
		}
		_, err := n.Host("srv").ListenPacket("udp", ":53")
		return err
	}
	if _, err := w.Boot("srv", boot); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		crashRestart(t, w, "srv")
	}
}

// TestSocketPeerCrashKeepsWriterGoing: a live node's write stalled on
// the window goes on when its peer's actor reads (the read makes room and
// the writer cuts its next segments); when that reader's node then
// crashes, those segments still cross, reach the dead socket, and the
// writer gets a reset instead of waiting forever. Found in review: the
// segments were scheduled on a timer of the node whose actor made room,
// died with it, and the write stayed pending for good.
func TestSocketPeerCrashKeepsWriterGoing(t *testing.T) {
	w := sim.New(1)
	n := sim.NewNetwork(w, sim.NetConfig{Latency: time.Millisecond, Window: 64, MaxSegment: 64})
	if _, err := w.Boot("rd", func(*actors.System) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var accepted sockactor.Stream
	var srvLog evLog
	reader, err := w.System("rd").Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch c.Message() {
		case "start":
			accepted.Start(srvLog.sink)
		case "read":
			accepted.Read(64)
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	c, cliLog := connectSrv(t, w, n, func(s sockactor.Stream) { accepted = s })
	if accepted == nil {
		t.Fatal("not connected")
	}
	// srv is a host of rd: its endpoint is started, and read, by rd's actor.
	w.System("rd").Send(reader, "start")
	c.Write([][]byte{make([]byte, 3*64)}) // three windows
	if _, err := w.Run(w.For(10 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	w.System("rd").Send(reader, "read") // takes the first window: the next is cut
	if _, err := w.Run(sim.UntilTrue(func() bool { return len(eventsOf[*sockactor.EvData](&srvLog)) > 0 })); err != nil {
		t.Fatal(err)
	}
	if err := w.Crash("rd"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Run(w.For(time.Second)); err != nil {
		t.Fatal(err)
	}
	if wr := cliLog.written(); len(wr) != 1 || sockactor.Errno(wr[0].Err) != syscall.ECONNRESET {
		t.Fatalf("a write towards a reader that crashed 1s ago: %v, want one EvWritten with ECONNRESET", cliLog.evs)
	}
}

// TestRemoteReorderedNotOvertakenAfterHeal: a message held back by a
// reorder fault before the heal is not overtaken by one sent on the same
// link after the heal: from the heal on, the link is FIFO again. Found
// in review: a reordered message did not count in its link's FIFO clamp,
// so a message sent after the heal overtook it.
func TestRemoteReorderedNotOvertakenAfterHeal(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		p := sim.Profile{Name: "reorder", FaultTime: sim.Duration(time.Hour), Net: sim.NetFaults{Reorder: 1}}
		w := sim.New(seed, sim.WithProfile(p))
		a := w.MustNode("a")
		var col collector
		if _, err := w.MustNode("b").SpawnNamed(col.props(), "sink"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Run(sim.Until(time.Millisecond)); err != nil { // the faults start
			t.Fatal(err)
		}
		sink := actor.NewPID("b", "sink")
		a.Send(sink, wrapperspb.String("before the heal")) // held back by up to 1ms
		w.Heal()
		a.Send(sink, wrapperspb.String("after the heal"))
		if _, err := w.Run(sim.Until(time.Second)); err != nil {
			t.Fatal(err)
		}
		if len(col.got) != 2 || col.got[0] != "before the heal" {
			t.Fatalf("seed %d: b received %q: a message sent after the heal overtook one sent before", seed, col.got)
		}
	}
}

// TestReplayTakesNoFaultAfterHeal: a replayed plan whose fault falls on
// an opportunity that comes after the heal (as a shrunk plan's can: the
// run changes, and so does which message is the N-th) does not inject
// it: once healed, nothing is dropped, reordered or duplicated, in a
// replay as in the original run. Found in review: replay took the plan's
// opportunities whatever the time.
func TestReplayTakesNoFaultAfterHeal(t *testing.T) {
	plan := sim.Plan{
		Profile: sim.Profile{Name: "replay", FaultTime: sim.Duration(time.Millisecond)},
		Faults: []sim.Fault{
			{Kind: "drop", Target: "a>b", N: 2},
			{Kind: "reorder", Target: "a>b", N: 3},
		},
	}
	w := sim.New(1, sim.WithPlan(plan))
	a := w.MustNode("a")
	var col collector
	if _, err := w.MustNode("b").SpawnNamed(col.props(), "sink"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Run(sim.Until(2 * time.Millisecond)); err != nil { // healed
		t.Fatal(err)
	}
	for i := 1; i <= 4; i++ {
		a.Send(actor.NewPID("b", "sink"), wrapperspb.String(fmt.Sprint(i)))
	}
	if _, err := w.Run(sim.Until(time.Second)); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(col.got) != "[1 2 3 4]" || len(w.Plan().Faults) != 0 {
		t.Fatalf("after the heal, a replay delivered %q and injected %v", col.got, w.Plan().Faults)
	}
}
