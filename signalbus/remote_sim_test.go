package signalbus_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/wire"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"
)

// staller is an actor slot that records its deliveries and, while holding,
// keeps them unacknowledged (a stalled slot).
type staller struct {
	hold    bool
	held    []signalbus.Delivery
	seen    []int
	dropped uint64
	tags    map[signalbus.Handle]int
}

type (
	holdOn  struct{}
	holdOff struct{}
)

func (x *staller) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case signalbus.Delivery:
		if !m.Live() {
			m.Done()
			return
		}
		ev := m.AnyEvent()
		x.seen = append(x.seen, ev.Data().(blockIO).N)
		x.dropped += ev.EventDropped()
		if x.tags == nil {
			x.tags = map[signalbus.Handle]int{}
		}
		x.tags[ev.EventTag()]++
		if x.hold {
			x.held = append(x.held, m)
		} else {
			m.Done()
		}
	case *signalbus.Fence:
		c.Respond(&struct{}{})
	case *holdOn:
		x.hold = true
	case *holdOff:
		x.hold = false
		for _, d := range x.held {
			d.Done()
		}
		x.held = nil
	}
}

// TestRemoteStalledSlotBounded: a remote slot that stops acknowledging is
// bounded exactly as a local one: at most the window is in flight to it,
// the rest waits in the signal's queue, overflow follows the policy and
// is reported on the next event.
func TestRemoteStalledSlotBounded(t *testing.T) {
	p := newPair(t, 3)
	h := &staller{hold: true}
	slot, _ := p.busB.System().Spawn(actor.PropsFromProducer(func() actor.Actor { return h }))
	ctx := context.Background()
	const limit = 8
	window, queue := signalbus.SplitQueue(limit)
	hd, err := p.rs.Connect(ctx, signalbus.ActorSlot[blockIO](slot), signalbus.Queue(limit, signalbus.DropOldest))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 50; i++ {
		_ = p.sig.Emit(blockIO{Device: "a", N: i}, "a")
	}
	p.run(t, 5*time.Second)
	if len(h.seen) != window {
		t.Fatalf("a stalled slot got %d deliveries, want the window %d", len(h.seen), window)
	}
	sst, err := p.srv.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sst.Conns) != 1 || sst.Conns[0].Pending != window || sst.Conns[0].MaxPending != window || sst.Conns[0].Conn != hd {
		t.Fatalf("server conns %+v", sst.Conns)
	}
	st, err := p.sig.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cs := st.Conns[sst.Conns[0].Local]
	if cs.MaxQueued != queue || cs.Dropped != uint64(50-limit) {
		t.Fatalf("signal conn stats %+v, want queue %d and %d dropped", cs, queue, 50-limit)
	}
	p.busB.System().Send(slot, &holdOff{})
	p.run(t, time.Second)
	if len(h.seen) != limit || h.dropped != uint64(50-limit) || h.seen[limit-1] != 50 {
		t.Fatalf("after release: seen %v, dropped %d", h.seen, h.dropped)
	}
	if h.tags[hd] != limit {
		t.Fatalf("tags %v", h.tags)
	}
	p.close(t)
}

// TestRemoteNodeCrashCounted: when the subscriber's node dies, the
// server removes its connections and counts what was in flight to it
// (sent, unacknowledged) and what was queued for it.
func TestRemoteNodeCrashCounted(t *testing.T) {
	w := sim.New(4)
	busA := signalbus.New(w.MustNode("a"))
	sig, _ := signalbus.NewSignal[blockIO](busA, "BlockIOEvent", signalbus.WithArgs("device"))
	var losses []signalbus.PeerLoss
	srv, err := signalbus.Serve(busA, signalbus.OnPeerLoss(func(l signalbus.PeerLoss) { losses = append(losses, l) }))
	if err != nil {
		t.Fatal(err)
	}
	var busB *signalbus.Bus
	var slot *actor.PID
	h := &staller{hold: true}
	if _, err := w.Boot("b", func(sys *actors.System) error {
		busB = signalbus.New(sys)
		slot, err = sys.Spawn(actor.PropsFromProducer(func() actor.Actor { return h }))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rs, _ := signalbus.Remote[blockIO](busB, "a", "BlockIOEvent")
	ctx := context.Background()
	const limit = 10
	window, queue := signalbus.SplitQueue(limit)
	hd, err := rs.Connect(ctx, signalbus.ActorSlot[blockIO](slot), signalbus.Queue(limit, signalbus.DropNewest))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 8; i++ {
		_ = sig.Emit(blockIO{Device: "a", N: i}, "a")
	}
	if _, err := w.Run(w.For(time.Second)); err != nil {
		t.Fatal(err)
	}
	if len(h.seen) != window {
		t.Fatalf("seen %v", h.seen)
	}
	if err := w.Crash("b"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Run(w.For(time.Second)); err != nil {
		t.Fatal(err)
	}
	st, err := srv.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Conns) != 0 || st.PeersLost != 1 || st.LostInFlight != uint64(window) || st.LostQueued != uint64(8-window) {
		t.Fatalf("server stats after the crash: %+v (window %d, queue %d)", st, window, queue)
	}
	if len(losses) != 1 || losses[0].Conn != hd || losses[0].InFlight != uint64(window) || losses[0].Sent != uint64(window) ||
		!strings.HasPrefix(losses[0].Why, "terminated") {
		t.Fatalf("losses %+v", losses)
	}
	sst, _ := sig.Stats(ctx)
	if len(sst.Conns) != 0 {
		t.Fatalf("the signal still has connections: %v", sst.Conns)
	}
	busA.Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestRemoteExactlyOnceUnderFaults: with messages dropped, duplicated,
// reordered and delayed, and short partitions, every event reaches the
// remote slot exactly once and in order.
func TestRemoteExactlyOnceUnderFaults(t *testing.T) {
	prof := sim.Profile{Name: "lossy", FaultTime: sim.Duration(3 * time.Second),
		Net: sim.NetFaults{LatencyMin: sim.Duration(time.Millisecond), LatencyMax: sim.Duration(15 * time.Millisecond),
			Drop: 0.1, Duplicate: 0.05, Reorder: 0.05},
		Partitions: &sim.PartitionFaults{Every: sim.Duration(300 * time.Millisecond), Min: sim.Duration(10 * time.Millisecond), Max: sim.Duration(200 * time.Millisecond), OneWay: 0.5}}
	for seed := uint64(1); seed <= 8; seed++ {
		p := newPair(t, seed, sim.WithProfile(prof))
		rec := newRecorder()
		ctx := context.Background()
		var hs []signalbus.Handle
		for len(hs) < 2 {
			h, err := p.rs.Connect(ctx, rec.slot(nil), signalbus.Queue(4096, signalbus.DropOldest))
			if err != nil {
				continue // a partition outlasted the connect timeout: try again
			}
			hs = append(hs, h)
		}
		const n = 300
		for i := 1; i <= n; i++ {
			_ = p.sig.Emit(blockIO{Device: "a", N: i}, "a")
			p.run(t, 10*time.Millisecond)
		}
		p.run(t, 10*time.Second)
		for _, h := range hs {
			got := rec.of(h)
			if len(got) != n {
				t.Fatalf("seed %d: %s got %d of %d events", seed, h, len(got), n)
			}
			for i, s := range got {
				if s != fmt.Sprintf("a/%d", i+1) {
					t.Fatalf("seed %d: %s event %d is %s", seed, h, i, s)
				}
			}
		}
		st, err := p.busB.RemoteStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Duplicates == 0 && st.Gaps == 0 {
			t.Fatalf("seed %d: no duplicate and no gap seen: the faults did not bite (%+v)", seed, st)
		}
		p.close(t)
	}
}

// TestRemoteSessions: a session on the subscriber's node owns its remote
// connections: another session cannot end them, and closing the session
// ends them on both nodes.
func TestRemoteSessions(t *testing.T) {
	p := newPair(t, 5)
	h := &staller{}
	sink, _ := p.busB.System().Spawn(actor.PropsFromProducer(func() actor.Actor { return h }))
	s1, _ := p.busB.NewSession(signalbus.ActorSink(sink))
	s2, _ := p.busB.NewSession(signalbus.ActorSink(sink))
	_, _ = s1.Start(), s2.Start() // (a session takes connections once started)
	ctx := context.Background()
	h1, err := s1.ConnectRemote(ctx, p.rs, signalbus.Arg("device", "x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s1.ConnectRemote(ctx, p.rs); err != nil {
		t.Fatal(err)
	}
	if err := s2.Disconnect(ctx, h1); !errors.Is(err, signalbus.ErrUnknownHandle) {
		t.Fatalf("another session's disconnect: %v", err)
	}
	if err := p.busB.Disconnect(ctx, h1); !errors.Is(err, signalbus.ErrUnknownHandle) {
		t.Fatalf("an unscoped disconnect: %v", err)
	}
	if _, ok := s1.Owns(h1); ok {
		t.Fatal("Owns reports a remote connection")
	}
	_ = p.sig.Emit(blockIO{Device: "x", N: 1}, "x")
	p.run(t, 100*time.Millisecond)
	if fmt.Sprint(h.seen) != "[1 1]" || h.tags[h1] != 1 {
		t.Fatalf("seen %v tags %v", h.seen, h.tags)
	}
	if n := p.localConns(t); n != 2 {
		t.Fatalf("%d connections on node a", n)
	}
	s1.Close()
	_ = p.sig.Emit(blockIO{Device: "x", N: 2}, "x")
	p.run(t, 100*time.Millisecond)
	if fmt.Sprint(h.seen) != "[1 1]" {
		t.Fatalf("after Close: seen %v", h.seen)
	}
	if n := p.localConns(t); n != 0 {
		t.Fatalf("%d connections on node a after the session closed", n)
	}
	p.close(t)
}

// TestRemoteDisconnectFromSlot: a func slot that disconnects itself on its
// first event gets no other, and node a's connection goes.
func TestRemoteDisconnectFromSlot(t *testing.T) {
	p := newPair(t, 6)
	var got []int
	var h signalbus.Handle
	var err error
	h, err = p.rs.Connect(context.Background(), signalbus.FuncSlot(func(ctx context.Context, ev *signalbus.Event[blockIO]) {
		got = append(got, ev.Value.N)
		if err := p.rs.Disconnect(ctx, h); err != nil {
			t.Error(err)
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		_ = p.sig.Emit(blockIO{Device: "a", N: i}, "a")
	}
	p.run(t, time.Second)
	if fmt.Sprint(got) != "[1]" {
		t.Fatalf("got %v", got)
	}
	if n := p.localConns(t); n != 0 {
		t.Fatalf("%d connections on node a", n)
	}
	p.close(t)
}

// TestRemoteLostWhenSignalCloses: when the signal's bus closes, the
// remote connections end with ErrClosed through OnLost; when the
// subscriber's node is cut off past the keepalive, with ErrPeerGone.
func TestRemoteLostWhenSignalCloses(t *testing.T) {
	p := newPair(t, 7, sim.WithRemote(sim.RemoteOptions{Keepalive: time.Second}))
	lost := map[signalbus.Handle]error{}
	onLost := signalbus.OnLost(func(h signalbus.Handle, err error) { lost[h] = err })
	ctx := context.Background()
	h1, err := p.rs.Connect(ctx, newRecorder().slot(nil), onLost)
	if err != nil {
		t.Fatal(err)
	}
	p.busA.Close()
	p.run(t, time.Second)
	if !errors.Is(lost[h1], signalbus.ErrClosed) {
		t.Fatalf("lost %v", lost)
	}
	if err := p.rs.Disconnect(ctx, h1); !errors.Is(err, signalbus.ErrUnknownHandle) {
		t.Fatalf("Disconnect of a lost connection: %v", err)
	}
	// A second server, cut off from b.
	busC := signalbus.New(p.w.MustNode("c"))
	_, _ = signalbus.NewSignal[blockIO](busC, "BlockIOEvent", signalbus.WithArgs("device"))
	_, _ = signalbus.Serve(busC)
	rc, _ := signalbus.Remote[blockIO](p.busB, "c", "BlockIOEvent")
	h2, err := rc.Connect(ctx, newRecorder().slot(nil), onLost)
	if err != nil {
		t.Fatal(err)
	}
	_ = p.w.Partition("b", "c", false)
	p.run(t, 2*time.Second)
	if !errors.Is(lost[h2], signalbus.ErrPeerGone) {
		t.Fatalf("lost %v", lost)
	}
	busC.Close()
	p.close(t)
}

// TestRemoteClientRestart: when the client actor fails (injected panics),
// its connections end through OnLost, and the new incarnation's epoch
// replaces the old one on the server; a panicking OnLost is recovered.
func TestRemoteClientRestart(t *testing.T) {
	prof := sim.Profile{Name: "panics", FaultTime: sim.Duration(2 * time.Second), Panics: &sim.PanicFaults{Rate: 0.2}}
	for seed := uint64(1); seed <= 5; seed++ {
		p := newPair(t, seed, sim.WithProfile(prof))
		p.w.AllowPanics(func(node, id string) bool { return node == "b" && id == signalbus.ClientName })
		first, err := p.busB.RemoteEpoch()
		if err != nil {
			t.Fatal(err)
		}
		var lost []error
		ctx := signalbus.InActor(context.Background())
		onLost := signalbus.OnLost(func(h signalbus.Handle, err error) {
			lost = append(lost, err)
			panic("a careless OnLost")
		})
		for i := 0; i < 3; i++ {
			_, _ = p.rs.Connect(ctx, newRecorder().slot(nil), onLost)
		}
		for i := 1; i <= 100; i++ {
			_ = p.sig.Emit(blockIO{Device: "a", N: i}, "a")
			p.run(t, 10*time.Millisecond)
		}
		p.run(t, 3*time.Second)
		if p.busB.System().Stats().Restarts == 0 {
			p.close(t)
			continue // no panic hit the client in this seed
		}
		now, _ := p.busB.RemoteEpoch()
		if now == first || len(lost) == 0 || !errors.Is(lost[0], signalbus.ErrClosed) || p.busB.SlotPanics() == 0 {
			t.Fatalf("seed %d: epochs %d → %d, lost %v, OnLost panics %d", seed, first, now, lost, p.busB.SlotPanics())
		}
		st, err := p.srv.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range st.Conns {
			if c.Epoch != now {
				t.Fatalf("seed %d: the server keeps a connection of epoch %d (now %d)", seed, c.Epoch, now)
			}
		}
		if n := p.localConns(t); n != len(st.Conns) {
			t.Fatalf("seed %d: %d signal connections for %d remote ones", seed, n, len(st.Conns))
		}
		p.close(t)
		return
	}
	t.Fatal("no seed made the client restart")
}

// TestRemoteStaleStream: a server that re-creates a connection (a late
// duplicate connect after it removed it) numbers the new stream from 1;
// the client reads only the stream it was answered with, refuses the
// other and tells the server to drop it, so its slot still gets every
// event of its stream exactly once.
func TestRemoteStaleStream(t *testing.T) {
	p := newPair(t, 11)
	sysR := p.w.MustNode("r")
	r := &rogue{}
	rs, _ := sysR.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return r }), signalbus.ServerName)
	viaRogue, _ := signalbus.Remote[blockIO](p.busB, "r", "BlockIOEvent")
	rec := newRecorder()
	ctx := context.Background()
	h, _ := viaRogue.Connect(signalbus.InActor(ctx), rec.slot(nil))
	p.run(t, 10*time.Millisecond)
	st, _ := p.busB.RemoteStats(ctx)
	ev := func(stream string, n uint64) *wire.SignalEvent {
		return &wire.SignalEvent{Epoch: st.Epoch, Conn: string(h), Stream: stream, N: n, Seq: n, Type: "BlockIOEvent",
			Args: []string{"a"}, Data: []byte(fmt.Sprintf(`{"device":"a","n":%d}`, n))}
	}
	send := func(m proto.Message) { sysR.Send(rs, &rogueSend{msg: m}); p.run(t, 10*time.Millisecond) }
	send(&wire.SignalConnected{Epoch: st.Epoch, Conn: string(h), Stream: "s1", Name: "BlockIOEvent",
		Args: []*wire.SignalArgInfo{{Name: "device", Type: "str"}}, Window: 8})
	send(ev("s1", 1))
	send(ev("s1", 2))
	send(&wire.SignalConnected{Epoch: st.Epoch, Conn: string(h), Stream: "s2", Name: "BlockIOEvent", Window: 8})
	send(ev("s2", 1))
	send(ev("s2", 2))
	send(ev("s2", 3))
	send(ev("s1", 3))
	if got := fmt.Sprint(rec.of(h)); got != "[a/1 a/2 a/3]" {
		t.Fatalf("the slot got %s", got)
	}
	killed := 0
	for _, m := range r.got {
		if d, ok := m.(*wire.SignalDisconnect); ok && d.Stream == "s2" && d.Conn == string(h) {
			killed++
		}
	}
	st, _ = p.busB.RemoteStats(ctx)
	if killed != 4 || st.Stale != 4 || st.Open != 1 {
		t.Fatalf("disconnects of the stale stream %d, client stats %+v", killed, st)
	}
	p.close(t)
}
