package signalbus_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

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

// TestRegressionRemoteConnectChecksQueue: RemoteSignal.Connect refuses an
// impossible queue (a limit below 1, an unknown policy) itself, at once,
// with ErrBadArgument, as a local Connect does; the signal's node is not
// asked (here it never answers, so asking would wait for the connect
// timeout and fail with another error).
//
// Found in review: the client checked the limit only; an unknown policy
// went to the server, which refused it, so the caller got a remote
// error late (and from inside an actor, through OnLost) instead of
// ErrBadArgument at once.
func TestRegressionRemoteConnectChecksQueue(t *testing.T) {
	w := sim.New(1)
	sysC := w.MustNode("c")
	if _, err := sysC.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &silent{} }), signalbus.ServerName); err != nil {
		t.Fatal(err)
	}
	busB := signalbus.New(w.MustNode("b"))
	rs, err := signalbus.Remote[blockIO](busB, "c", "BlockIOEvent")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		q    signalbus.ConnectOption
		want string
	}{
		{signalbus.Queue(8, signalbus.Policy(7)), "policy 7"},
		{signalbus.Queue(0, signalbus.DropNewest), "limit 0"},
	} {
		start := w.Now()
		_, err := rs.Connect(ctx, newRecorder().slot(nil), c.q)
		if !errors.Is(err, signalbus.ErrBadArgument) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "BlockIOEvent") {
			t.Errorf("remote Connect with a bad queue: %v, want ErrBadArgument naming the signal and %q", err, c.want)
		}
		if w.Now() != start {
			t.Errorf("remote Connect with a bad queue waited %v (asked the server)", w.Now()-start)
		}
	}
	// From inside an actor too: the error comes back from Connect, not
	// later through OnLost.
	var inActor error
	lost := 0
	if _, err := busB.System().Spawn(actor.PropsFromProducer(func() actor.Actor {
		return actor.ReceiveFunc(func(c actor.Context) {
			if _, ok := c.Message().(*actor.Started); ok {
				_, inActor = rs.Connect(signalbus.InActor(context.Background()), newRecorder().slot(nil),
					signalbus.Queue(8, signalbus.Policy(9)), signalbus.OnLost(func(signalbus.Handle, error) { lost++ }))
			}
		})
	})); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Run(w.For(time.Second)); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(inActor, signalbus.ErrBadArgument) || lost != 0 {
		t.Errorf("remote Connect in an actor with a bad policy: %v (OnLost called %d times), want ErrBadArgument at once", inActor, lost)
	}
	busB.Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
