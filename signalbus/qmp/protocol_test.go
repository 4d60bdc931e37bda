package qmp_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/actorio/actorio/signalbus/qmp"
)

var stamp = regexp.MustCompile(`"seconds": \d+, "microseconds": \d+`)

// norm drops timestamps so lines compare exactly.
func norm(lines []string) string {
	return stamp.ReplaceAllString(strings.Join(lines, ""), `"seconds": S, "microseconds": U`)
}

func negotiate(t *testing.T, p *peer) {
	t.Helper()
	p.lines(t, 1)
	p.send(t, `{"execute": "qmp_capabilities"}`+"\n")
	if got := p.lines(t, 1)[0]; got != "{\"return\": {}}\r\n" {
		t.Fatalf("negotiation: %q", got)
	}
}

// TestBadInputSessionSurvives: every bad input of the issue gets a QMP
// error and the session goes on.
func TestBadInputSessionSurvives(t *testing.T) {
	_, sock := serveUnix(t, qmp.WithLimits(qmp.Limits{MaxLine: 200}))
	p := dialPeer(t, "a", sock)
	other := dialPeer(t, "b", sock)
	negotiate(t, p)
	negotiate(t, other)
	other.send(t, `{"execute": "block-device-event-connect", "arguments": {"device": "vdz"}, "id": 1}`+"\n")
	var otherTag struct {
		Return string `json:"return"`
	}
	if err := json.Unmarshal([]byte(other.lines(t, 1)[0]), &otherTag); err != nil || otherTag.Return == "" {
		t.Fatal(err)
	}
	cases := []struct{ in, want string }{
		{"{\"execute\": \n", ""}, // incomplete: finished by the next line
		{"}\n", `{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}`},
		{`{"execute": "nope", "id": 2}`, `{"id": 2, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`},
		{`{"execute": "block-device-event-connect", "id": 3}`, `{"id": 3, "error": {"class": "GenericError", "desc": "Parameter 'device' is missing"}}`},
		{`{"execute": "block-device-event-connect", "arguments": {"device": 7}, "id": 4}`, `{"id": 4, "error": {"class": "GenericError", "desc": "Invalid parameter type for 'device', expected: string"}}`},
		{`{"execute": "inject-block-device-event", "arguments": {"device": "d", "action": "explode", "operation": "read", "reason": "io"}, "id": 5}`, `{"id": 5, "error": {"class": "GenericError", "desc": "Parameter 'action' does not accept value 'explode'"}}`},
		{`{"execute": "block-device-event-disconnect", "arguments": {"tag": "c999999"}, "id": 6}`, `{"id": 6, "error": {"class": "GenericError", "desc": "Unknown tag 'c999999' for block-device-event"}}`},
		{`{"execute": "block-device-event-disconnect", "arguments": {"tag": "` + otherTag.Return + `"}, "id": 7}`, `{"id": 7, "error": {"class": "GenericError", "desc": "Unknown tag '` + otherTag.Return + `' for block-device-event"}}`},
		{`{"execute": "query-version", "arguments": {"pad": "` + strings.Repeat("x", 300) + `"}, "id": 8}`, `{"error": {"class": "GenericError", "desc": "JSON input exceeds the limit of 200 bytes (cut at 201)"}}`},
		{`{"execute": "query-version", "id": 9}`, `{"return": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "actorio"}, "id": 9}`},
	}
	for _, c := range cases {
		p.send(t, c.in)
		if c.want == "" {
			continue
		}
		if got := p.lines(t, 1)[0]; got != c.want+"\r\n" {
			t.Errorf("input %q:\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	// The other session's connection is intact.
	p.send(t, `{"execute": "inject-block-device-event", "arguments": {"device": "vdz", "action": "stop", "operation": "read", "reason": "io"}, "id": 10}`)
	got := norm(p.lines(t, 2))
	want := `{"timestamp": {"seconds": S, "microseconds": U}, "event": "BLOCK_DEVICE_EVENT", "data": {"device": "vdz", "action": "stop", "operation": "read", "reason": "io"}}` + "\r\n" + `{"return": {}, "id": 10}` + "\r\n"
	if got != want {
		t.Fatalf("after bad input:\n got %q\nwant %q", got, want)
	}
	o := norm(other.lines(t, 2))
	wantOther := `{"timestamp": {"seconds": S, "microseconds": U}, "event": "BLOCK_DEVICE_EVENT", "data": {"device": "vdz", "action": "stop", "operation": "read", "reason": "io"}}` + "\r\n" +
		`{"timestamp": {"seconds": S, "microseconds": U}, "event": "BLOCK_DEVICE_EVENT", "data": {"device": "vdz", "action": "stop", "operation": "read", "reason": "io"}, "tag": "` + otherTag.Return + `"}` + "\r\n"
	if o != wantOther {
		t.Fatalf("other session:\n got %q\nwant %q", o, wantOther)
	}
}

// TestExplicitConnectionsOnly: disconnect-default-signals in negotiation
// mode, then only explicitly connected events arrive, tagged; introspection
// lists the events; closing the session removes its connections.
func TestExplicitConnectionsOnly(t *testing.T) {
	f, sock := serveUnix(t)
	p := dialPeer(t, "a", sock)
	p.lines(t, 1)
	p.send(t, `{"execute": "disconnect-default-signals", "id": "d"}`+"\n")
	p.send(t, `{"execute": "qmp_capabilities", "id": "n"}`+"\n")
	p.send(t, `{"execute": "block-device-event-connect", "arguments": {"device": "vda"}, "id": "c"}`+"\n")
	out := p.lines(t, 3)
	var tag struct {
		Return string `json:"return"`
	}
	if out[0] != "{\"return\": {}, \"id\": \"d\"}\r\n" || out[1] != "{\"return\": {}, \"id\": \"n\"}\r\n" || json.Unmarshal([]byte(out[2]), &tag) != nil {
		t.Fatalf("%q", out)
	}
	p.send(t, `{"execute": "inject-block-io-event", "arguments": {"device": "vda", "action": "a", "operation": "o"}, "id": 1}`+"\n")
	p.send(t, `{"execute": "inject-block-device-event", "arguments": {"device": "vdb", "action": "stop", "operation": "read", "reason": "io"}, "id": 2}`+"\n")
	p.send(t, `{"execute": "inject-block-device-event", "arguments": {"device": "vda", "action": "none", "operation": "write", "reason": "other"}, "id": 3}`+"\n")
	got := norm(p.lines(t, 4))
	want := `{"return": {}, "id": 1}` + "\r\n" + `{"return": {}, "id": 2}` + "\r\n" +
		`{"timestamp": {"seconds": S, "microseconds": U}, "event": "BLOCK_DEVICE_EVENT", "data": {"device": "vda", "action": "none", "operation": "write", "reason": "other"}, "tag": "` + tag.Return + `"}` + "\r\n" +
		`{"return": {}, "id": 3}` + "\r\n"
	if got != want {
		t.Fatalf("\n got %q\nwant %q", got, want)
	}
	p.send(t, `{"execute": "query-events", "id": 4}`+"\n")
	if got := p.lines(t, 1)[0]; got != `{"return": [{"name": "BLOCK_IO_EVENT"}, {"name": "BLOCK_DEVICE_EVENT"}], "id": 4}`+"\r\n" {
		t.Fatalf("query-events %q", got)
	}
	p.send(t, `{"execute": "query-qmp-schema", "id": 5}`+"\n")
	sch := p.lines(t, 1)[0]
	if len(sch) > 64<<10 || !strings.Contains(sch, `{"arg-type": "BLOCK_DEVICE_EVENT-data", "meta-type": "event", "name": "BLOCK_DEVICE_EVENT"}`) ||
		!strings.Contains(sch, `"name": "BlockDeviceAction", "values": ["report", "stop", "none"]`) {
		t.Fatalf("query-qmp-schema (%d bytes): %.600s", len(sch), sch)
	}
	p.c.Close()
	// The session's connection is gone once the server saw the close.
	for i := 0; i < 200; i++ {
		if f.srv.Conns() == 0 {
			break
		}
		waitABit()
	}
	if n := f.srv.Conns(); n != 0 {
		t.Fatalf("%d sessions still open", n)
	}
}

// TestStalledClientOverflow: a client that stops reading never blocks the
// emitter; its connection drops the oldest events and, once it reads
// again, a SIGNAL_OVERFLOW marker says how many it lost.
func TestStalledClientOverflow(t *testing.T) {
	f, sock := serveUnix(t, qmp.WithLimits(qmp.Limits{EventQueue: 8}))
	p := dialPeer(t, "slow", sock)
	negotiate(t, p)
	const n = 30000
	for i := 0; i < n; i++ {
		if err := f.io.Emit(blockIOEvent{Device: "vda", Action: "report", Operation: strings.Repeat("w", 100)}); err != nil {
			t.Fatal(err)
		}
	}
	// Everything was emitted without the client reading a byte. Now read
	// until the marker.
	for i := 0; i < n; i++ {
		l := p.lines(t, 1)[0]
		if strings.Contains(l, `"event": "SIGNAL_OVERFLOW"`) {
			var m struct {
				Data struct {
					Event   string `json:"event"`
					Dropped int    `json:"dropped"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(l), &m); err != nil || m.Data.Event != "BLOCK_IO_EVENT" || m.Data.Dropped <= 0 {
				t.Fatalf("marker %q: %v", l, err)
			}
			return
		}
	}
	t.Fatal("no overflow marker")
}

// TestConnectionLimit: a session over MaxConns is told so and closed; the
// others are untouched, and a slot frees up when a session ends.
func TestConnectionLimit(t *testing.T) {
	f, sock := serveUnix(t, qmp.WithLimits(qmp.Limits{MaxConns: 1}))
	a := dialPeer(t, "a", sock)
	negotiate(t, a)
	b := dialPeer(t, "b", sock)
	if got := b.lines(t, 1)[0]; got != `{"error": {"class": "GenericError", "desc": "too many QMP connections (limit 1)"}}`+"\r\n" {
		t.Fatalf("over the limit: %q", got)
	}
	if _, err := b.r.ReadString('\n'); err == nil {
		t.Fatal("the rejected session stayed open")
	}
	a.send(t, `{"execute": "query-version", "id": 1}`+"\n")
	if got := a.lines(t, 1)[0]; !strings.HasPrefix(got, `{"return": {"qemu": `) {
		t.Fatalf("first session: %q", got)
	}
	a.c.Close()
	for i := 0; i < 500 && f.srv.Conns() > 0; i++ {
		waitABit()
	}
	c := dialPeer(t, "c", sock)
	negotiate(t, c)
}
