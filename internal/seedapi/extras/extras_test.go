package extras_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/actorio/actorio/internal/seedapi/extras"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
)

// TestGeneratedThrottle: the schema's throttle declaration (period, key
// id, critical-error exempt) works on the generated signal, in virtual
// time; int and bool accessor arguments filter.
func TestGeneratedThrottle(t *testing.T) {
	w := sim.New(1)
	bus := signalbus.New(w.MustNode("n"))
	s, err := extras.NewSignals(bus)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	_, err = s.MovedEventConnect(context.Background(), "a", 2, signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[extras.MovedEvent]) {
		got = append(got, fmt.Sprintf("%v@%v", ev.Value.To.X, w.Now()))
	}))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Run()
	mv := func(x int64, sev extras.Severity, lane int64) extras.MovedEvent {
		return extras.MovedEvent{To: extras.Point{X: x}, Severity: sev}
	}
	_ = s.MovedEventSignal("a", 2, mv(1, extras.SeverityInfo, 2))
	_ = s.MovedEventSignal("a", 2, mv(2, extras.SeverityInfo, 2))
	_ = s.MovedEventSignal("a", 3, mv(3, extras.SeverityInfo, 3)) // other lane: filtered out (same key: held)
	_ = s.MovedEventSignal("a", 2, mv(4, extras.SeverityCriticalError, 2))
	_, _ = w.Run(w.For(5 * time.Second))
	if fmt.Sprint(got) != "[1@0s 4@0s]" {
		t.Fatalf("got %v", got)
	}
	bus.Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
