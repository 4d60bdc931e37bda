package qmp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/qmp"
	"github.com/actorio/actorio/signalbus/schema"
)

// rawNumbers holds numbers whose Go type is lost: written by a
// MarshalJSON method, a json.RawMessage, a json.Number.
type rawNumbers struct {
	Raw    json.RawMessage `json:"raw"`
	Num    json.Number     `json:"num"`
	Marsh  negZeroJSON     `json:"marsh"`
	Double json.RawMessage `json:"double"`
}

type negZeroJSON struct{}

func (negZeroJSON) MarshalJSON() ([]byte, error) { return []byte(`[-0, -0.0, -0e0]`), nil }

// TestRegressionRawNegativeZeroAsQEMU: a number without a Go type is
// written as QEMU writes what it parses from that text. QEMU's parser
// reads the integer token -0 as the int 0 and writes "0"; the float
// tokens -0.0 and -0e0 as the double -0.0, written "%.17g": "-0". The
// recorded qemu-storage-daemon replies in qemu_bytes_test.go show both
// (an id of [-0] comes back [0], an id of -0.0 comes back -0). Before,
// the integer token -0 went out as "-0".
func TestRegressionRawNegativeZeroAsQEMU(t *testing.T) {
	ev := &signalbus.Event[rawNumbers]{Emission: &signalbus.Emission[rawNumbers]{
		Header: signalbus.Header{
			Signal: &signalbus.SignalInfo{Name: "RawEvent", Wire: "RAW_EVENT"},
			Time:   time.Unix(1700000000, 0),
		},
		Value: rawNumbers{Raw: json.RawMessage(`-0`), Num: "-0", Double: json.RawMessage(`-0.0`)},
	}}
	got, err := qmp.EventLine(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"timestamp": {"seconds": 1700000000, "microseconds": 0}, "event": "RAW_EVENT", "data": {"raw": 0, "num": 0, "marsh": [0, -0, -0], "double": -0}}` + "\r\n"
	if string(got) != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

// TestRegressionClientLineLimit: a peer that sends a line without end
// no longer makes the client buffer it without bound. Past the client's
// limit the connection is closed and the call waiting for a reply fails
// with an error naming the limit; so does a greeting over the limit.
func TestRegressionClientLineLimit(t *testing.T) {
	const limit = 1024
	endless := func(conn net.Conn) {
		chunk := []byte(strings.Repeat("x", 512))
		for {
			if _, err := conn.Write(chunk); err != nil {
				return // the client closed the connection
			}
		}
	}
	ctx := context.Background()

	addr, done := serveOneConn(t, func(conn net.Conn) {
		fmt.Fprintln(conn, qmpGreeting)
		r := bufio.NewReader(conn)
		for i := 0; i < 2; i++ { // qmp_capabilities, then the command
			line, err := r.ReadBytes('\n')
			if err != nil {
				return
			}
			var req qmpRequest
			_ = json.Unmarshal(line, &req)
			if req.Execute == "qmp_capabilities" {
				fmt.Fprintf(conn, `{"return": {}, "id": %q}`+"\n", req.ID)
			}
		}
		fmt.Fprint(conn, `{"return": "`)
		endless(conn)
	})
	c, err := qmp.Dial(ctx, "tcp", addr, qmp.WithMaxLine(limit))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Execute(ctx, "query-version", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "1024 bytes") {
		t.Fatalf("Execute with an endless reply: %v, want an error naming the limit of 1024 bytes", err)
	}
	<-done // the peer's write failed: the client closed the connection
	if err := c.Execute(ctx, "query-version", nil, nil); err == nil || !strings.Contains(err.Error(), "1024 bytes") {
		t.Errorf("Execute after: %v, want the same error", err)
	}
	c.Close()

	addr, done = serveOneConn(t, endless)
	_, err = qmp.Dial(ctx, "tcp", addr, qmp.WithMaxLine(limit))
	if err == nil || !strings.Contains(err.Error(), "greeting") || !strings.Contains(err.Error(), "1024 bytes") {
		t.Fatalf("Dial with an endless greeting: %v, want an error naming the greeting and the limit", err)
	}
	<-done
}

// TestRegressionClientDefaultLineLimit: without WithMaxLine the client
// takes replies of several MiB (QEMU's query-qmp-schema is over 100 KB
// on one line; the reference Python client allows 10 MiB).
func TestRegressionClientDefaultLineLimit(t *testing.T) {
	big := strings.Repeat("y", 4<<20)
	addr, done := serveOneConn(t, func(conn net.Conn) {
		fmt.Fprintln(conn, qmpGreeting)
		eachRequest(conn, func(req qmpRequest) {
			ret := `{}`
			if req.Execute == "big" {
				ret = `"` + big + `"`
			}
			fmt.Fprintf(conn, `{"return": %s, "id": %q}`+"\n", ret, req.ID)
		})
	})
	ctx := context.Background()
	c, err := qmp.Dial(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := c.Execute(ctx, "big", nil, &got); err != nil || got != big {
		t.Errorf("a 4 MiB reply: %v (%d bytes)", err, len(got))
	}
	c.Close()
	<-done
}

type clashEvent struct {
	Device string `json:"device"`
	Action string `json:"action"`
}

// TestRegressionEventMemberClashesWithAccessorArg: an event's data holds
// its accessor's arguments and its own members, so a member named like
// an argument would be one name twice in the data's type (and was
// listed twice in query-qmp-schema). QAPI refuses a schema where two
// members of one object clash; NewServer now refuses such a signal,
// naming the signal and the member. A signal whose accessor names one
// argument twice is refused by signalbus.NewSignal already, so both
// layers agree. (The schema refuses an accessor with
// such an argument; the signal here gets it by hand, beside a schema
// that declares the event alone.)
func TestRegressionEventMemberClashesWithAccessorArg(t *testing.T) {
	sys := actors.New()
	defer func() {
		if err := sys.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	if _, err := schema.Parse("x", "{ 'ClashEvent': {'device': 'str', 'action': 'str'} }\n[ 'clash-event', {'device': 'str'}, {}, 'ClashEvent' ]\n"); err == nil {
		t.Fatal("the schema parses an accessor argument named like a member of its event")
	}
	sch, err := schema.Parse("x", "{ 'ClashEvent': {'device': 'str', 'action': 'str'} }\n")
	if err != nil {
		t.Fatal(err)
	}
	bus := signalbus.New(sys)
	defer bus.Close()
	if _, err := signalbus.NewSignal[clashEvent](bus, "ClashEvent", signalbus.WithArgs("device")); err != nil {
		t.Fatal(err)
	}
	_, err = qmp.NewServer(bus, sch)
	if err == nil || !strings.Contains(err.Error(), "ClashEvent") || !strings.Contains(err.Error(), "'device'") {
		t.Fatalf("NewServer with an event member named like an accessor argument: %v, want an error naming the signal and the member", err)
	}

	// An accessor argument named twice is refused before: by the bus,
	// which never has such a signal, so the server serves the others.
	bus2 := signalbus.New(sys)
	defer bus2.Close()
	if _, err := signalbus.NewSignal[clashEvent](bus2, "NodeEvent", signalbus.WithArgs("node", "node")); !errors.Is(err, signalbus.ErrBadArgument) || !strings.Contains(err.Error(), `"node"`) {
		t.Fatalf("NewSignal with an accessor argument given twice: %v, want ErrBadArgument naming the argument", err)
	}
	if _, err := signalbus.NewSignal[clashEvent](bus2, "OtherEvent", signalbus.WithArgs("node")); err != nil {
		t.Fatal(err)
	}
	if _, err := qmp.NewServer(bus2, nil); err != nil {
		t.Fatalf("NewServer on a bus without the refused signal: %v", err)
	}
}
