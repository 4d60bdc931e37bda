package signalbus_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/wire"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
)

// Regression tests for defects found in a second review of the root
// package: each states the behaviour expected, where it is specified, and
// what went wrong.

// TestRegressionEmitCopiesArgs: the accessor arguments an event carries,
// and those its connections' filters see, are the ones given to Emit,
// even if the caller reuses its slice once Emit has returned (Emit never
// blocks: the signal actor fans the event out later).
// Spec: signal.go, Emit "emits v with the accessor argument values args";
// event.go, Header "read-only once fanned out"; research §5 invariants 4
// and 5 (exactly once per matching connection, filter soundness). Found
// in review: Emit kept the caller's slice, so a caller that filled it
// again for its next emission changed what the first one's slots got and
// which connections matched it.
func TestRegressionEmitCopiesArgs(t *testing.T) {
	inSim(t, 1, func(w *sim.World, bus *signalbus.Bus) {
		sig, err := signalbus.NewSignal[blockIO](bus, "BlockIOEvent", signalbus.WithArgs("device"))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var all, onA []string
		record := func(to *[]string) signalbus.Slot[blockIO] {
			return signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[blockIO]) {
				*to = append(*to, fmt.Sprintf("%s/%d", ev.Args[0], ev.Value.N))
			})
		}
		_, _ = sig.Connect(ctx, record(&all))
		_, _ = sig.Connect(ctx, record(&onA), signalbus.Arg("device", "a"))
		args := []string{"a"}
		_ = sig.Emit(blockIO{N: 1}, args...)
		args[0] = "b" // the caller reuses its slice
		_ = sig.Emit(blockIO{N: 2}, args...)
		args[0] = "c"
		if _, err := w.Run(); err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint(all), "[a/1 b/2]"; got != want {
			t.Errorf("unfiltered connection got %s, want %s", got, want)
		}
		if got, want := fmt.Sprint(onA), "[a/1]"; got != want {
			t.Errorf("connection filtered on device a got %s, want %s", got, want)
		}
	})
}

// defaultsRaceCheck emits on every signal and checks that nothing reaches
// the session and that no signal keeps a connection.
func defaultsRaceCheck(t *testing.T, w *sim.World, got *[]string, sigs ...*signalbus.Signal[blockIO]) {
	t.Helper()
	for i, s := range sigs {
		_ = s.Emit(blockIO{N: i + 1})
	}
	if _, err := w.Run(); err != nil {
		t.Fatal(err)
	}
	if len(*got) != 0 {
		t.Errorf("after DisconnectDefaults returned, the session received %v", *got)
	}
	for _, s := range sigs {
		st, err := s.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Conns) != 0 {
			t.Errorf("signal %s keeps connections %v", s.Info().Name, st.Conns)
		}
	}
}

// TestRegressionNewSignalRacingDisconnectDefaults: a signal added while a
// started session disconnects its defaults gives it no default
// connection once DisconnectDefaults has returned.
// Spec: session.go, DisconnectDefaults "drops the session's default
// connections"; doc.go "DisconnectDefaults ... means no event ever
// reaches it through one"; research §5 invariant 15. Found in review:
// NewSignal chose the sessions to connect under the bus's lock but
// connected them after releasing it, so a DisconnectDefaults in between
// missed the new connection, which stayed.
func TestRegressionNewSignalRacingDisconnectDefaults(t *testing.T) {
	inSim(t, 1, func(w *sim.World, bus *signalbus.Bus) {
		ctx := context.Background()
		var got []string
		sess, err := bus.NewSession(signalbus.FuncSink(func(_ context.Context, ev signalbus.AnyEvent) {
			got = append(got, ev.Head().Signal.Name)
		}))
		if err != nil {
			t.Fatal(err)
		}
		first, _ := signalbus.NewSignal[blockIO](bus, "FirstEvent")
		if err := sess.Start(); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Run(); err != nil {
			t.Fatal(err)
		}
		raced := false
		restore := signalbus.OnDefaultConnect(func() {
			if !raced {
				raced = true
				if err := sess.DisconnectDefaults(ctx); err != nil {
					t.Error(err)
				}
			}
		})
		second, err := signalbus.NewSignal[blockIO](bus, "SecondEvent")
		restore()
		if err != nil {
			t.Fatal(err)
		}
		if !raced {
			t.Fatal("NewSignal made no default connection")
		}
		defaultsRaceCheck(t, w, &got, first, second)
	})
}

// TestRegressionStartRacingDisconnectDefaults: the same for Start: a
// DisconnectDefaults while Start makes the default connections leaves
// none behind.
// Spec and finding: as above, for Session.Start.
func TestRegressionStartRacingDisconnectDefaults(t *testing.T) {
	inSim(t, 2, func(w *sim.World, bus *signalbus.Bus) {
		ctx := context.Background()
		var got []string
		sess, err := bus.NewSession(signalbus.FuncSink(func(_ context.Context, ev signalbus.AnyEvent) {
			got = append(got, ev.Head().Signal.Name)
		}))
		if err != nil {
			t.Fatal(err)
		}
		first, _ := signalbus.NewSignal[blockIO](bus, "FirstEvent")
		second, _ := signalbus.NewSignal[blockIO](bus, "SecondEvent")
		raced := false
		restore := signalbus.OnDefaultConnect(func() {
			if !raced {
				raced = true
				if err := sess.DisconnectDefaults(ctx); err != nil {
					t.Error(err)
				}
			}
		})
		err = sess.Start()
		restore()
		if err != nil {
			t.Fatal(err)
		}
		if !raced {
			t.Fatal("Start made no default connection")
		}
		defaultsRaceCheck(t, w, &got, first, second)
	})
}

// TestRegressionStoppedSlotLeavesNoHandle: when an actor slot stops, its
// connections go, from the bus's tables too: their handles are no longer
// open connections (Disconnect says ErrUnknownHandle, Session.Owns says
// no), and a new actor under the slot's name gets nothing of them.
// Spec: bus.go, Bus "keeps the table of open connections"; signal.go,
// ErrUnknownHandle "not an open connection of the caller"; session.go,
// Owns "whether h is an open connection of the session". Found in
// review: the signal removed the connections but the bus kept their
// handles (a leak per connection, and the session's list grew).
func TestRegressionStoppedSlotLeavesNoHandle(t *testing.T) {
	inSim(t, 3, func(w *sim.World, bus *signalbus.Bus) {
		sys := bus.System()
		ctx := context.Background()
		sig, _ := signalbus.NewSignal[blockIO](bus, "BlockIOEvent")
		sess, err := bus.NewSession(signalbus.FuncSink(func(context.Context, signalbus.AnyEvent) {}))
		if err != nil {
			t.Fatal(err)
		}
		if err := sess.Start(); err != nil { // (a session takes connections once started)
			t.Fatal(err)
		}
		got := map[string][]int{}
		spawn := func(name string) *actor.PID {
			pid, err := sys.SpawnNamed(signalbus.SlotProps(func() actor.Actor {
				return actor.ReceiveFunc(func(c actor.Context) {
					if ev, ok := c.Message().(*signalbus.Event[blockIO]); ok {
						got[name] = append(got[name], ev.Value.N)
					}
				})
			}), "slot")
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
		pid := spawn("first")
		hBus, _ := sig.Connect(ctx, signalbus.ActorSlot[blockIO](pid))
		hSess, _ := sig.Connect(ctx, signalbus.ActorSlot[blockIO](pid), signalbus.InSession(sess))
		_ = sig.Emit(blockIO{N: 1})
		if _, err := w.Run(); err != nil {
			t.Fatal(err)
		}
		sys.Stop(pid)
		if _, err := w.Run(); err != nil {
			t.Fatal(err)
		}
		spawn("second") // the same name
		_ = sig.Emit(blockIO{N: 2})
		if _, err := w.Run(); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != "map[first:[1 1]]" {
			t.Errorf("slots got %v", got)
		}
		if s, ok := sess.Owns(hSess); ok {
			t.Errorf("the session still owns %s (on %s) after its slot stopped", hSess, s.Info().Name)
		}
		if err := sig.Disconnect(ctx, hBus); !errors.Is(err, signalbus.ErrUnknownHandle) {
			t.Errorf("Disconnect of a connection whose slot stopped: %v, want ErrUnknownHandle", err)
		}
		if err := sess.Disconnect(ctx, hSess); !errors.Is(err, signalbus.ErrUnknownHandle) {
			t.Errorf("Session.Disconnect of a connection whose slot stopped: %v, want ErrUnknownHandle", err)
		}
	})
}

// TestRegressionServerForgetsIdlePeers: the server keeps a record of a
// subscriber's client (and watches it) only while the client has
// connections: not after the last one ended, nor for a refused connect;
// and when the client connects again it is watched again (its node's
// death removes its connections).
// Spec: remote_server.go, server.peers "client actor → its
// connections"; doc.go "When the subscriber's node dies ... the server
// removes its connections". Found in review: a record was made at the
// first connect and dropped only when the client died, so a client that
// disconnected (or was refused) left it, watched, for its lifetime.
func TestRegressionServerForgetsIdlePeers(t *testing.T) {
	w := sim.New(5)
	busA := signalbus.New(w.MustNode("a"))
	if _, err := signalbus.NewSignal[blockIO](busA, "BlockIOEvent", signalbus.WithArgs("device")); err != nil {
		t.Fatal(err)
	}
	srv, err := signalbus.Serve(busA)
	if err != nil {
		t.Fatal(err)
	}
	var busB *signalbus.Bus
	if _, err := w.Boot("b", func(sys *actors.System) error { busB = signalbus.New(sys); return nil }); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	stats := func() *signalbus.ServerStats {
		t.Helper()
		if _, err := w.Run(w.For(100 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		st, err := srv.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	rs, _ := signalbus.Remote[blockIO](busB, "a", "BlockIOEvent")
	h1, err := rs.Connect(ctx, newRecorder().slot(nil))
	if err != nil {
		t.Fatal(err)
	}
	h2, err := rs.Connect(ctx, newRecorder().slot(nil))
	if err != nil {
		t.Fatal(err)
	}
	if st := stats(); st.Peers != 1 || len(st.Conns) != 2 {
		t.Fatalf("after two connects: %d peers, %d connections", st.Peers, len(st.Conns))
	}
	_ = rs.Disconnect(ctx, h1)
	if st := stats(); st.Peers != 1 {
		t.Fatalf("with one connection left: %d peers", st.Peers)
	}
	_ = rs.Disconnect(ctx, h2)
	if st := stats(); st.Peers != 0 || len(st.Conns) != 0 {
		t.Errorf("after the last disconnect: %d peers, %d connections", st.Peers, len(st.Conns))
	}
	other, _ := signalbus.Remote[blockIO](busB, "a", "NoSuchEvent")
	if _, err := other.Connect(ctx, newRecorder().slot(nil)); !errors.Is(err, signalbus.ErrUnknownType) {
		t.Fatalf("connect to an unknown signal: %v", err)
	}
	if st := stats(); st.Peers != 0 {
		t.Errorf("after a refused connect: %d peers", st.Peers)
	}
	if _, err := rs.Connect(ctx, newRecorder().slot(nil)); err != nil {
		t.Fatal(err)
	}
	if err := w.Crash("b"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Run(w.For(time.Second)); err != nil {
		t.Fatal(err)
	}
	if st := stats(); st.Peers != 0 || len(st.Conns) != 0 || st.PeersLost != 1 {
		t.Errorf("after the client's node died: %d peers, %d connections, %d lost", st.Peers, len(st.Conns), st.PeersLost)
	}
	busA.Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestRegressionClientDropsStaleIncarnationStream: an answer to a
// connect of another incarnation of the client (a delayed duplicate sent
// before the client restarted) that the server accepted makes the client
// tell the server to drop that stream, as it does for events of a stream
// it does not read.
// Spec: doc.go "the two sides cannot disagree for long"; remote_client.go,
// ClientStats.Stale "the server is told to drop it". Found in review: the
// client ignored such an answer, so the server kept the connection (and
// its connection to the local signal) until an event went out on it.
func TestRegressionClientDropsStaleIncarnationStream(t *testing.T) {
	p := newPair(t, 12)
	sysR := p.w.MustNode("r")
	r := &rogue{}
	rp, _ := sysR.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return r }), signalbus.ServerName)
	viaRogue, _ := signalbus.Remote[blockIO](p.busB, "r", "BlockIOEvent")
	ctx := context.Background()
	h, _ := viaRogue.Connect(signalbus.InActor(ctx), newRecorder().slot(nil))
	p.run(t, 10*time.Millisecond)
	st, _ := p.busB.RemoteStats(ctx)
	old := st.Epoch + 2
	sysR.Send(rp, &rogueSend{msg: &wire.SignalConnected{Epoch: old, Conn: "c-old", Stream: "s-old", Name: "BlockIOEvent", Window: 8}})
	p.run(t, 10*time.Millisecond)
	dropped := false
	for _, m := range r.got {
		if d, ok := m.(*wire.SignalDisconnect); ok && d.Epoch == old && d.Conn == "c-old" && d.Stream == "s-old" {
			dropped = true
		}
	}
	if !dropped {
		t.Errorf("the client did not tell the server to drop the stream of another incarnation; it sent %v", r.got)
	}
	if err := viaRogue.Disconnect(signalbus.InActor(ctx), h); err != nil {
		t.Fatal(err)
	}
	p.close(t)
}

// TestRegressionDisconnectEndsWhenBusCloses: a blocking Disconnect
// waiting for a slot to finish its delivery returns (ErrClosed) when the
// bus closes meanwhile; it does not wait for an answer the stopped signal
// will never send.
// Spec: signal.go, Disconnect "called from outside the actors it also
// waits until a delivery the slot may be handling right now has
// finished"; bus.go, Close "their actors are stopped"; ErrClosed "the
// bus ... was closed". Found in review (reading): the signal's Ask of the
// slot's fence ended with its actor, and nothing answered the waiting
// Disconnect: in a real system it hung for as long as its context
// allowed (for ever with context.Background), in a simulation the World
// ran dry.
func TestRegressionDisconnectEndsWhenBusCloses(t *testing.T) {
	inSim(t, 4, func(w *sim.World, bus *signalbus.Bus) {
		sys := bus.System()
		sig, _ := signalbus.NewSignal[blockIO](bus, "BlockIOEvent")
		h := &holder{} // holds its deliveries and never answers a Fence
		pid, _ := sys.Spawn(actor.PropsFromProducer(func() actor.Actor { return h }))
		ctx := context.Background()
		hd, _ := sig.Connect(ctx, signalbus.ActorSlot[blockIO](pid))
		_ = sig.Emit(blockIO{N: 1})
		if _, err := w.Run(); err != nil {
			t.Fatal(err)
		}
		if _, err := sys.Spawn(actor.PropsFromProducer(func() actor.Actor { return &timed{d: time.Second, f: bus.Close} })); err != nil {
			t.Fatal(err)
		}
		start := w.Now()
		err := sig.Disconnect(ctx, hd)
		if !errors.Is(err, signalbus.ErrClosed) {
			t.Errorf("Disconnect across Bus.Close: %v, want ErrClosed", err)
		}
		if d := w.Now() - start; d > 2*time.Second {
			t.Errorf("Disconnect returned %v after it began; the bus closed after 1s", d)
		}
	})
}

// TestRegressionDisconnectEndsWhenBusClosesReal: the same on a real
// system, where the old code hung until the caller's context ended.
func TestRegressionDisconnectEndsWhenBusClosesReal(t *testing.T) {
	sys := actors.New()
	defer func() { _ = sys.Close(context.Background()) }()
	bus := signalbus.New(sys, signalbus.WithFenceTimeout(time.Minute))
	defer bus.Close()
	sig, _ := signalbus.NewSignal[blockIO](bus, "BlockIOEvent")
	pid, _ := sys.Spawn(actor.PropsFromProducer(func() actor.Actor { return &holder{} }))
	hd, _ := sig.Connect(context.Background(), signalbus.ActorSlot[blockIO](pid))
	_ = sig.Emit(blockIO{N: 1})
	// The signal has the connection (else Disconnect closes it before it
	// is made, and has no slot to wait for).
	if _, err := sig.Stats(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := sys.Spawn(actor.PropsFromProducer(func() actor.Actor { return &timed{d: 100 * time.Millisecond, f: bus.Close} })); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	err := sig.Disconnect(ctx, hd)
	if !errors.Is(err, signalbus.ErrClosed) {
		t.Errorf("Disconnect across Bus.Close: %v after %v, want ErrClosed", err, time.Since(start))
	}
}

// TestRegressionRemoteDisconnectEndsWhenBusCloses: the same for a
// remote connection, whose Disconnect waits for the slot through the
// bus's remote client.
// Spec: remote.go, RemoteSignal.Disconnect "the same barrier as
// Signal.Disconnect"; finding as above (the client stops at Bus.Close
// with the fence's Ask pending).
func TestRegressionRemoteDisconnectEndsWhenBusCloses(t *testing.T) {
	p := newPair(t, 6)
	sysB := p.busB.System()
	pid, _ := sysB.Spawn(actor.PropsFromProducer(func() actor.Actor { return &holder{} }))
	ctx := context.Background()
	hd, err := p.rs.Connect(ctx, signalbus.ActorSlot[blockIO](pid))
	if err != nil {
		t.Fatal(err)
	}
	_ = p.sig.Emit(blockIO{Device: "a", N: 1}, "a")
	p.run(t, 100*time.Millisecond)
	if _, err := sysB.Spawn(actor.PropsFromProducer(func() actor.Actor { return &timed{d: time.Second, f: p.busB.Close} })); err != nil {
		t.Fatal(err)
	}
	start := p.w.Now()
	err = p.rs.Disconnect(ctx, hd)
	if !errors.Is(err, signalbus.ErrClosed) {
		t.Errorf("remote Disconnect across Bus.Close: %v, want ErrClosed", err)
	}
	if d := p.w.Now() - start; d > 2*time.Second {
		t.Errorf("Disconnect returned %v after it began; the bus closed after 1s", d)
	}
	p.close(t)
}

// TestRegressionStatsAfterClose: Signal.Stats, Bus.RemoteStats and
// Server.Stats asked once the bus (or the server) is closed answer
// ErrClosed; they do not wait for an actor that stops without handling
// the request.
// Spec: signal.go, ErrClosed "the bus (or the signal, or the session) was
// closed"; actors doc, System.Request "in a simulation ... report a
// deadlock if it never can" (which is what the old code hit). Found in
// review: the request reached the actor's mailbox behind the stop and
// protoactor drops the messages left there when an actor stops (no dead
// letter), so the caller waited until its context ended (for ever with
// context.Background) — the same defect as Disconnect's above.
func TestRegressionStatsAfterClose(t *testing.T) {
	p := newPair(t, 7)
	ctx := context.Background()
	if _, err := p.rs.Connect(ctx, newRecorder().slot(nil)); err != nil {
		t.Fatal(err)
	}
	p.srv.Close()
	if _, err := p.srv.Stats(ctx); !errors.Is(err, signalbus.ErrClosed) {
		t.Errorf("Server.Stats after Close: %v, want ErrClosed", err)
	}
	p.busA.Close()
	if _, err := p.sig.Stats(ctx); !errors.Is(err, signalbus.ErrClosed) {
		t.Errorf("Signal.Stats after Bus.Close: %v, want ErrClosed", err)
	}
	p.busB.Close()
	if _, err := p.busB.RemoteStats(ctx); !errors.Is(err, signalbus.ErrClosed) {
		t.Errorf("Bus.RemoteStats after Bus.Close: %v, want ErrClosed", err)
	}
	p.close(t)
}
