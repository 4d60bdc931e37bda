package signalbus_test

import (
	"context"
	"fmt"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
)

type diskEvent struct {
	Action string `json:"action"`
}

// A signal with an accessor argument: one connection follows one device,
// another every device; the explicit connection's events carry its tag.
func ExampleSignal() {
	w := sim.New(1) // the same code runs on actors.New()
	bus := signalbus.New(w.MustNode("n1"))
	disk, _ := signalbus.NewSignal[diskEvent](bus, "DiskEvent", signalbus.WithArgs("device"))

	ctx := context.Background()
	h, _ := disk.Connect(ctx, signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[diskEvent]) {
		fmt.Println("vda only:", ev.Value.Action, "tagged:", ev.Tag != "")
	}), signalbus.Arg("device", "vda"))
	_, _ = disk.Connect(ctx, signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[diskEvent]) {
		dev, _ := ev.Arg("device")
		fmt.Println("all:", dev, ev.Value.Action)
	}))
	_, _ = w.Run()

	_ = disk.Emit(diskEvent{Action: "stop"}, "vdb")
	_, _ = w.Run()
	_ = disk.Emit(diskEvent{Action: "report"}, "vda")
	_, _ = w.Run()
	_ = disk.Disconnect(ctx, h) // a barrier: nothing more reaches that slot
	_ = disk.Emit(diskEvent{Action: "none"}, "vda")
	_, _ = w.Run()
	bus.Close()
	_ = w.Close()
	// Unordered output:
	// all: vdb stop
	// vda only: report tagged: true
	// all: vda report
	// all: vda none
}
