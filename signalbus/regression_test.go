package signalbus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
)

// Regression tests for bugs found in review: each states the behaviour
// expected and where it is specified.

// optDevice is a hand-written event type (no SignalMember) whose throttle
// key is an optional member, a pointer as usual in Go for an optional
// JSON member.
type optDevice struct {
	Device *string `json:"device,omitempty"`
	N      int     `json:"n"`
}

// TestThrottleKeyPointerMember: a throttle keyed on a member read by
// reflection keys on the member's value, not on its address: two
// emissions for the same device within the period are throttled (the
// second held until the period ends).
// Spec: signalbus/members.go Memberer doc "others are read by reflection
// through their json tags"; signalbus/doc.go "per key (an accessor
// argument or a member of T) the first emission goes out at once, later
// ones within the period replace each other"; research §2.3 (key =
// data member value).
func TestThrottleKeyPointerMember(t *testing.T) {
	inSim(t, 5, func(w *sim.World, bus *signalbus.Bus) {
		sig, err := signalbus.NewSignal[optDevice](bus, "OptEvent",
			signalbus.WithThrottle(signalbus.Throttle{Period: time.Second, Key: "device"}))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		_, _ = sig.Connect(context.Background(), signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[optDevice]) {
			got = append(got, fmt.Sprintf("%d@%v", ev.Value.N, w.Now()))
		}))
		_, _ = w.Run()
		dev := func() *string { s := "vda"; return &s }
		_ = sig.Emit(optDevice{Device: dev(), N: 1})
		_ = sig.Emit(optDevice{Device: dev(), N: 2})
		_, _ = w.Run(w.For(3 * time.Second))
		if want := "[1@0s 2@1s]"; fmt.Sprint(got) != want {
			t.Fatalf("got %v want %s", got, want)
		}
	})
}
