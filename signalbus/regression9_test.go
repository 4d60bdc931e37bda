package signalbus_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
)

// TestRegressionAccessorArgumentNamedTwiceRefused: an accessor argument
// declared twice (WithArgs("device", "device"), or through WithArgInfo)
// is refused by NewSignal with ErrBadArgument, naming the argument, and
// the bus keeps no trace of the signal. Two arguments of one name cannot
// be told apart by an Arg filter, nor both be in the event's data.
//
// Found in review: NewSignal accepted it; only qmp.NewServer refused it,
// so an in-process bus ran a signal its QMP endpoint would not serve.
func TestRegressionAccessorArgumentNamedTwiceRefused(t *testing.T) {
	inSim(t, 1, func(_ *sim.World, bus *signalbus.Bus) {
		for _, opts := range [][]signalbus.SignalOption{
			{signalbus.WithArgs("device", "device")},
			{signalbus.WithArgs("device"), signalbus.WithArgInfo(signalbus.ArgInfo{Name: "device", Type: "int", Optional: true})},
		} {
			_, err := signalbus.NewSignal[blockIO](bus, "BlockIOEvent", opts...)
			if !errors.Is(err, signalbus.ErrBadArgument) || !strings.Contains(err.Error(), "BlockIOEvent") || !strings.Contains(err.Error(), `"device"`) {
				t.Fatalf("NewSignal with the accessor argument device twice: %v, want ErrBadArgument naming the signal and the argument", err)
			}
			if _, ok := bus.Lookup("BlockIOEvent"); ok {
				t.Fatal("the refused signal is on the bus")
			}
		}
		if _, err := signalbus.NewSignal[blockIO](bus, "BlockIOEvent", signalbus.WithArgs("device", "node")); err != nil {
			t.Fatalf("two arguments of two names: %v", err)
		}
	})
}
