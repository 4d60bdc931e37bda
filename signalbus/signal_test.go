package signalbus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
)

type blockIO struct {
	Device string `json:"device"`
	Action string `json:"action"`
	N      int    `json:"n"`
}

// recorder collects what func slots see, safe for the real system.
type recorder struct {
	mu  sync.Mutex
	got map[signalbus.Handle][]string
}

func newRecorder() *recorder { return &recorder{got: map[signalbus.Handle][]string{}} }

func (r *recorder) slot(h *signalbus.Handle) signalbus.Slot[blockIO] {
	return signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[blockIO]) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got[ev.Tag] = append(r.got[ev.Tag], fmt.Sprintf("%s/%d", ev.Value.Device, ev.Value.N))
	})
}

func (r *recorder) of(h signalbus.Handle) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got[h]...)
}

// inSim runs f against a bus on a simulated node and closes the World.
func inSim(t *testing.T, seed uint64, f func(w *sim.World, bus *signalbus.Bus)) {
	t.Helper()
	w := sim.New(seed)
	sys := w.MustNode("n1")
	bus := signalbus.New(sys)
	f(w, bus)
	bus.Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestConnectFilterDisconnect(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		inSim(t, seed, func(w *sim.World, bus *signalbus.Bus) {
			sig, err := signalbus.NewSignal[blockIO](bus, "BlockIOEvent", signalbus.WithArgs("device"))
			if err != nil {
				t.Fatal(err)
			}
			rec := newRecorder()
			ctx := context.Background()
			early := sig.Emit(blockIO{Device: "a", N: 0}, "a")
			if early != nil {
				t.Fatal(early)
			}
			hAll, _ := sig.Connect(ctx, rec.slot(nil))
			hA, _ := sig.Connect(ctx, rec.slot(nil), signalbus.Arg("device", "a"))
			if hAll == hA || hAll == "" {
				t.Fatalf("handles %q %q", hAll, hA)
			}
			for i := 1; i <= 4; i++ {
				dev := []string{"a", "b"}[i%2]
				_ = sig.Emit(blockIO{Device: dev, N: i}, dev)
			}
			if _, err := w.Run(); err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(rec.of(hAll)); got != "[b/1 a/2 b/3 a/4]" {
				t.Fatalf("all: %s", got)
			}
			if got := fmt.Sprint(rec.of(hA)); got != "[a/2 a/4]" {
				t.Fatalf("a: %s", got)
			}
			if err := sig.Disconnect(ctx, hA); err != nil {
				t.Fatal(err)
			}
			if err := sig.Disconnect(ctx, hA); !errors.Is(err, signalbus.ErrUnknownHandle) {
				t.Fatalf("second disconnect: %v", err)
			}
			_ = sig.Emit(blockIO{Device: "a", N: 5}, "a")
			_, _ = w.Run()
			if got := fmt.Sprint(rec.of(hA)); got != "[a/2 a/4]" {
				t.Fatalf("a after disconnect: %s", got)
			}
			if got := fmt.Sprint(rec.of(hAll)); got != "[b/1 a/2 b/3 a/4 a/5]" {
				t.Fatalf("all: %s", got)
			}
			if _, err := sig.Connect(ctx, rec.slot(nil), signalbus.Arg("nope", "x")); !errors.Is(err, signalbus.ErrBadArgument) {
				t.Fatalf("bad arg: %v", err)
			}
			if err := sig.Emit(blockIO{}); err == nil {
				t.Fatal("emit with a missing argument accepted")
			}
		})
	}
}

func TestThrottleVirtualTime(t *testing.T) {
	inSim(t, 3, func(w *sim.World, bus *signalbus.Bus) {
		sig, err := signalbus.NewSignal[blockIO](bus, "BlockIOEvent", signalbus.WithArgs("device"),
			signalbus.WithThrottle(signalbus.Throttle{Period: time.Second, Key: "device", Exempt: map[string][]string{"action": {"stop"}}}))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		_, _ = sig.Connect(context.Background(), signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[blockIO]) {
			got = append(got, fmt.Sprintf("%s/%d@%v", ev.Value.Device, ev.Value.N, w.Now()))
		}))
		_, _ = w.Run()
		emit := func(dev, action string, n int) { _ = sig.Emit(blockIO{Device: dev, Action: action, N: n}, dev) }
		emit("a", "report", 1) // at once
		emit("a", "report", 2) // superseded
		emit("b", "report", 3) // other key: at once
		emit("a", "report", 4) // latest: at 1s
		emit("a", "stop", 5)   // exempt: at once
		_, _ = w.Run(w.For(3 * time.Second))
		want := "[a/1@0s b/3@0s a/5@0s a/4@1s]"
		if fmt.Sprint(got) != want {
			t.Fatalf("got %v want %s", got, want)
		}
	})
}

type slotActor struct {
	got  *[]string
	sig  *signalbus.Signal[blockIO]
	self *signalbus.Handle
}

func (s *slotActor) Receive(c actor.Context) {
	if ev, ok := c.Message().(*signalbus.Event[blockIO]); ok {
		*s.got = append(*s.got, fmt.Sprintf("%s:%d", ev.Tag, ev.Value.N))
		if ev.Value.N == 2 {
			// Disconnect itself from inside its own slot: no wait.
			if err := s.sig.Disconnect(signalbus.InActor(context.Background()), *s.self); err != nil {
				panic(err)
			}
		}
	}
}

func TestActorSlotDisconnectsItself(t *testing.T) {
	inSim(t, 7, func(w *sim.World, bus *signalbus.Bus) {
		sys := bus.System()
		sig, _ := signalbus.NewSignal[blockIO](bus, "BlockIOEvent")
		var got []string
		var h signalbus.Handle
		pid, err := sys.Spawn(signalbus.SlotProps(func() actor.Actor { return &slotActor{got: &got, sig: sig, self: &h} }))
		if err != nil {
			t.Fatal(err)
		}
		h, _ = sig.Connect(context.Background(), signalbus.ActorSlot[blockIO](pid))
		for i := 1; i <= 4; i++ {
			_ = sig.Emit(blockIO{N: i})
		}
		_, _ = w.Run()
		if want := fmt.Sprintf("[%s:1 %s:2]", h, h); fmt.Sprint(got) != want {
			t.Fatalf("got %v want %s", got, want)
		}
	})
}

func TestRealSystem(t *testing.T) {
	sys := actors.New()
	defer func() { _ = sys.Close(context.Background()) }()
	bus := signalbus.New(sys)
	defer bus.Close()
	sig, _ := signalbus.NewSignal[blockIO](bus, "BlockIOEvent", signalbus.WithArgs("device"))
	rec := newRecorder()
	ctx := context.Background()
	h, _ := sig.Connect(ctx, rec.slot(nil))
	for i := 0; i < 1000; i++ {
		_ = sig.Emit(blockIO{Device: "x", N: i}, "x")
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(rec.of(h)) < 1000 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	got := rec.of(h)
	if len(got) != 1000 {
		t.Fatalf("got %d events", len(got))
	}
	for i, s := range got {
		if s != fmt.Sprintf("x/%d", i) {
			t.Fatalf("event %d is %s", i, s)
		}
	}
	if err := sig.Disconnect(ctx, h); err != nil {
		t.Fatal(err)
	}
}
