// Command qmpserver serves the QAPI events proposal's example schema
// (BlockIOEvent; BlockDeviceEvent with its enums and the device accessor
// argument) over QMP, so the whole proposal can be tried with socat:
//
//	go run ./examples/qmpserver -socket /tmp/qmp.sock
//	socat READLINE UNIX-CONNECT:/tmp/qmp.sock
//
//	{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "actorio"}, "capabilities": []}}
//	{"execute": "disconnect-default-signals"}          (optional, before negotiation: no untagged events)
//	{"return": {}}
//	{"execute": "qmp_capabilities"}
//	{"return": {}}
//	{"execute": "block-device-event-connect", "arguments": {"device": "virtio0"}}
//	{"return": "c3"}
//	{"execute": "inject-block-device-event", "arguments": {"device": "virtio0", "action": "stop", "operation": "write", "reason": "nospc"}}
//	{"timestamp": {...}, "event": "BLOCK_DEVICE_EVENT", "data": {"device": "virtio0", "action": "stop", "operation": "write", "reason": "nospc"}, "tag": "c3"}
//	{"return": {}}
//	{"execute": "block-device-event-disconnect", "arguments": {"tag": "c3"}}
//	{"return": {}}
//
// Without disconnect-default-signals every event also arrives untagged
// through the session's default connection, as in QEMU. Other commands:
// inject-block-io-event {device, action, operation}, query-events,
// query-qmp-schema, query-commands, query-version. The socket is created
// with mode 0600; a socket left at its path by a server that is gone is
// replaced, anything else there is refused. -tcp ADDR also listens on TCP
// (loopback unless ADDR names a host).
//
// It serves until interrupted (SIGINT, SIGTERM), then exits 0; it exits 1
// when it cannot serve (the socket path is taken, say), 2 for a usage
// error (no -socket or -tcp, an unknown flag, an extra argument), and -h
// prints the usage and exits 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/seedapi"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/qmp"
	"github.com/actorio/actorio/signalbus/schema"
	"github.com/actorio/actorio/sockactor"
)

func main() { os.Exit(runMain(os.Args[1:], os.Stderr)) }

// runMain runs qmpserver with args until it is interrupted and returns
// its exit status (see the package comment); messages go to stderr.
func runMain(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("qmpserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	socket := fs.String("socket", "", "unix socket path to serve QMP on")
	tcp := fs.String("tcp", "", "serve on this TCP address (e.g. :4444 = 127.0.0.1:4444); with -socket, on both")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: qmpserver -socket PATH [-tcp ADDR]\n       qmpserver -tcp ADDR\n\n"+
			"Serves the QAPI events proposal's example schema over QMP until interrupted.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nExit status: 0 interrupted (or -h), 1 could not serve, 2 a usage error.\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0 // asked for: the usage is printed, nothing is wrong
		}
		return 2 // the flag package printed the error and the usage
	}
	usageError := func(msg string) int {
		fmt.Fprintf(stderr, "qmpserver: %s\n", msg)
		fs.Usage()
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usageError("unexpected arguments: " + strings.Join(fs.Args(), " "))
	case *socket == "" && *tcp == "":
		return usageError("-socket PATH or -tcp ADDR is required: where to serve QMP")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := log.New(stderr, "", log.LstdFlags)
	if err := run(ctx, *socket, *tcp, func(addr string) { logger.Printf("qmpserver: serving QMP on %s", addr) }); err != nil {
		logger.Printf("qmpserver: %v", err)
		return 1
	}
	return 0
}

// run serves until ctx ends; ready is told each address served.
func run(ctx context.Context, socket, tcp string, ready func(addr string)) error {
	sys := actors.New()
	defer func() { _ = sys.Close(context.Background()) }()
	bus := signalbus.New(sys)
	defer bus.Close()
	sigs, err := seedapi.NewSignals(bus)
	if err != nil {
		return err
	}
	sch, err := seedapi.Schema()
	if err != nil {
		return err
	}
	srv, err := qmp.NewServer(bus, sch)
	if err != nil {
		return err
	}
	if err := registerInject(srv, sch, sigs); err != nil {
		return err
	}
	if socket != "" {
		l, err := srv.Listen(sockactor.RealTransport(), "unix", socket)
		if err != nil {
			return err
		}
		defer l.Close()
		defer os.Remove(socket)
		ready(socket)
	}
	if tcp != "" {
		l, err := srv.Listen(sockactor.RealTransport(), "tcp", tcp)
		if err != nil {
			return err
		}
		defer l.Close()
		ready(l.Addr().String())
	}
	<-ctx.Done()
	return nil
}

// registerInject adds the commands that emit the seed's events; their
// arguments are the event's members plus the accessor arguments.
func registerInject(srv *qmp.Server, sch *schema.Schema, sigs *seedapi.Signals) error {
	err := srv.Register("inject-block-io-event", sch.Type("BlockIOEvent").Members, "none",
		func(_ context.Context, _ *qmp.Conn, call *qmp.Call) (any, error) {
			var ev seedapi.BlockIOEvent
			if err := call.Decode(&ev); err != nil {
				return nil, err
			}
			return nil, sigs.BlockIOEventSignal(ev)
		})
	if err != nil {
		return err
	}
	args := append([]*schema.Member{{Name: "device", Type: "str"}}, sch.Type("BlockDeviceEvent").Members...)
	return srv.Register("inject-block-device-event", args, "none",
		func(_ context.Context, _ *qmp.Conn, call *qmp.Call) (any, error) {
			var a struct {
				Device string `json:"device"`
				seedapi.BlockDeviceEvent
			}
			if err := call.Decode(&a); err != nil {
				return nil, err
			}
			return nil, sigs.BlockDeviceEventSignal(a.Device, a.BlockDeviceEvent)
		})
}
