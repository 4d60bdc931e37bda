package qmp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
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

// qmpGreeting is the greeting of the scripted QMP peers (client_test.go,
// client_close_test.go).
const qmpGreeting = `{"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 0}, "package": ""}, "capabilities": []}}`

// qmpRequest is a command as a scripted peer reads it.
type qmpRequest struct {
	Execute   string         `json:"execute"`
	Arguments map[string]any `json:"arguments"`
	ID        string         `json:"id"`
}

// serveOneConn listens on a loopback TCP port, accepts one connection
// (then closes the listener) and runs serve with it on a goroutine,
// closing the connection when serve returns. done is closed once serve
// has returned, or the accept failed.
func serveOneConn(t *testing.T, serve func(net.Conn)) (addr string, done <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		conn, err := l.Accept()
		l.Close()
		if err != nil {
			return
		}
		defer conn.Close()
		serve(conn)
	}()
	return l.Addr().String(), finished
}

// eachRequest reads conn's requests, one a line, and hands each to
// handle, until the connection ends or a line is not a request.
func eachRequest(conn net.Conn, handle func(qmpRequest)) {
	r := bufio.NewScanner(conn)
	for r.Scan() {
		var req qmpRequest
		if json.Unmarshal(r.Bytes(), &req) != nil {
			return
		}
		handle(req)
	}
}

// registerEmitter registers command name on f's server: it emits n
// BLOCK_IO_EVENTs, then fails with fail, or returns nothing if fail is
// nil.
func registerEmitter(t *testing.T, f *fixture, name string, n int, fail error) {
	t.Helper()
	err := f.srv.Register(name, nil, "none", func(context.Context, *qmp.Conn, *qmp.Call) (any, error) {
		for i := 0; i < n; i++ {
			if err := f.io.Emit(blockIOEvent{Device: "vda", Action: "report", Operation: "write"}); err != nil {
				return nil, err
			}
		}
		return nil, fail
	})
	if err != nil {
		t.Fatal(err)
	}
}
