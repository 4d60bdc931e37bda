package qmp_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/qmp"
	"github.com/actorio/actorio/signalbus/schema"
	"github.com/actorio/actorio/sockactor"
)

// deviceEvent is the Go type of the example's signal; the schema below
// describes the same event for QMP (cmd/signalgen generates such types
// from a schema).
type deviceEvent struct {
	Action string `json:"action"`
	Reason string `json:"reason"`
}

// exampleSchema declares the event and its accessor, which takes the
// device the event is about.
const exampleSchema = `
{ 'DeviceEvent': { 'action': 'str', 'reason': 'str' } }
[ 'device-event', { 'device': 'str' }, {}, 'DeviceEvent' ]
`

// Example serves a signal bus over QMP on a unix socket and drives it with
// the package's client over that socket: Dial reads the greeting and
// negotiates capabilities, Execute runs a command and decodes its return
// (a QMP error comes back as *qmp.Error), and Connect binds a handler to
// the events of one device, which arrive tagged with the connection.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// The server side: a bus with one signal, served over QMP.
	sys := actors.New()
	defer func() { _ = sys.Close(ctx) }()
	bus := signalbus.New(sys)
	defer bus.Close()
	devices, err := signalbus.NewSignal[deviceEvent](bus, "DeviceEvent", signalbus.WithArgs("device"))
	if err != nil {
		log.Fatal(err)
	}
	sch, err := schema.Parse("example", exampleSchema)
	if err != nil {
		log.Fatal(err)
	}
	srv, err := qmp.NewServer(bus, sch) // adds device-event-connect and -disconnect
	if err != nil {
		log.Fatal(err)
	}
	// An application command that emits the event; its arguments are
	// checked against the schema before it runs.
	args := append([]*schema.Member{{Name: "device", Type: "str"}}, sch.Type("DeviceEvent").Members...)
	err = srv.Register("inject-device-event", args, "none", func(_ context.Context, _ *qmp.Conn, call *qmp.Call) (any, error) {
		var a struct {
			Device string `json:"device"`
			deviceEvent
		}
		if err := call.Decode(&a); err != nil {
			return nil, err
		}
		return nil, devices.Emit(a.deviceEvent, a.Device)
	})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "qmp-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "qmp.sock")
	l, err := srv.Listen(sockactor.RealTransport(), "unix", sock)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	// The client side. WithoutDefaults: this session gets only the
	// events it connects to.
	c, err := qmp.Dial(ctx, "unix", sock, qmp.WithoutDefaults())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println("greeting:", strings.TrimSpace(string(c.Greeting)))

	var version struct {
		QEMU    struct{ Major, Minor, Micro int } `json:"qemu"`
		Package string                            `json:"package"`
	}
	if err := c.Execute(ctx, "query-version", nil, &version); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("query-version: %d.%d.%d %s\n", version.QEMU.Major, version.QEMU.Minor, version.QEMU.Micro, version.Package)

	err = c.Execute(ctx, "no-such-command", nil, nil)
	var qerr *qmp.Error
	if errors.As(err, &qerr) {
		fmt.Println("error:", qerr.Class, "-", qerr.Desc)
	}

	events := make(chan qmp.Event, 2)
	tag, err := c.Connect(ctx, "device-event", map[string]any{"device": "virtio0"}, func(ev qmp.Event) { events <- ev })
	if err != nil {
		log.Fatal(err)
	}
	// Only virtio0's event matches the connection.
	for _, dev := range []string{"virtio1", "virtio0"} {
		err := c.Execute(ctx, "inject-device-event", map[string]any{"device": dev, "action": "stop", "reason": "nospc"}, nil)
		if err != nil {
			log.Fatal(err)
		}
	}
	select {
	case ev := <-events:
		fmt.Println("event:", ev.Event, string(ev.Data), "tagged:", ev.Tag == string(tag))
	case <-ctx.Done():
		log.Fatal("no event")
	}
	if err := c.Disconnect(ctx, "device-event", tag, nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println("events of other devices:", len(events))

	// Output:
	// greeting: {"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "actorio"}, "capabilities": []}}
	// query-version: 7.2.0 actorio
	// error: CommandNotFound - The command no-such-command has not been found
	// event: DEVICE_EVENT {"device": "virtio0", "action": "stop", "reason": "nospc"} tagged: true
	// events of other devices: 0
}
