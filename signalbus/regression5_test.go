package signalbus_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
)

// Regression tests of the fifth review (the local path against the QAPI
// events research): each states the behaviour expected and where it is
// specified.

// TestRegressionDisconnectAfterCloseIsErrClosed: a Disconnect made once
// the bus is closed fails with ErrClosed, whichever way it is made
// (Signal, Bus or Session), as Emit and Connect do then, and as a
// Disconnect that was waiting when the bus closed does. Found in review:
// Bus.Close emptied the table of open connections, so a Disconnect of a
// handle that was open until then said ErrUnknownHandle ("never issued,
// already disconnected, or another session's"), which points a caller
// cleaning up at a bug in its own bookkeeping.
// Spec: signal.go, ErrClosed "the bus (or the signal, or the session)
// was closed", Signal.Disconnect "If the bus closes while it waits, it
// returns an error wrapping ErrClosed"; bus.go, Close "signals stop
// accepting emissions and connections".
func TestRegressionDisconnectAfterCloseIsErrClosed(t *testing.T) {
	inSim(t, 51, func(w *sim.World, bus *signalbus.Bus) {
		ctx := context.Background()
		sig, _ := signalbus.NewSignal[blockIO](bus, "BlockIOEvent")
		rec := newRecorder()
		h1, _ := sig.Connect(ctx, rec.slot(nil))
		h2, _ := sig.Connect(ctx, rec.slot(nil))
		s, _ := bus.NewSession(signalbus.FuncSink(func(context.Context, signalbus.AnyEvent) {}))
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		h3, err := s.Connect(sig)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Run(); err != nil {
			t.Fatal(err)
		}
		bus.Close()
		if err := sig.Disconnect(ctx, h1); !errors.Is(err, signalbus.ErrClosed) {
			t.Errorf("Signal.Disconnect after Bus.Close: %v, want ErrClosed", err)
		}
		if err := bus.Disconnect(ctx, h2); !errors.Is(err, signalbus.ErrClosed) {
			t.Errorf("Bus.Disconnect after Bus.Close: %v, want ErrClosed", err)
		}
		if err := s.Disconnect(ctx, h3); !errors.Is(err, signalbus.ErrClosed) {
			t.Errorf("Session.Disconnect after Bus.Close: %v, want ErrClosed", err)
		}
	})
}

// TestRegressionStartAfterCloseIsErrClosed: starting a session once its
// bus is closed fails with ErrClosed; it does not report a session made
// live that no event can reach. DisconnectDefaults then fails alike.
// Found in review: both checked only that the session itself was not
// closed; Start's default connections then failed silently.
// Spec: session.go, Start "makes the session live: ... it gets the
// default connection to every signal"; bus.go, Close "signals stop
// accepting ... connections"; signal.go, ErrClosed.
func TestRegressionStartAfterCloseIsErrClosed(t *testing.T) {
	inSim(t, 52, func(w *sim.World, bus *signalbus.Bus) {
		_, _ = signalbus.NewSignal[blockIO](bus, "BlockIOEvent")
		s, _ := bus.NewSession(signalbus.FuncSink(func(context.Context, signalbus.AnyEvent) {}))
		bus.Close()
		if err := s.Start(); !errors.Is(err, signalbus.ErrClosed) {
			t.Errorf("Start after Bus.Close: %v, want ErrClosed", err)
		}
		if s.Started() {
			t.Error("a session of a closed bus reports itself started")
		}
		if err := s.DisconnectDefaults(context.Background()); !errors.Is(err, signalbus.ErrClosed) {
			t.Errorf("DisconnectDefaults after Bus.Close: %v, want ErrClosed", err)
		}
	})
}

// TestRegressionThrottleExemptionIsTheSignals: a signal's throttle is
// what WithThrottle was given when the signal was made; changing the
// Throttle's Exempt map or its value lists afterwards (reusing them for
// another signal, say) changes nothing of it. Found in review:
// WithThrottle copied the Throttle but not its map, and the signal kept
// the caller's value lists, so a later write to them changed which
// emissions bypass the throttle (and raced with Emit).
// Spec: signal.go, WithThrottle "declares the signal's throttle";
// research §2.3 (the throttle table is fixed per event).
func TestRegressionThrottleExemptionIsTheSignals(t *testing.T) {
	inSim(t, 53, func(w *sim.World, bus *signalbus.Bus) {
		exempt := map[string][]string{"action": {"stop"}}
		sig, err := signalbus.NewSignal[blockIO](bus, "BlockIOEvent", signalbus.WithArgs("device"),
			signalbus.WithThrottle(signalbus.Throttle{Period: time.Second, Key: "device", Exempt: exempt}))
		if err != nil {
			t.Fatal(err)
		}
		exempt["action"][0] = "report"
		exempt["device"] = []string{"a"}
		var got []string
		_, _ = sig.Connect(context.Background(), signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[blockIO]) {
			got = append(got, fmt.Sprintf("%s/%d@%v", ev.Value.Action, ev.Value.N, w.Now()))
		}))
		_, _ = w.Run()
		for i, action := range []string{"report", "report", "stop", "report"} {
			_ = sig.Emit(blockIO{Device: "a", Action: action, N: i + 1}, "a")
		}
		_, _ = w.Run(w.For(3 * time.Second))
		if want := "[report/1@0s stop/3@0s report/4@1s]"; fmt.Sprint(got) != want {
			t.Errorf("got %v, want %s", got, want)
		}
		if ex := sig.Info().Throttle.Exempt; fmt.Sprint(ex) != "map[action:[stop]]" {
			t.Errorf("Info().Throttle.Exempt %v, want the one given", ex)
		}
	})
}

// memberPanics is an event whose SignalMember method panics on a value it was
// not written for.
type memberPanics struct{ Device string }

func (p *memberPanics) SignalMember(name string) (string, bool) {
	if name != "device" {
		return "", false
	}
	if p.Device == "boom" {
		panic("no such device")
	}
	return p.Device, true
}

// TestRegressionSignalMemberPanicIsAValue: a user type's SignalMember
// that panics no longer makes Emit panic in its caller (a String method's
// panic was already caught, as fmt does): the member reads as the panic's
// text, so the event is throttled under that key and delivered.
func TestRegressionSignalMemberPanicIsAValue(t *testing.T) {
	inSim(t, 54, func(w *sim.World, bus *signalbus.Bus) {
		sig, err := signalbus.NewSignal[memberPanics](bus, "PanickyEvent",
			signalbus.WithThrottle(signalbus.Throttle{Period: time.Second, Key: "device"}))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		_, _ = sig.Connect(context.Background(), signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[memberPanics]) {
			got = append(got, ev.Value.Device)
		}))
		_, _ = w.Run()
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("Emit panicked: %v", r)
				}
			}()
			if err := sig.Emit(memberPanics{Device: "boom"}); err != nil {
				t.Fatalf("Emit: %v", err)
			}
			_ = sig.Emit(memberPanics{Device: "a"})
		}()
		_, _ = w.Run(w.For(3 * time.Second))
		if fmt.Sprint(got) != "[boom a]" {
			t.Errorf("delivered %v, want [boom a]", got)
		}
	})
}
