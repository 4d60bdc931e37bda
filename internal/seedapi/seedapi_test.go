package seedapi_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/seedapi"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/qmp"
	"github.com/actorio/actorio/sockactor"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestEnumJSON(t *testing.T) {
	b, err := json.Marshal(seedapi.BlockDeviceEvent{Action: seedapi.BlockDeviceActionStop, Operation: seedapi.BlockDeviceOperationWrite, Reason: seedapi.BlockDeviceActionReasonNospc})
	if err != nil || string(b) != `{"action":"stop","operation":"write","reason":"nospc"}` {
		t.Fatalf("%s %v", b, err)
	}
	var ev seedapi.BlockDeviceEvent
	if err := json.Unmarshal(b, &ev); err != nil || ev.Action != seedapi.BlockDeviceActionStop || ev.Action.String() != "stop" {
		t.Fatalf("%+v %v", ev, err)
	}
	if err := json.Unmarshal([]byte(`{"action":"explode"}`), &ev); err == nil {
		t.Fatal("unknown enum value accepted")
	}
	if s := seedapi.BlockDeviceAction(9).String(); s != "BlockDeviceAction(9)" {
		t.Fatal(s)
	}
	if v, ok := (&ev).SignalMember("reason"); !ok || v != "nospc" {
		t.Fatalf("member %q %v", v, ok)
	}
}

// TestTypedClientAndInProcessSlots: a remote typed client (libqmp) and an
// in-process func slot connect to the same generated signals.
func TestTypedClientAndInProcessSlots(t *testing.T) {
	sys := actors.New()
	bus := signalbus.New(sys)
	sigs, err := seedapi.NewSignals(bus)
	if err != nil {
		t.Fatal(err)
	}
	sch, err := seedapi.Schema()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := qmp.NewServer(bus, sch)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "s")
	l, err := srv.Listen(sockactor.RealTransport(), "unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		l.Close()
		bus.Close()
		if err := sys.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	var mu sync.Mutex
	var local []seedapi.BlockDeviceEvent
	localH, err := sigs.BlockDeviceEventConnect(ctx, "vda", signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[seedapi.BlockDeviceEvent]) {
		mu.Lock()
		local = append(local, ev.Value)
		mu.Unlock()
	}))
	if err != nil {
		t.Fatal(err)
	}

	qc, err := qmp.Dial(ctx, "unix", path, qmp.WithoutDefaults())
	if err != nil {
		t.Fatal(err)
	}
	defer qc.Close()
	c := seedapi.NewClient(qc)
	got := make(chan seedapi.BlockDeviceEvent, 8)
	h, err := c.BlockDeviceEventConnect(ctx, "vda", func(ev seedapi.BlockDeviceEvent) { got <- ev })
	if err != nil || h == "" {
		t.Fatalf("connect: %q %v", h, err)
	}
	_ = sigs.BlockDeviceEventSignal("vdb", seedapi.BlockDeviceEvent{Reason: seedapi.BlockDeviceActionReasonIo})
	_ = sigs.BlockDeviceEventSignal("vda", seedapi.BlockDeviceEvent{Action: seedapi.BlockDeviceActionStop, Reason: seedapi.BlockDeviceActionReasonNospc})
	select {
	case ev := <-got:
		if ev.Action != seedapi.BlockDeviceActionStop || ev.Reason != seedapi.BlockDeviceActionReasonNospc {
			t.Fatalf("remote got %+v", ev)
		}
	case <-ctx.Done():
		t.Fatal("no event at the remote client")
	}
	if err := c.BlockDeviceEventDisconnect(ctx, "vda", h); err != nil {
		t.Fatal(err)
	}
	if err := c.BlockDeviceEventDisconnect(ctx, "vda", h); err == nil {
		t.Fatal("second disconnect accepted")
	}
	if err := sigs.BlockDeviceEventDisconnect(ctx, localH); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(local) != 1 || local[0].Reason != seedapi.BlockDeviceActionReasonNospc {
		t.Fatalf("local slot got %+v", local)
	}
}
