package signalbus_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
)

// stalledBurst connects a stalled actor slot (holder) to a new signal
// with connect, emits a burst of n events, then releases the slot until
// nothing more comes, emits event n+1, and returns what the slot got (as
// "N/Dropped"), how many it got before it went on, and
// the connection's Dropped count in the signal's stats (every
// connection's, if connect returns no handle).
func stalledBurst(t *testing.T, n int, connect func(bus *signalbus.Bus, sig *signalbus.Signal[blockIO], pid *actor.PID) signalbus.Handle) (got []string, statDropped uint64, before int) {
	t.Helper()
	inSim(t, 1, func(w *sim.World, bus *signalbus.Bus) {
		sig, err := signalbus.NewSignal[blockIO](bus, "BlockIOEvent")
		if err != nil {
			t.Fatal(err)
		}
		h := &holder{}
		pid, err := bus.System().Spawn(actor.PropsFromProducer(func() actor.Actor { return h }))
		if err != nil {
			t.Fatal(err)
		}
		hd := connect(bus, sig, pid)
		if _, err := w.Run(); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= n; i++ {
			if err := sig.Emit(blockIO{N: i}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Run(); err != nil {
			t.Fatal(err)
		}
		before = len(h.got)
		for prev := -1; prev != len(h.got); {
			prev = len(h.got)
			bus.System().Send(pid, &releaseAll{})
			if _, err := w.Run(); err != nil {
				t.Fatal(err)
			}
		}
		// One more event, to an idle slot, carries the count of those
		// dropped since the last delivery.
		if err := sig.Emit(blockIO{N: n + 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Run(); err != nil {
			t.Fatal(err)
		}
		got = h.got
		st, err := sig.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for h, cs := range st.Conns { //detguard:unordered a sum
			if hd == "" || h == hd {
				statDropped += cs.Dropped
			}
		}
	})
	return got, statDropped, before
}

// TestRegressionQueueLimitDropOldestKeepsNewest: whatever the limit, a
// DropOldest connection (or session) whose slot stalls through a burst
// gets the burst's last event (the latest state is never lost), while
// DropNewest delivers the first events of the burst, as many as the
// limit; in both, what was not delivered is counted in Event.Dropped and
// in the connection's stats, and the backlog stays bounded. Queue(1,
// DropOldest) used to keep only the delivery in flight and drop every
// newer event, as DropNewest does.
// Spec: signalbus/slot.go Queue doc; signalbus/doc.go "the declared
// policy applies (DropOldest or DropNewest) and the next event delivered
// carries the count of lost ones"; research/qapi-events.md (QEMU's
// throttle: the last event is never lost).
func TestRegressionQueueLimitDropOldestKeepsNewest(t *testing.T) {
	type via struct {
		name    string
		connect func(limit int, pol signalbus.Policy) func(*signalbus.Bus, *signalbus.Signal[blockIO], *actor.PID) signalbus.Handle
	}
	vias := []via{
		{"Queue", func(limit int, pol signalbus.Policy) func(*signalbus.Bus, *signalbus.Signal[blockIO], *actor.PID) signalbus.Handle {
			return func(_ *signalbus.Bus, sig *signalbus.Signal[blockIO], pid *actor.PID) signalbus.Handle {
				hd, err := sig.Connect(context.Background(), signalbus.ActorSlot[blockIO](pid), signalbus.Queue(limit, pol))
				if err != nil {
					t.Fatal(err)
				}
				return hd
			}
		}},
		{"SessionQueue", func(limit int, pol signalbus.Policy) func(*signalbus.Bus, *signalbus.Signal[blockIO], *actor.PID) signalbus.Handle {
			return func(bus *signalbus.Bus, _ *signalbus.Signal[blockIO], pid *actor.PID) signalbus.Handle {
				s, err := bus.NewSession(signalbus.ActorSink(pid), signalbus.SessionQueue(limit, pol))
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Start(); err != nil {
					t.Fatal(err)
				}
				return "" // its default connection, the only one
			}
		}},
	}
	for _, v := range vias {
		for limit := 1; limit <= 4; limit++ {
			for _, pol := range []signalbus.Policy{signalbus.DropOldest, signalbus.DropNewest} {
				for n := 1; n <= 9; n++ {
					got, statDropped, before := stalledBurst(t, n, v.connect(limit, pol))
					name := fmt.Sprintf("%s(%d, %v), burst of %d", v.name, limit, pol, n)
					var delivered []int
					var dropped uint64
					for _, g := range got {
						parts := strings.SplitN(g, "/", 2)
						k, _ := strconv.Atoi(parts[0])
						d, _ := strconv.ParseUint(parts[1], 10, 64)
						dropped += d
						if k <= n {
							delivered = append(delivered, k)
						}
					}
					if len(got) != len(delivered)+1 || !strings.HasPrefix(got[len(got)-1], strconv.Itoa(n+1)+"/") {
						t.Fatalf("%s: got %v, want the burst's events and then %d", name, got, n+1)
					}
					if uint64(len(delivered))+dropped != uint64(n) || statDropped != dropped {
						t.Fatalf("%s: delivered %v (Dropped sum %d, stats %d), of %d emitted", name, got, dropped, statDropped, n)
					}
					// The bound: the slot holds at most the limit (and, for
					// DropOldest, the newest event besides the one in flight).
					bound := limit
					if pol == signalbus.DropOldest {
						bound = max(limit, 2)
					}
					if len(delivered) > bound || before > bound {
						t.Fatalf("%s: %d delivered (%d before the slot went on), bound %d: %v", name, len(delivered), before, bound, got)
					}
					switch pol {
					case signalbus.DropOldest:
						if delivered[len(delivered)-1] != n || delivered[0] != 1 {
							t.Fatalf("%s: got %v, want the first and the last (%d) of the burst", name, got, n)
						}
					case signalbus.DropNewest:
						want := min(n, limit)
						for i, k := range delivered {
							if k != i+1 {
								t.Fatalf("%s: got %v, want the first %d", name, got, want)
							}
						}
						if len(delivered) != want {
							t.Fatalf("%s: got %v, want the first %d", name, got, want)
						}
					}
				}
			}
		}
	}
}

// TestRegressionTwoBusesOneSystem: two buses on one actor system (two
// VMs' event buses in one process) are independent: each can have a
// signal of the same name, whose connections get only that bus's events,
// locally and over remote. Only the server's name is part of the remote
// protocol: a second bus served under the default name is refused with
// ErrNameTaken (not a bare protoactor name collision), and is served
// under another name (ServeName), which its subscribers give (AtServer).
// NewSignal on the second bus used to fail (both spawned an actor named
// "signal-block-io-event").
// Spec: signalbus/doc.go "Each name of a signal ... is unique on its bus";
// signalbus/remote_server.go Serve and ServeName docs.
func TestRegressionTwoBusesOneSystem(t *testing.T) {
	w := sim.New(81)
	sys := w.MustNode("a")
	buses := []*signalbus.Bus{signalbus.New(sys), signalbus.New(sys)}
	sub := signalbus.New(w.MustNode("b"))
	ctx := context.Background()
	var sigs []*signalbus.Signal[blockIO]
	local := make([][]int, 2)
	remote := make([][]int, 2)
	for i, bus := range buses {
		sig, err := signalbus.NewSignal[blockIO](bus, "BlockIOEvent", signalbus.WithArgs("device"))
		if err != nil {
			t.Fatalf("bus %d: NewSignal: %v", i, err)
		}
		sigs = append(sigs, sig)
		if _, err := sig.Connect(ctx, signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[blockIO]) {
			local[i] = append(local[i], ev.Value.N)
		})); err != nil {
			t.Fatal(err)
		}
		if got, ok := bus.Lookup("BlockIOEvent"); !ok || got.PID().String() != sig.PID().String() {
			t.Fatalf("bus %d: Lookup gives another signal", i)
		}
	}
	if sigs[0].PID().String() == sigs[1].PID().String() {
		t.Fatalf("both signals are the actor %s", sigs[0].PID())
	}
	if _, err := signalbus.Serve(buses[0]); err != nil {
		t.Fatal(err)
	}
	_, err := signalbus.Serve(buses[1])
	if !errors.Is(err, signalbus.ErrNameTaken) || !strings.Contains(err.Error(), signalbus.ServerName) {
		t.Fatalf("second bus served under the default name: %v, want ErrNameTaken naming %q", err, signalbus.ServerName)
	}
	if _, err := signalbus.Serve(buses[1], signalbus.ServeName("signalbus-vm2")); err != nil {
		t.Fatal(err)
	}
	for i, opts := range [][]signalbus.RemoteOption{nil, {signalbus.AtServer("signalbus-vm2")}} {
		rs, err := signalbus.Remote[blockIO](sub, "a", "BlockIOEvent", opts...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rs.Connect(ctx, signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[blockIO]) {
			remote[i] = append(remote[i], ev.Value.N)
		})); err != nil {
			t.Fatalf("remote connect to bus %d: %v", i, err)
		}
	}
	if _, err := w.Run(w.For(time.Second)); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 6; n++ {
		if err := sigs[n%2].Emit(blockIO{Device: "d", N: n}, "d"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Run(w.For(time.Second)); err != nil {
		t.Fatal(err)
	}
	want := []string{"[2 4 6]", "[1 3 5]"}
	for i := range buses {
		if fmt.Sprint(local[i]) != want[i] || fmt.Sprint(remote[i]) != want[i] {
			t.Fatalf("bus %d: local slot got %v, remote slot %v, want %s", i, local[i], remote[i], want[i])
		}
	}
	sub.Close()
	buses[1].Close()
	buses[0].Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
