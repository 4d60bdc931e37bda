package qmp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/qmp"
	"github.com/actorio/actorio/signalbus/schema"
)

// explicitOnly negotiates p without its default connections, so that
// only tagged events reach it.
func explicitOnly(t *testing.T, p *peer) {
	t.Helper()
	p.lines(t, 1)
	p.send(t, `{"execute": "disconnect-default-signals"}`+"\n"+`{"execute": "qmp_capabilities"}`+"\n")
	if got := p.lines(t, 2); got[0] != "{\"return\": {}}\r\n" || got[1] != "{\"return\": {}}\r\n" {
		t.Fatalf("negotiation: %q", got)
	}
}

// connectDevice runs block-device-event-connect for device and returns
// the tag.
func connectDevice(t *testing.T, p *peer, device string) string {
	t.Helper()
	p.send(t, `{"execute": "block-device-event-connect", "arguments": {"device": "`+device+`"}}`+"\n")
	var tag struct {
		Return string `json:"return"`
	}
	if l := p.lines(t, 1)[0]; json.Unmarshal([]byte(l), &tag) != nil || tag.Return == "" {
		t.Fatalf("connect %s: %q", device, l)
	}
	return tag.Return
}

// TestRegressionDisconnectHonoursAccessorArgs: the proposal's
// <accessor>-disconnect takes the accessor's arguments too, and "under
// the cover uses the signal accessor to access the object" the handle is
// a connection of. A tag with arguments naming another object (device
// vdb for a connection to vda) is not a connection of that object: the
// command fails and the connection stays. Before, the arguments were
// accepted and ignored, and the vda connection was dropped.
func TestRegressionDisconnectHonoursAccessorArgs(t *testing.T) {
	_, sock := serveUnix(t)
	p := dialPeer(t, "a", sock)
	explicitOnly(t, p)
	tag := connectDevice(t, p, "vda")

	p.send(t, `{"execute": "block-device-event-disconnect", "arguments": {"tag": "`+tag+`", "device": "vdb"}, "id": 1}`+"\n")
	want := `{"id": 1, "error": {"class": "GenericError", "desc": "Unknown tag '` + tag + `' for block-device-event with device 'vdb'"}}` + "\r\n"
	if got := p.lines(t, 1)[0]; got != want {
		t.Fatalf("disconnect with another device:\n got %q\nwant %q", got, want)
	}
	// The connection is intact: its event still comes, tagged.
	p.send(t, `{"execute": "inject-block-device-event", "arguments": {"device": "vda", "action": "stop", "operation": "read", "reason": "io"}, "id": 2}`+"\n")
	got := norm(p.lines(t, 2))
	wantEv := `{"timestamp": {"seconds": S, "microseconds": U}, "event": "BLOCK_DEVICE_EVENT", "data": {"device": "vda", "action": "stop", "operation": "read", "reason": "io"}, "tag": "` + tag + `"}` + "\r\n" + `{"return": {}, "id": 2}` + "\r\n"
	if got != wantEv {
		t.Fatalf("after the refused disconnect:\n got %q\nwant %q", got, wantEv)
	}
	// With the arguments it was made with, it goes.
	p.send(t, `{"execute": "block-device-event-disconnect", "arguments": {"tag": "`+tag+`", "device": "vda"}, "id": 3}`+"\n")
	if got := p.lines(t, 1)[0]; got != `{"return": {}, "id": 3}`+"\r\n" {
		t.Fatalf("disconnect with its own device: %q", got)
	}
	p.send(t, `{"execute": "inject-block-device-event", "arguments": {"device": "vda", "action": "stop", "operation": "read", "reason": "io"}, "id": 4}`+"\n")
	if got := p.lines(t, 1)[0]; got != `{"return": {}, "id": 4}`+"\r\n" {
		t.Fatalf("after the disconnect: %q", got)
	}
	// The tag alone still identifies a connection (handles are unique on
	// the bus and scoped to the session).
	tag2 := connectDevice(t, p, "vdc")
	p.send(t, `{"execute": "block-device-event-disconnect", "arguments": {"tag": "`+tag2+`"}, "id": 5}`+"\n")
	if got := p.lines(t, 1)[0]; got != `{"return": {}, "id": 5}`+"\r\n" {
		t.Fatalf("disconnect by tag alone: %q", got)
	}
}

// TestRegressionClientRefusedDisconnectKeepsHandler: when the server
// refuses <accessor>-disconnect (here: the tag is not a connection of
// that accessor), the connection stays on the server, so its handler
// must keep running. Before, Client.Disconnect dropped the handler
// before sending the command: the refused call left a live connection
// whose events were silently thrown away.
func TestRegressionClientRefusedDisconnectKeepsHandler(t *testing.T) {
	_, sock := serveUnix(t)
	ctx := context.Background()
	c, err := qmp.Dial(ctx, "unix", sock, qmp.WithoutDefaults())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got []string // written by the client's event goroutine only
	h, err := c.Connect(ctx, "block-device-event", map[string]any{"device": "vda"}, func(ev qmp.Event) {
		got = append(got, ev.Event+" "+ev.Tag)
	})
	if err != nil {
		t.Fatal(err)
	}
	sentinel := make(chan struct{}, 1)
	if _, err := c.Connect(ctx, "block-io-event", nil, func(qmp.Event) { sentinel <- struct{}{} }); err != nil {
		t.Fatal(err)
	}
	var qe *qmp.Error
	if err := c.Disconnect(ctx, "block-io-event", h, nil); !errors.As(err, &qe) || qe.Class != qmp.GenericError {
		t.Fatalf("disconnect through another accessor: %v, want a GenericError", err)
	}
	if err := c.Execute(ctx, "inject-block-device-event", map[string]any{"device": "vda", "action": "stop", "operation": "read", "reason": "io"}, nil); err != nil {
		t.Fatal(err)
	}
	// The handlers run in wire order: once the sentinel's event (written
	// after the first one) is handled, the first one has been.
	if err := c.Execute(ctx, "inject-block-io-event", map[string]any{"device": "vda", "action": "a", "operation": "o"}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sentinel:
	case <-time.After(10 * time.Second):
		t.Fatal("the sentinel event never came")
	}
	if want := []string{"BLOCK_DEVICE_EVENT " + string(h)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("events handled after the refused disconnect: %q, want %q", got, want)
	}
	// A disconnect the server accepts ends the handler's calls.
	if err := c.Disconnect(ctx, "block-device-event", h, map[string]any{"device": "vda"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Execute(ctx, "inject-block-device-event", map[string]any{"device": "vda", "action": "stop", "operation": "read", "reason": "io"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Execute(ctx, "inject-block-io-event", map[string]any{"device": "vda", "action": "a", "operation": "o"}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sentinel:
	case <-time.After(10 * time.Second):
		t.Fatal("the second sentinel event never came")
	}
	if len(got) != 1 {
		t.Fatalf("events handled after the disconnect: %q", got)
	}
}

// TestRegressionClientNilArgs: Connect and Disconnect with nil args (an
// accessor without arguments) send no "arguments" member, as Execute
// with nil does. Before, the nil map went out as "arguments": null,
// which a QMP server refuses ("QMP input member 'arguments' must be an
// object"), so Connect to block-io-event with nil args always failed.
func TestRegressionClientNilArgs(t *testing.T) {
	_, sock := serveUnix(t)
	ctx := context.Background()
	c, err := qmp.Dial(ctx, "unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h, err := c.Connect(ctx, "block-io-event", nil, func(qmp.Event) {})
	if err != nil {
		t.Fatalf("Connect with nil args: %v", err)
	}
	if err := c.Disconnect(ctx, "block-io-event", h, nil); err != nil {
		t.Fatalf("Disconnect with nil args: %v", err)
	}
}

// TestRegressionSchemaEventDataHasNoTag: an event's arg-type in
// query-qmp-schema is the type of its "data" (as in QEMU). The tag of
// an explicit connection is a member of the event itself, beside
// "event", "data" and "timestamp", never inside data; before, every
// event's data type (SIGNAL_OVERFLOW's too) listed an optional "tag"
// member that no event's data ever had.
func TestRegressionSchemaEventDataHasNoTag(t *testing.T) {
	_, sock := serveUnix(t)
	ctx := context.Background()
	c, err := qmp.Dial(ctx, "unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var infos []struct {
		Name     string `json:"name"`
		MetaType string `json:"meta-type"`
		ArgType  string `json:"arg-type"`
		Members  []struct {
			Name string `json:"name"`
		} `json:"members"`
	}
	if err := c.Execute(ctx, "query-qmp-schema", nil, &infos); err != nil {
		t.Fatal(err)
	}
	byName := map[string]int{}
	for i, in := range infos {
		byName[in.Name] = i
	}
	events := 0
	for _, in := range infos {
		if in.MetaType != "event" {
			continue
		}
		events++
		i, ok := byName[in.ArgType]
		if !ok {
			t.Fatalf("event %s: arg-type %q not in the schema", in.Name, in.ArgType)
		}
		for _, m := range infos[i].Members {
			if m.Name == "tag" {
				t.Errorf("event %s: its data type %s has a member tag", in.Name, in.ArgType)
			}
		}
	}
	if events != 3 {
		t.Fatalf("%d events in the schema, want 3", events)
	}
}

type tagArgEvent struct {
	A string `json:"a"`
}

// TestRegressionAccessorArgNamedTagRefused: <accessor>-disconnect takes
// the tag and the accessor's arguments in one object, so an accessor
// argument named tag cannot be told from the handle. NewServer accepted
// such a signal and made a disconnect command declaring tag twice, the
// accessor's tag argument taken for the handle; it now says why it
// cannot serve it. (A schema with such an accessor no longer parses:
// the signal here is made by hand, as a bus without a schema may have.)
func TestRegressionAccessorArgNamedTagRefused(t *testing.T) {
	if _, err := schema.Parse("x", "{ 'TagArgEvent': {'a': 'str'} }\n[ 'tag-arg-event', {'tag': 'str'}, {}, 'TagArgEvent' ]\n"); err == nil {
		t.Fatal("the schema parses an accessor argument named tag")
	}
	sys := actors.New()
	defer func() {
		if err := sys.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	bus := signalbus.New(sys)
	defer bus.Close()
	if _, err := signalbus.NewSignal[tagArgEvent](bus, "TagArgEvent", signalbus.WithArgs("tag")); err != nil {
		t.Fatal(err)
	}
	_, err := qmp.NewServer(bus, nil)
	if err == nil || !strings.Contains(err.Error(), "tag-arg-event") || !strings.Contains(err.Error(), "'tag'") {
		t.Fatalf("NewServer with an accessor argument named tag: %v, want an error naming the accessor and the argument", err)
	}
}

// TestRegressionLateDisconnectPassesAccessorArgs: when a Connect given up
// by its caller still made the connection, the client disconnects it
// with the accessor arguments as well as the tag, as the proposal's
// libqmp disconnect takes them (a server may require them, as it does
// for connect). Before, only the tag went, and a server requiring the
// arguments refused, leaving the connection nobody knew of.
func TestRegressionLateDisconnectPassesAccessorArgs(t *testing.T) {
	connectSeen, release := make(chan struct{}), make(chan struct{})
	disconnected := make(chan map[string]any, 1)
	addr, done := serveOneConn(t, func(conn net.Conn) {
		fmt.Fprintln(conn, qmpGreeting)
		eachRequest(conn, func(req qmpRequest) {
			ret := `{}`
			switch req.Execute {
			case "x-connect":
				close(connectSeen)
				<-release
				ret = `"t1"`
			case "x-disconnect":
				disconnected <- req.Arguments
			}
			fmt.Fprintf(conn, `{"return": %s, "id": %q}`+"\n", ret, req.ID)
		})
	})
	c, err := qmp.Dial(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		c.Close()
		<-done
	}()
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error, 1)
	go func() {
		_, err := c.Connect(ctx, "x", map[string]any{"device": "vda"}, func(qmp.Event) {})
		res <- err
	}()
	<-connectSeen
	cancel()
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Fatalf("Connect after cancel: %v, want context.Canceled", err)
	}
	close(release)
	select {
	case args := <-disconnected:
		if want := map[string]any{"tag": "t1", "device": "vda"}; !reflect.DeepEqual(args, want) {
			t.Fatalf("late disconnect's arguments %v, want %v", args, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the client never disconnected the connection its abandoned Connect made")
	}
}
