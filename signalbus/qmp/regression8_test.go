package qmp_test

import (
	"context"
	"strings"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/qmp"
)

// deviceField has a member device, as the accessor argument below.
type deviceField struct {
	Device string `json:"device"`
	Action string `json:"action"`
}

// deviceInner is promoted into devicePromoted: its member device is the
// outer type's.
type deviceInner struct {
	Device string `json:"device"`
}

type devicePromoted struct {
	deviceInner
	Action string `json:"action"`
}

// deviceUpper has a member Device (no tag): another JSON name than the
// argument device.
type deviceUpper struct {
	Device string
}

// deviceOpaque writes its own JSON: its members are not known before.
type deviceOpaque struct{ Device string }

func (deviceOpaque) MarshalJSON() ([]byte, error) { return []byte(`{"action": "x"}`), nil }

// TestRegressionGoEventMemberClashesWithAccessorArg: a signal made by
// hand (WithArgs, no schema) whose Go event type has a member (by
// encoding/json's rules: a json tag, a promoted field) named like an
// accessor argument is refused by NewServer, naming the signal, the
// argument and the field: the event's data holds the arguments and the
// members in one object, where the member's value would replace the
// argument's. A member of another name (Device beside device) and a type
// with its own MarshalJSON (whose members cannot be seen) are served.
//
// Found in review: with a nil schema NewServer served such a signal, and
// the member's value silently replaced the argument's in the data.
func TestRegressionGoEventMemberClashesWithAccessorArg(t *testing.T) {
	sys := actors.New()
	defer func() {
		if err := sys.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	refused := func(name string, mk func(*signalbus.Bus) error, field string) {
		t.Helper()
		bus := signalbus.New(sys)
		defer bus.Close()
		if err := mk(bus); err != nil {
			t.Fatal(err)
		}
		_, err := qmp.NewServer(bus, nil)
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "'device'") || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: NewServer: %v, want an error naming the signal, the argument 'device' and the field %s", name, err, field)
		}
	}
	refused("TaggedEvent", func(bus *signalbus.Bus) error {
		_, err := signalbus.NewSignal[deviceField](bus, "TaggedEvent", signalbus.WithArgs("device"))
		return err
	}, "Device")
	refused("PromotedEvent", func(bus *signalbus.Bus) error {
		_, err := signalbus.NewSignal[devicePromoted](bus, "PromotedEvent", signalbus.WithArgs("node", "device"))
		return err
	}, "deviceInner.Device")
	refused("PointerEvent", func(bus *signalbus.Bus) error {
		_, err := signalbus.NewSignal[*deviceField](bus, "PointerEvent", signalbus.WithArgs("device"))
		return err
	}, "Device")

	bus := signalbus.New(sys)
	defer bus.Close()
	if _, err := signalbus.NewSignal[deviceUpper](bus, "UpperEvent", signalbus.WithArgs("device")); err != nil {
		t.Fatal(err)
	}
	if _, err := signalbus.NewSignal[deviceOpaque](bus, "OpaqueEvent", signalbus.WithArgs("device")); err != nil {
		t.Fatal(err)
	}
	if _, err := signalbus.NewSignal[deviceField](bus, "OtherEvent", signalbus.WithArgs("node")); err != nil {
		t.Fatal(err)
	}
	if _, err := qmp.NewServer(bus, nil); err != nil {
		t.Errorf("NewServer with no member named like an argument: %v", err)
	}
}
