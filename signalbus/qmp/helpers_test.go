package qmp_test

import (
	"context"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/qmp"
	"github.com/actorio/actorio/signalbus/schema"
)

// The seed's two events, hand-written here (cmd/signalgen generates the
// same shapes into internal/seedapi).
type blockIOEvent struct {
	Device    string `json:"device"`
	Action    string `json:"action"`
	Operation string `json:"operation"`
}

type blockDeviceEvent struct {
	Action    string `json:"action"`
	Operation string `json:"operation"`
	Reason    string `json:"reason"`
}

const seedSchema = `
{ 'BlockIOEvent': {'device': 'str', 'action': 'str', 'operation': 'str'} }
[ 'block-io-event', {}, {}, 'BlockIOEvent' ]
{ 'BlockDeviceAction': [ 'report', 'stop', 'none' ] }
{ 'BlockDeviceOperation': [ 'read', 'write' ] }
{ 'BlockDeviceActionReason': [ 'nospc', 'io', 'other' ] }
{ 'BlockDeviceEvent': { 'action': 'BlockDeviceAction', 'operation': 'BlockDeviceOperation', 'reason': 'BlockDeviceActionReason' } }
[ 'block-device-event', { 'device': 'str' }, {}, 'BlockDeviceEvent' ]
`

type fixture struct {
	sys    *actors.System
	bus    *signalbus.Bus
	srv    *qmp.Server
	io     *signalbus.Signal[blockIOEvent]
	device *signalbus.Signal[blockDeviceEvent]
}

func newFixture(t testing.TB, sys *actors.System, opts ...qmp.Option) *fixture {
	t.Helper()
	sch, err := schema.Parse("seed", seedSchema)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{sys: sys, bus: signalbus.New(sys)}
	if f.io, err = signalbus.NewSignal[blockIOEvent](f.bus, "BlockIOEvent"); err != nil {
		t.Fatal(err)
	}
	if f.device, err = signalbus.NewSignal[blockDeviceEvent](f.bus, "BlockDeviceEvent", signalbus.WithArgs("device")); err != nil {
		t.Fatal(err)
	}
	if f.srv, err = qmp.NewServer(f.bus, sch, opts...); err != nil {
		t.Fatal(err)
	}
	ioArgs := sch.Type("BlockIOEvent").Members
	err = f.srv.Register("inject-block-io-event", ioArgs, "none", func(_ context.Context, _ *qmp.Conn, call *qmp.Call) (any, error) {
		var ev blockIOEvent
		if err := call.Decode(&ev); err != nil {
			return nil, err
		}
		return nil, f.io.Emit(ev)
	})
	if err != nil {
		t.Fatal(err)
	}
	devArgs := append([]*schema.Member{{Name: "device", Type: "str"}}, sch.Type("BlockDeviceEvent").Members...)
	err = f.srv.Register("inject-block-device-event", devArgs, "none", func(_ context.Context, _ *qmp.Conn, call *qmp.Call) (any, error) {
		var a struct {
			Device string `json:"device"`
			blockDeviceEvent
		}
		if err := call.Decode(&a); err != nil {
			return nil, err
		}
		return nil, f.device.Emit(a.blockDeviceEvent, a.Device)
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}
