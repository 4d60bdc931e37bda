package signalbus_test

import (
	"context"
	"fmt"
	"time"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
)

// A slot on node "b" connected to a signal on node "a", filtered on an
// accessor argument; its events carry b's handle as tag. With real nodes
// (actors/node) the address is the node's host:port.
func ExampleRemote() {
	w := sim.New(1)
	busA := signalbus.New(w.MustNode("a"))
	disk, _ := signalbus.NewSignal[diskEvent](busA, "DiskEvent", signalbus.WithArgs("device"))
	_, _ = signalbus.Serve(busA) // a's signals, to other nodes

	busB := signalbus.New(w.MustNode("b"))
	remote, _ := signalbus.Remote[diskEvent](busB, "a", "DiskEvent")
	ctx := context.Background()
	h, err := remote.Connect(ctx, signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[diskEvent]) {
		dev, _ := ev.Arg("device")
		fmt.Println("b got:", dev, ev.Value.Action, "tagged:", ev.Tag != "")
	}), signalbus.Arg("device", "vda"))
	fmt.Println("connected:", err == nil)

	_ = disk.Emit(diskEvent{Action: "stop"}, "vdb")
	_ = disk.Emit(diskEvent{Action: "report"}, "vda")
	_, _ = w.Run(w.For(time.Second))
	_ = remote.Disconnect(ctx, h) // a barrier, on b
	_ = disk.Emit(diskEvent{Action: "none"}, "vda")
	_, _ = w.Run(w.For(time.Second))

	busB.Close()
	busA.Close()
	_ = w.Close()
	// Output:
	// connected: true
	// b got: vda report tagged: true
}
