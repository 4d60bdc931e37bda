package signalbus_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
)

// Regression tests for defects found in a third review of the root
// package: each states the behaviour expected, where it is specified, and
// what went wrong.

// TestRegressionDuplicateWireName: a bus refuses a second signal with the
// wire name (or any other name) of one it has, naming the name, so that
// Lookup is never ambiguous.
// Spec: bus.go, Lookup "the signal whose type name, wire name or accessor
// is name"; qmp: events are told apart by wire name alone, and
// query-qmp-schema lists each once. Found in review: NewSignal checked
// the type name and the accessor only, so BlockIOEvent and BlockIoEvent
// (both BLOCK_IO_EVENT) were both accepted and Lookup("BLOCK_IO_EVENT")
// returned either.
func TestRegressionDuplicateWireName(t *testing.T) {
	inSim(t, 1, func(w *sim.World, bus *signalbus.Bus) {
		first, err := signalbus.NewSignal[blockIO](bus, "BlockIOEvent")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			opts []signalbus.SignalOption
			what string
		}{
			{"BlockIoEvent", nil, `wire name "BLOCK_IO_EVENT"`},
			{"Other", []signalbus.SignalOption{signalbus.WithWire("BLOCK_IO_EVENT")}, `wire name "BLOCK_IO_EVENT"`},
			{"Third", []signalbus.SignalOption{signalbus.WithWire("block-io-event")}, `wire name "block-io-event" is the accessor`},
			{"Fourth", []signalbus.SignalOption{signalbus.WithAccessor("BlockIOEvent")}, `accessor "BlockIOEvent" is the type name`},
		} {
			_, err := signalbus.NewSignal[blockIO](bus, c.name, c.opts...)
			if !errors.Is(err, signalbus.ErrNameTaken) || !strings.Contains(err.Error(), c.what) {
				t.Errorf("NewSignal %s: %v, want ErrNameTaken naming %s", c.name, err, c.what)
			}
		}
		for _, n := range []string{"BlockIOEvent", "BLOCK_IO_EVENT", "block-io-event"} {
			if got, ok := bus.Lookup(n); !ok || got.Info() != first.Info() {
				t.Errorf("Lookup(%q) = %v, %v; want the first signal", n, got, ok)
			}
		}
		if n := len(bus.Signals()); n != 1 {
			t.Errorf("%d signals registered, want 1", n)
		}
		// A signal may have the same name twice itself.
		if _, err := signalbus.NewSignal[blockIO](bus, "FOO"); err != nil {
			t.Errorf("a signal whose type name is its wire name: %v", err)
		}
	})
}

// TestRegressionSessionNotStartedGetsNothing: a session that has not
// started gets no event through any connection: it refuses explicit ones
// (local and remote) with ErrNotStarted, and takes them once started.
// Spec: session.go, NewSession "no event reaches it until Start"; research
// §5 invariant 14 (negotiation silence). Found in review: explicit
// connections of a session not yet started were made and delivered.
func TestRegressionSessionNotStartedGetsNothing(t *testing.T) {
	p := newPair(t, 3)
	defer p.close(t)
	ctx := context.Background()
	sig, err := signalbus.NewSignal[blockIO](p.busB, "LocalEvent")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	sess, _ := p.busB.NewSession(signalbus.FuncSink(func(_ context.Context, ev signalbus.AnyEvent) {
		got = append(got, fmt.Sprintf("%s/%s", ev.Head().Signal.Name, ev.EventTag()))
	}))
	_ = sess.DisconnectDefaults(ctx)
	if _, err := sess.Connect(sig); !errors.Is(err, signalbus.ErrNotStarted) {
		t.Errorf("Session.Connect before Start: %v, want ErrNotStarted", err)
	}
	if _, err := sig.Connect(ctx, newRecorder().slot(nil), signalbus.InSession(sess)); !errors.Is(err, signalbus.ErrNotStarted) {
		t.Errorf("Signal.Connect InSession before Start: %v, want ErrNotStarted", err)
	}
	if _, err := sess.ConnectRemote(ctx, p.rs); !errors.Is(err, signalbus.ErrNotStarted) {
		t.Errorf("ConnectRemote before Start: %v, want ErrNotStarted", err)
	}
	_ = sig.Emit(blockIO{N: 1})
	_ = p.sig.Emit(blockIO{N: 1}, "x")
	p.run(t, 100*time.Millisecond)
	if len(got) != 0 {
		t.Fatalf("a session not started got %v", got)
	}
	if err := sess.Start(); err != nil {
		t.Fatal(err)
	}
	hl, err := sess.Connect(sig)
	if err != nil {
		t.Fatal(err)
	}
	hr, err := sess.ConnectRemote(ctx, p.rs)
	if err != nil {
		t.Fatal(err)
	}
	_ = sig.Emit(blockIO{N: 2})
	_ = p.sig.Emit(blockIO{N: 2}, "x")
	p.run(t, 100*time.Millisecond)
	sort.Strings(got)
	if want := fmt.Sprintf("[BlockIOEvent/%s LocalEvent/%s]", hr, hl); fmt.Sprint(got) != want {
		t.Errorf("once started, the session got %v, want %s", got, want)
	}
}

// slotLog is an actor slot that records what it gets, by tag.
type slotLog struct {
	name string
	got  *[]string
}

func (s *slotLog) Receive(c actor.Context) {
	if ev, ok := c.Message().(*signalbus.Event[blockIO]); ok {
		*s.got = append(*s.got, fmt.Sprintf("%s:%s/%d", s.name, ev.Tag, ev.Value.N))
	}
}

// TestRegressionSignalRestartKeepsConnections: when a signal's actor
// fails and its supervisor restarts it, its connections go on (func
// slots, actor slots, sessions' default and explicit connections, a
// throttled key's period): each gets the events emitted after the
// restart, in order, and Stats still lists them.
// Spec: doc.go "Connect ... the connection sees every matching event
// emitted after Connect returned"; a failure must not end connections
// silently. Found in review: each incarnation started with an empty
// table, so every connection was lost without a word (handles still
// open, slots never called again).
func TestRegressionSignalRestartKeepsConnections(t *testing.T) {
	inSim(t, 7, func(w *sim.World, bus *signalbus.Bus) {
		ctx := context.Background()
		sig, err := signalbus.NewSignal[blockIO](bus, "BlockIOEvent", signalbus.WithArgs("device"),
			signalbus.WithThrottle(signalbus.Throttle{Period: time.Second, Key: "device"}))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		rec := newRecorder()
		hf, _ := sig.Connect(ctx, rec.slot(nil))
		pid, _ := bus.System().Spawn(signalbus.SlotProps(func() actor.Actor { return &slotLog{name: "actor", got: &got} }))
		ha, _ := sig.Connect(ctx, signalbus.ActorSlot[blockIO](pid))
		sess, _ := bus.NewSession(signalbus.FuncSink(func(_ context.Context, ev signalbus.AnyEvent) {
			got = append(got, fmt.Sprintf("session:%s/%d", ev.EventTag(), ev.Data().(blockIO).N))
		}))
		_ = sess.Start()
		hs, _ := sess.Connect(sig, signalbus.Arg("device", "a"))
		_ = sig.Emit(blockIO{Device: "a", N: 1}, "a")
		if _, err := w.Run(w.For(10 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		_ = sig.Emit(blockIO{Device: "a", N: 2}, "a") // held by the throttle until 1s
		signalbus.CrashSignal(sig)
		if _, err := w.Run(w.For(10 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if bus.System().Stats().Restarts == 0 {
			t.Fatal("the signal's actor did not restart")
		}
		_ = sig.Emit(blockIO{Device: "b", N: 3}, "b") // another key: out at once, a/2 at 1s
		if _, err := w.Run(w.For(2 * time.Second)); err != nil {
			t.Fatal(err)
		}
		st, err := sig.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Conns) != 4 {
			t.Errorf("after the restart the signal has %d connections, want 4: %v", len(st.Conns), st.Conns)
		}
		if got, want := fmt.Sprint(rec.of(hf)), "[a/1 b/3 a/2]"; got != want {
			t.Errorf("func slot got %s, want %s", got, want)
		}
		sort.Strings(got)
		want := []string{"actor:" + string(ha) + "/1", "actor:" + string(ha) + "/2", "actor:" + string(ha) + "/3",
			"session:/1", "session:/2", "session:/3", "session:" + string(hs) + "/1", "session:" + string(hs) + "/2"}
		sort.Strings(want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("got %v\nwant %v", got, want)
		}
		// Disconnect still works on a connection made before the restart.
		if err := sig.Disconnect(ctx, hf); err != nil {
			t.Errorf("Disconnect after the restart: %v", err)
		}
	})
}

// TestRegressionSignalRestartUnderInjectedFailures: with the simulator
// failing the signal's actor at random (each failure loses the message it
// was about to handle: an emission, a connect, a disconnect, a session's
// close, an acknowledgement's wake-up, a throttle tick, a Terminated),
// no connection is lost: once the failures stop, the signal holds exactly
// the connections open on the bus, and each gets a new event, exactly
// once, with its deliveries in order.
func TestRegressionSignalRestartUnderInjectedFailures(t *testing.T) {
	prof := sim.Profile{Name: "panics", FaultTime: sim.Duration(3 * time.Second), Panics: &sim.PanicFaults{Rate: 0.01}}
	restarts := int64(0)
	for seed := uint64(1); seed <= 8; seed++ {
		w := sim.New(seed, sim.WithProfile(prof))
		w.AllowPanics(func(_, id string) bool { return id == "signal-block-io-event" }) // (not its executors)
		bus := signalbus.New(w.MustNode("n1"))
		ctx := signalbus.InActor(context.Background())
		sig, err := signalbus.NewSignal[blockIO](bus, "BlockIOEvent", signalbus.WithArgs("device"),
			signalbus.WithThrottle(signalbus.Throttle{Period: 50 * time.Millisecond, Key: "device", Exempt: map[string][]string{"action": {"now"}}}))
		if err != nil {
			t.Fatal(err)
		}
		rng := w.Rand("test")
		seen := map[signalbus.Handle][]int{}
		seqs := map[signalbus.Handle][]uint64{}
		slot := signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[blockIO]) {
			seen[ev.Tag] = append(seen[ev.Tag], ev.Value.N)
			seqs[ev.Tag] = append(seqs[ev.Tag], ev.Seq)
		})
		var actorGot []string
		pid, _ := bus.System().Spawn(signalbus.SlotProps(func() actor.Actor { return &slotLog{name: "a", got: &actorGot} }))
		open := map[signalbus.Handle]bool{}
		var sessions []*signalbus.Session
		n := 0
		for i := 0; i < 300; i++ {
			switch op := rng.IntN(10); {
			case op < 2:
				var h signalbus.Handle
				if rng.IntN(2) == 0 {
					h, err = sig.Connect(ctx, slot, signalbus.Queue(4, signalbus.DropOldest))
				} else {
					h, err = sig.Connect(ctx, signalbus.ActorSlot[blockIO](pid))
				}
				if err != nil {
					t.Fatal(err)
				}
				open[h] = true
			case op == 2 && len(open) > 0:
				hs := sortedHandles(open)
				h := hs[rng.IntN(len(hs))]
				_ = sig.Disconnect(ctx, h)
				delete(open, h)
			case op == 3:
				s, _ := bus.NewSession(signalbus.FuncSink(func(context.Context, signalbus.AnyEvent) {}))
				_ = s.Start()
				sessions = append(sessions, s)
			case op == 4 && len(sessions) > 0:
				sessions[0].Close()
				sessions = sessions[1:]
			default:
				n++
				action := ""
				if rng.IntN(3) == 0 {
					action = "now"
				}
				_ = sig.Emit(blockIO{Device: []string{"a", "b"}[rng.IntN(2)], Action: action, N: n}, "a")
			}
			if _, err := w.Run(w.For(time.Duration(rng.IntN(20)) * time.Millisecond)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Run(w.For(5 * time.Second)); err != nil { // past the failures
			t.Fatal(err)
		}
		restarts += bus.System().Stats().Restarts
		st, err := sig.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := len(open) + len(sessions) // each started session has its default connection
		if len(st.Conns) != want {
			t.Fatalf("seed %d: the signal holds %d connections, the bus %d open", seed, len(st.Conns), want)
		}
		for h := range open { //detguard:unordered test check
			if _, ok := st.Conns[h]; !ok {
				t.Fatalf("seed %d: open connection %s is not on the signal", seed, h)
			}
		}
		before := map[signalbus.Handle]int{}
		for h, s := range seqs { //detguard:unordered test check
			before[h] = len(s)
			for i := 1; i < len(s); i++ {
				if s[i] <= s[i-1] {
					t.Fatalf("seed %d: %s got sequence numbers %v: out of the signal's order, or twice", seed, h, s)
				}
			}
		}
		actorBefore := len(actorGot)
		n++
		_ = sig.Emit(blockIO{Device: "z", Action: "now", N: n}, "a")
		if _, err := w.Run(w.For(time.Second)); err != nil {
			t.Fatal(err)
		}
		actorConns := 0
		for h := range open { //detguard:unordered test check
			if _, isFunc := before[h]; isFunc || len(seen[h]) > 0 {
				if s := seen[h]; len(s) != before[h]+1 || s[len(s)-1] != n {
					st2, _ := sig.Stats(context.Background())
					for _, e := range w.Events() {
						if strings.Contains(e.String(), "fault") || strings.Contains(e.String(), "slot-"+string(h)) {
							t.Log(e.String())
						}
					}
					t.Fatalf("seed %d: %s got %v after the failures, want one more (%d); stats %+v", seed, h, s[before[h]:], n, st2.Conns[h])
				}
			} else {
				actorConns++
			}
		}
		if got := len(actorGot) - actorBefore; got != actorConns {
			t.Fatalf("seed %d: the actor slot got %d events for %d connections", seed, got, actorConns)
		}
		bus.Close()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if restarts == 0 {
		t.Fatal("no seed made the signal's actor fail")
	}
}

func sortedHandles(m map[signalbus.Handle]bool) []signalbus.Handle {
	out := make([]signalbus.Handle, 0, len(m))
	for h := range m { //detguard:unordered sorted below
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// reuser is an actor slot that, told to, connects itself to a signal and
// stops at once; when stopped, it spawns its successor under its own
// name, connects it and emits: all before the signal handles any of it.
type reuser struct {
	sig    *signalbus.Signal[blockIO]
	name   string
	got    *[]string
	handle *signalbus.Handle
	next   *signalbus.Handle
}

type goStop struct{}

func (r *reuser) Receive(c actor.Context) {
	ctx := signalbus.InActor(context.Background())
	switch ev := c.Message().(type) {
	case *goStop:
		// A PID as a user holds it: a copy (as actors hands spawners),
		// known by name, not the actor's own.
		self := actor.NewPID(c.Self().Address, c.Self().Id)
		*r.handle, _ = r.sig.Connect(ctx, signalbus.ActorSlot[blockIO](self))
		c.Stop(c.Self())
	case *actor.Stopped:
		succ := &reuser{name: "second", got: r.got}
		pid, err := actors.FromContext(c).SpawnNamed(signalbus.SlotProps(func() actor.Actor { return succ }), c.Self().Id)
		if err != nil {
			panic(err)
		}
		*r.next, _ = r.sig.Connect(ctx, signalbus.ActorSlot[blockIO](pid))
		_ = r.sig.Emit(blockIO{N: 1})
	case *signalbus.Event[blockIO]:
		*r.got = append(*r.got, fmt.Sprintf("%s:%s/%d", r.name, ev.Tag, ev.Value.N))
	}
}

// TestRegressionReusedSlotName: a connection is to the actor its PID
// named when Connect was called. When that actor stops and a new one
// takes its name before the signal hears of it, the old connection's
// events do not reach the new actor, and a late Terminated of the old one
// does not end the new one's connections.
// Spec: slot.go, ActorSlot "delivers *Event[T] messages to pid"; doc.go
// (a slot that stops ends its connections, only its own). Found in
// review: the signal knew slots by name only: events of the old
// connection reached the new actor, and the old one's Terminated removed
// the new one's connections too.
func TestRegressionReusedSlotName(t *testing.T) {
	// Over seeds: whether the first actor stops before the signal has
	// handled its connect (the window) is the schedule's choice.
	for seed := uint64(1); seed <= 12; seed++ {
		testReusedSlotName(t, seed)
	}
}

func testReusedSlotName(t *testing.T, seed uint64) {
	inSim(t, seed, func(w *sim.World, bus *signalbus.Bus) {
		sig, _ := signalbus.NewSignal[blockIO](bus, "BlockIOEvent")
		var got []string
		var old, next signalbus.Handle
		first := &reuser{sig: sig, name: "first", got: &got, handle: &old, next: &next}
		pid, err := bus.System().SpawnNamed(signalbus.SlotProps(func() actor.Actor { return first }), "reused")
		if err != nil {
			t.Fatal(err)
		}
		bus.System().Send(pid, &goStop{})
		if _, err := w.Run(); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("[second:%s/1]", next); fmt.Sprint(got) != want {
			t.Errorf("seed %d: after the first actor stopped, got %v, want %s (nothing of %s)", seed, got, want, old)
		}
		// The signal hears late that an actor of that name stopped:
		// the new actor's connection stays.
		bus.System().Send(sig.PID(), &actor.Terminated{Who: actor.NewPID(pid.Address, pid.Id)})
		_ = sig.Emit(blockIO{N: 2})
		if _, err := w.Run(); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("[second:%s/1 second:%s/2]", next, next); fmt.Sprint(got) != want {
			t.Errorf("seed %d: after a stale Terminated, got %v, want %s", seed, got, want)
		}
		st, _ := sig.Stats(context.Background())
		if _, ok := st.Conns[next]; !ok || len(st.Conns) != 1 {
			t.Errorf("seed %d: the signal holds %v, want only %s", seed, st.Conns, next)
		}
		if err := sig.Disconnect(context.Background(), old); !errors.Is(err, signalbus.ErrUnknownHandle) {
			t.Errorf("seed %d: the stopped actor's connection: Disconnect says %v, want ErrUnknownHandle", seed, err)
		}
	})
}
