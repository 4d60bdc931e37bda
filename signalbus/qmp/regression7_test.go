package qmp_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/qmp"
	"github.com/actorio/actorio/signalbus/schema"
	"github.com/actorio/actorio/sockactor"
)

// labelEvent has a member named tag: the schema allows it, since an
// event's "tag" (its connection) is beside "data", not in it.
type labelEvent struct {
	Tag   string `json:"tag"`
	Level int64  `json:"level"`
}

// TestRegressionSchemaNamesServedEndToEnd: the names the schema accepts
// next to the ones it refuses for QMP work over a real socket: an
// accessor argument (device) and an event member named tag. The
// connection's events carry the connection's tag beside the data, the
// member tag and the accessor argument inside it, each once; the typed
// decode gets the member; disconnect with the accessor argument works
// and ends the deliveries. The schema refuses what cannot (an argument
// named tag, or like a member), so every schema that parses is served.
func TestRegressionSchemaNamesServedEndToEnd(t *testing.T) {
	const src = "{ 'LabelEvent': { 'tag': 'str', 'level': 'int' } }\n[ 'label-event', { 'device': 'str' }, {}, 'LabelEvent' ]\n"
	sch, err := schema.Parse("x", src)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		"{ 'LabelEvent': { 'tag': 'str', 'level': 'int' } }\n[ 'label-event', { 'tag': 'str' }, {}, 'LabelEvent' ]\n",
		"{ 'LabelEvent': { 'tag': 'str', 'level': 'int' } }\n[ 'label-event', { 'level': 'int' }, {}, 'LabelEvent' ]\n",
	} {
		if _, err := schema.Parse("x", bad); err == nil {
			t.Fatalf("the schema parses what QMP cannot serve:\n%s", bad)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sys := actors.New()
	defer func() {
		if err := sys.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	bus := signalbus.New(sys)
	defer bus.Close()
	sig, err := signalbus.NewSignal[labelEvent](bus, "LabelEvent", signalbus.WithAccessor("label-event"), signalbus.WithArgs("device"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := qmp.NewServer(bus, sch)
	if err != nil {
		t.Fatalf("NewServer refuses a schema that parses: %v", err)
	}
	sock := filepath.Join(t.TempDir(), "qmp.sock")
	l, err := srv.Listen(sockactor.RealTransport(), "unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := qmp.Dial(ctx, "unix", sock, qmp.WithoutDefaults())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	events := make(chan qmp.Event, 4)
	h, err := c.Connect(ctx, "label-event", map[string]any{"device": "vda"}, func(ev qmp.Event) { events <- ev })
	if err != nil {
		t.Fatal(err)
	}
	if err := sig.Emit(labelEvent{Tag: "other", Level: 1}, "vdb"); err != nil {
		t.Fatal(err)
	}
	if err := sig.Emit(labelEvent{Tag: "mine", Level: 2}, "vda"); err != nil {
		t.Fatal(err)
	}
	var ev qmp.Event
	select {
	case ev = <-events:
	case <-ctx.Done():
		t.Fatal("no event")
	}
	if ev.Event != "LABEL_EVENT" || ev.Tag != string(h) {
		t.Fatalf("event %s tagged %q, want LABEL_EVENT tagged %q", ev.Event, ev.Tag, h)
	}
	if want := `{"device": "vda", "tag": "mine", "level": 2}`; string(ev.Data) != want {
		t.Fatalf("data %s, want %s", ev.Data, want)
	}
	var got labelEvent
	if err := json.Unmarshal(ev.Data, &got); err != nil || got != (labelEvent{Tag: "mine", Level: 2}) {
		t.Fatalf("typed decode %+v, %v", got, err)
	}
	if err := c.Disconnect(ctx, "label-event", h, map[string]any{"device": "vda"}); err != nil {
		t.Fatalf("disconnect with the accessor argument: %v", err)
	}
	// Barrier: a command answered after the disconnect; an event emitted
	// after it reaches no handler (the client unbound h).
	if err := sig.Emit(labelEvent{Tag: "late", Level: 3}, "vda"); err != nil {
		t.Fatal(err)
	}
	if err := c.Execute(ctx, "query-version", nil, nil); err != nil {
		t.Fatal(err)
	}
	if len(events) != 0 {
		t.Fatalf("%d events after disconnect (or of another device)", len(events))
	}
}
