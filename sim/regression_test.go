package sim_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/sockactor"
	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// TestSparseFileRunAfterOwnerCrash: a SparseFile owned by a booted node
// keeps serving operations after that node crashes and restarts: an
// operation queued after the restart (and Reopen) runs. Found in review:
// the queue's delay timer belonged to the node of the actor that called
// Run, died with the crash and left the queue marked running forever, so
// every later operation waited for good.
func TestSparseFileRunAfterOwnerCrash(t *testing.T) {
	w := sim.New(1)
	f := sim.NewSparseFile(w, "disk", sim.FileFaults{MaxLatency: time.Millisecond})
	f.OwnedBy("n")
	var ran []string
	handled := 0
	boot := func(sys *actors.System) error {
		_, err := sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
			if m, ok := c.Message().(*wrapperspb.StringValue); ok {
				v := m.Value
				handled++
				f.Run(func() { ran = append(ran, v) })
			}
		}), "io")
		return err
	}
	sys, err := w.Boot("n", boot)
	if err != nil {
		t.Fatal(err)
	}
	io := actor.NewPID("n", "io")
	sys.Send(io, wrapperspb.String("before crash"))
	if _, err := w.Run(sim.UntilTrue(func() bool { return handled == 1 })); err != nil {
		t.Fatal(err)
	}
	crashRestart(t, w, "n")
	f.Reopen()
	w.System("n").Send(actor.NewPID("n", "io"), wrapperspb.String("after restart"))
	if _, err := w.Run(sim.Until(time.Second)); err != nil {
		t.Fatal(err)
	}
	if handled != 2 {
		t.Fatalf("the restarted actor handled %d messages, want 2", handled)
	}
	for _, v := range ran {
		if v == "after restart" {
			return
		}
	}
	t.Fatalf("the file operation queued after the restart never ran (ran: %q)", ran)
}

// TestRemoteInFlightLostOnCrash: a message on the wire to a node that
// crashes is lost, as World.Crash says, even when the node restarts
// before the message's arrival time: it never reaches the new
// incarnation. Found in review: arrival only checked whether the node was
// down at that moment, not which incarnation the message was sent to.
func TestRemoteInFlightLostOnCrash(t *testing.T) {
	w := sim.New(1)
	w.SetNetFaults(sim.NetFaults{LatencyMin: sim.Duration(10 * time.Millisecond), LatencyMax: sim.Duration(10 * time.Millisecond)})
	a := w.MustNode("a")
	var got []string
	boot := func(sys *actors.System) error {
		_, err := sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
			if m, ok := c.Message().(*wrapperspb.StringValue); ok {
				got = append(got, m.Value)
			}
		}), "sink")
		return err
	}
	if _, err := w.Boot("b", boot); err != nil {
		t.Fatal(err)
	}
	a.Send(actor.NewPID("b", "sink"), wrapperspb.String("sent to the old incarnation"))
	// Let the send leave node a; it is now on the wire for 10ms.
	if _, err := w.Run(sim.Until(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := w.Crash("b"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Run(sim.Until(2 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := w.Restart("b"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Run(sim.Until(time.Second)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("a message in flight to the crashed node reached its next incarnation: %q", got)
	}
}

// evLog keeps the events a transport endpoint hands its sink; the tests
// below drive the simulated transport directly from the test goroutine
// (the World's loop).
type evLog struct{ evs []any }

func (l *evLog) sink(ev any) { l.evs = append(l.evs, ev) }

func (l *evLog) written() []*sockactor.EvWritten { return eventsOf[*sockactor.EvWritten](l) }

func (l *evLog) connected() []*sockactor.EvConnected { return eventsOf[*sockactor.EvConnected](l) }

// eventsOf returns the events of type E in l, in order.
func eventsOf[E any](l *evLog) []E {
	var out []E
	for _, e := range l.evs {
		if x, ok := e.(E); ok {
			out = append(out, x)
		}
	}
	return out
}

// listenSrv has host srv of n listen on tcp :80 and accept, handing
// each accepted stream to onAccept.
func listenSrv(t *testing.T, n *sim.Network, onAccept func(sockactor.Stream)) {
	t.Helper()
	l, err := n.Host("srv").Listen("tcp", ":80", sockactor.ListenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	l.Start(func(ev any) {
		if a, ok := ev.(*sockactor.EvAccepted); ok {
			onAccept(a.Stream)
		}
	})
	l.Accept()
}

// connectSrv listens as listenSrv does, connects host cli to srv:80
// (its events kept in the returned log) and runs w to 100ms, long
// enough for the handshake.
func connectSrv(t *testing.T, w *sim.World, n *sim.Network, onAccept func(sockactor.Stream)) (sockactor.Stream, *evLog) {
	t.Helper()
	listenSrv(t, n, onAccept)
	cliLog := &evLog{}
	c, err := n.Host("cli").Connect("tcp", "srv:80", cliLog.sink)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Run(sim.Until(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	return c, cliLog
}

// dgramLog keeps the payloads of the datagrams a packet endpoint
// received, in arrival order.
type dgramLog struct{ got []string }

// datagramPair opens packet endpoints a (on host ta at addrA) and b (on
// host tb at addrB) of the given network, starts a ignoring its events,
// and has b receive for good, its datagrams kept in the returned log.
func datagramPair(t *testing.T, network string, ta sockactor.Transport, addrA string, tb sockactor.Transport, addrB string) (a, b sockactor.Packet, rx *dgramLog) {
	t.Helper()
	a, err := ta.ListenPacket(network, addrA)
	if err != nil {
		t.Fatal(err)
	}
	b, err = tb.ListenPacket(network, addrB)
	if err != nil {
		t.Fatal(err)
	}
	a.Start(func(any) {})
	rx = &dgramLog{}
	b.Start(func(ev any) {
		if d, ok := ev.(*sockactor.EvDatagram); ok {
			rx.got = append(rx.got, string(d.Data))
			b.Recv()
		}
	})
	b.Recv()
	return a, b, rx
}

// crashRestart crashes node and restarts it.
func crashRestart(t *testing.T, w *sim.World, node string) {
	t.Helper()
	if err := w.Crash(node); err != nil {
		t.Fatal(err)
	}
	if err := w.Restart(node); err != nil {
		t.Fatal(err)
	}
}

// TestStreamCloseUnreadWriterHangs: when a peer closes with bytes it
// never read, the writer facing its full window gets a reset (as a kernel
// answers such a close with RST): its outstanding write ends with an
// error instead of waiting forever. Found in review: a reset was only
// sent when new data reached the closed socket, and with the window full
// none ever did.
func TestStreamCloseUnreadWriterHangs(t *testing.T) {
	w := sim.New(1)
	n := sim.NewNetwork(w, sim.NetConfig{Latency: time.Millisecond, Window: 1024})
	var srvLog evLog
	var accepted sockactor.Stream
	c, cliLog := connectSrv(t, w, n, func(s sockactor.Stream) { accepted = s })
	if accepted == nil || len(cliLog.connected()) != 1 || cliLog.connected()[0].Err != nil {
		t.Fatalf("no connection: accepted %v, client events %v", accepted, cliLog.evs)
	}
	accepted.Start(srvLog.sink)
	c.Write([][]byte{make([]byte, 4096)}) // 4 windows' worth
	if _, err := w.Run(sim.Until(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if len(cliLog.written()) != 0 {
		t.Fatalf("the write finished although the peer read nothing: %v", cliLog.evs)
	}
	accepted.Close() // 1 KiB unread
	if _, err := w.Run(sim.Until(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if len(cliLog.written()) != 1 {
		t.Fatalf("the peer closed 10s ago with unread data, and the write is still pending: client events %v", cliLog.evs)
	}
	if err := cliLog.written()[0].Err; err == nil {
		t.Fatalf("a write the peer never read ended without an error")
	}
}

// TestNetworkHealStopsResets: after Network.Heal no connection is reset
// by a fault, not even by a segment written before the heal and arriving
// after it. Found in review: a segment carried the reset rate in force
// when it was sent and applied it on arrival (and a connect likewise its
// refuse rate).
func TestNetworkHealStopsResets(t *testing.T) {
	w := sim.New(1)
	// Resets are decided per segment (connects never reset).
	n := sim.NewNetwork(w, sim.NetConfig{Latency: 10 * time.Millisecond, ResetRate: 1})
	var srvLog evLog
	var accepted sockactor.Stream
	c, _ := connectSrv(t, w, n, func(s sockactor.Stream) {
		accepted = s
		accepted.Start(srvLog.sink)
		accepted.Read(100)
	})
	if accepted == nil {
		t.Fatal("not connected")
	}
	c.Write([][]byte{[]byte("x")}) // arrives 10ms later
	if _, err := w.Run(w.For(5 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	n.Heal()
	if _, err := w.Run(sim.Until(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, ev := range srvLog.evs {
		if d, ok := ev.(*sockactor.EvData); ok {
			if d.Err != nil {
				t.Fatalf("after Network.Heal the connection was reset: %v", d.Err)
			}
			if string(d.Data) == "x" {
				return
			}
		}
	}
	t.Fatalf("the byte never arrived: %v", srvLog.evs)
}

// TestConnectAcrossPartition: a connect across a symmetric partition
// completes, on either side, only after the partition mends: its
// handshake segments are held like any other segment (net_partition.go).
// Found in review: the simulated connect ignored partitions and clogs and
// completed after one round trip.
func TestConnectAcrossPartition(t *testing.T) {
	w := sim.New(1)
	n := sim.NewNetwork(w, sim.NetConfig{Latency: time.Millisecond})
	accepted := time.Duration(-1)
	listenSrv(t, n, func(sockactor.Stream) { accepted = w.Now() })
	n.Partition("cli", "srv", false, time.Second)
	var cliLog evLog
	if _, err := n.Host("cli").Connect("tcp", "srv:80", cliLog.sink); err != nil {
		t.Fatal(err)
	}
	connectedAt := time.Duration(-1)
	if _, err := w.Run(sim.UntilTrue(func() bool {
		if connectedAt < 0 && len(cliLog.connected()) > 0 {
			connectedAt = w.Now()
		}
		return connectedAt >= 0 && accepted >= 0
	}), sim.Until(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if (connectedAt >= 0 && connectedAt < time.Second) || (accepted >= 0 && accepted < time.Second) {
		t.Fatalf("connect across a partition lasting 1s: connected at %v, accepted at %v", connectedAt, accepted)
	}
}

// TestCheckDeterminismOutcome: CheckDeterminism reports a *Divergence
// when the two runs of a seed end differently (here the first passes and
// the second breaks an invariant, as a checker reading a value computed
// in map order would), even though the events hashed are the same.
// Found in review: only traces and fingerprints were compared, so such a
// seed passed the check, with the first (passing) outcome.
func TestCheckDeterminismOutcome(t *testing.T) {
	runs := 0
	sc := sim.Scenario{Name: "outcome-drift", Run: func(w *sim.World) error {
		runs++
		sys := w.MustNode("n")
		pid, err := sys.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
		if err != nil {
			return err
		}
		sys.Send(pid, wrapperspb.Int64(int64(runs)))
		if _, err := w.Run(); err != nil {
			return err
		}
		if runs%2 == 0 {
			return errors.New("K1: value differs")
		}
		return nil
	}}
	out, div := sim.CheckDeterminism(sc, 1)
	if runs != 2 {
		t.Fatalf("%d runs", runs)
	}
	if div == nil {
		t.Fatalf("one run passed (err %v) and the other failed, yet CheckDeterminism reports no divergence", out.Err)
	}
}

// TestUnixgramOrder: unix datagrams from one socket to another arrive in
// the order they were sent, whatever the latency jitter (a local AF_UNIX
// datagram socket is reliable and ordered). Found in review: each
// datagram drew its own jitter, so they overtook each other although the
// simulated network gives unix datagrams no reorder fault.
func TestUnixgramOrder(t *testing.T) {
	w := sim.New(1)
	n := sim.NewNetwork(w, sim.NetConfig{Latency: time.Millisecond, Jitter: time.Millisecond})
	h := n.Host("h")
	a, b, rx := datagramPair(t, "unixgram", h, "/tmp/a.sock", h, "/tmp/b.sock")
	var batch []sockactor.Outgoing
	for i := 0; i < 50; i++ {
		batch = append(batch, sockactor.Outgoing{Data: []byte(fmt.Sprintf("%02d", i)), Dst: b.LocalAddr()})
	}
	a.Send(batch)
	if _, err := w.Run(sim.Until(time.Second)); err != nil {
		t.Fatal(err)
	}
	got := rx.got
	if len(got) != 50 {
		t.Fatalf("%d of 50 unix datagrams arrived", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i] < got[i-1] {
			t.Fatalf("unix datagrams arrived out of order: %q", got)
		}
	}
}

// TestStreamCloseAnswersOutstanding: closing a simulated stream with a
// Write and a Read outstanding ends each with an error event before
// EvClosed, as sockactor.Stream.Close requires (sockactor/transport.go)
// and the real driver does. Found in review: Close dropped both silently
// and only EvClosed arrived.
func TestStreamCloseAnswersOutstanding(t *testing.T) {
	w := sim.New(1)
	n := sim.NewNetwork(w, sim.NetConfig{Latency: time.Millisecond, Window: 1024})
	var accepted sockactor.Stream
	c, cliLog := connectSrv(t, w, n, func(s sockactor.Stream) {
		accepted = s
		accepted.Start(func(any) {})
	})
	if accepted == nil {
		t.Fatal("not connected")
	}
	c.Write([][]byte{make([]byte, 4096)}) // blocks on the 1 KiB window
	c.Read(100)                           // nothing comes
	if _, err := w.Run(sim.Until(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := w.Run(sim.Until(time.Second)); err != nil {
		t.Fatal(err)
	}
	var written, data, closed bool
	for _, ev := range cliLog.evs {
		switch e := ev.(type) {
		case *sockactor.EvWritten:
			written = e.Err != nil && !closed
		case *sockactor.EvData:
			data = e.Err != nil && !closed
		case *sockactor.EvClosed:
			closed = true
		}
	}
	if !closed || !written || !data {
		t.Fatalf("after Close with a write and a read outstanding: EvClosed %v, write ended with an error before it %v, read ended with an error before it %v",
			closed, written, data)
	}
}

// TestRemoteReorderWithoutLatency: with the Net.Reorder fault on and no
// latency range, messages between nodes are delivered out of order: a
// reordered message is held back by a delay of its own, so later ones
// overtake it. Found in review: a reordered message only skipped its
// link's FIFO clamp, so without latency spread it still arrived in
// order, although every one was recorded as a reorder fault in the plan.
func TestRemoteReorderWithoutLatency(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		p := sim.Profile{Name: "reorder", FaultTime: sim.Duration(time.Hour), Net: sim.NetFaults{Reorder: 1}}
		w := sim.New(seed, sim.WithProfile(p))
		a := w.MustNode("a")
		var col collector
		if _, err := w.MustNode("b").SpawnNamed(col.props(), "sink"); err != nil {
			t.Fatal(err)
		}
		// One sender actor, so sends leave a in order.
		sender, err := a.Spawn(actor.PropsFromFunc(func(c actor.Context) {
			if _, ok := c.Message().(*actor.Started); ok {
				for i := 0; i < 20; i++ {
					c.Send(actor.NewPID("b", "sink"), wrapperspb.String(fmt.Sprintf("%02d", i)))
				}
			}
		}))
		if err != nil || sender == nil {
			t.Fatal(err)
		}
		if _, err := w.Run(sim.Until(time.Second)); err != nil {
			t.Fatal(err)
		}
		reorders := 0
		for _, f := range w.Plan().Faults {
			if f.Kind == "reorder" {
				reorders++
			}
		}
		if reorders != 20 || len(col.got) != 20 {
			t.Fatalf("seed %d: %d reorder faults, %d messages", seed, reorders, len(col.got))
		}
		for i := 1; i < len(col.got); i++ {
			if col.got[i] < col.got[i-1] {
				return // reordered
			}
		}
	}
	t.Fatal("20 seeds × 20 messages, every one a recorded reorder fault, and every link delivered in FIFO order")
}

// TestUDPOrderAfterHeal: once the network is healed, UDP datagrams from
// one socket to another arrive in the order they were sent (Network.Heal
// promises no more reorders), latency jitter or not, and none overtakes
// one sent before the heal and held back by a reorder fault. Found in
// review, with TestUnixgramOrder: jitter kept reordering them after the
// heal.
func TestUDPOrderAfterHeal(t *testing.T) {
	w := sim.New(1)
	n := sim.NewNetwork(w, sim.NetConfig{Latency: time.Millisecond, Jitter: time.Millisecond, ReorderRate: 1})
	a, b, rx := datagramPair(t, "udp", n.Host("a"), ":1", n.Host("b"), ":2")
	send := func(tag string) {
		var batch []sockactor.Outgoing
		for i := 0; i < 50; i++ {
			batch = append(batch, sockactor.Outgoing{Data: []byte(fmt.Sprintf("%s%02d", tag, i)), Dst: b.LocalAddr()})
		}
		a.Send(batch)
	}
	send("a") // before the heal: reordered (and maybe dropped or duplicated)
	n.Heal()
	send("b")
	if _, err := w.Run(sim.Until(time.Second)); err != nil {
		t.Fatal(err)
	}
	var after []string
	for _, g := range rx.got {
		if g[0] == 'b' {
			after = append(after, g)
		} else if len(after) > 0 {
			t.Fatalf("a datagram sent before the heal (held back by a reorder) was overtaken by one sent after it: %q", rx.got)
		}
	}
	if len(after) != 50 {
		t.Fatalf("%d of the 50 datagrams sent after the heal arrived", len(after))
	}
	for i := 1; i < len(after); i++ {
		if after[i] <= after[i-1] {
			t.Fatalf("datagrams sent after the heal arrived out of order: %q", after)
		}
	}
}

// TestSparseFileOwnerCrashDropsQueued: the operations a crashed owner
// node queued on its file and that had not run yet vanish with the node
// (SparseFile.OwnedBy); they do not run against the reopened file after
// the restart, while what the new incarnation queues does.
func TestSparseFileOwnerCrashDropsQueued(t *testing.T) {
	w := sim.New(1)
	f := sim.NewSparseFile(w, "disk", sim.FileFaults{MaxLatency: time.Millisecond})
	f.OwnedBy("n")
	var ran []string
	if _, err := w.Boot("n", func(*actors.System) error { return nil }); err != nil {
		t.Fatal(err)
	}
	f.Run(func() { ran = append(ran, "old 1") })
	f.Run(func() { ran = append(ran, "old 2") })
	crashRestart(t, w, "n")
	f.Reopen()
	f.Run(func() { ran = append(ran, "new") })
	if _, err := w.Run(sim.Until(time.Second)); err != nil {
		t.Fatal(err)
	}
	if len(ran) != 1 || ran[0] != "new" {
		t.Fatalf("ran %q, want only the operation queued after the restart", ran)
	}
}
