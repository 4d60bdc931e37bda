package qmp_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/qmp"
	"github.com/asynkron/protoactor-go/actor"
)

// TestDifferentialResetAndCapabilities sends the same bytes to a real
// qemu-storage-daemon and to our server, in command mode: parser resets
// with a control character (inside a string, after a backslash, outside
// one, 0xFF) each followed by a command that must be answered, and
// qmp_capabilities again with bad arguments (checked before "already
// complete"). The bytes must be the same (\u escapes in upper-case hex
// included).
func TestDifferentialResetAndCapabilities(t *testing.T) {
	qsdSock := startQSD(t)
	_, ourSock := serveUnix(t)
	qemu, ours := dialPeer(t, "qemu-storage-daemon", qsdSock), dialPeer(t, "actorio", ourSock)
	for _, p := range []*peer{qemu, ours} {
		negotiate(t, p)
	}
	same := []struct {
		in    string
		lines int
	}{
		{"{\"execute\": \"qu\x1b" + `{"execute": "nope", "id": 1}` + "\n", 2},
		{"{\"execute\": \"a\\\x1b" + `{"execute": "nope", "id": 2}` + "\n", 2},
		{"{\"execute\": \"q\xc3\xa9\x1b" + `{"execute": "nope", "id": 3}` + "\n", 2},
		{"{'execute': 'x\x1b" + `{"execute": "nope", "id": 4}` + "\n", 2},
		{"{\"a\": 12\x01" + `{"execute": "nope", "id": 5}` + "\n", 2},
		{"{\"execute\": \"a\xff" + `{"execute": "nope", "id": 6}` + "\n", 2},
		{"\x01" + `{"execute": "nope", "id": 7}` + "\n", 2},
		{`{"execute": "qmp_capabilities", "arguments": {"x": 1}, "id": 8}` + "\n", 1},
		{`{"execute": "qmp_capabilities", "arguments": {"enable": ["nope"]}, "id": 9}` + "\n", 1},
		{`{"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}, "id": 10}` + "\n", 1},
		{`{"execute": "qmp_capabilities", "arguments": {"enable": "oob"}, "id": 11}` + "\n", 1},
	}
	for _, s := range same {
		qemu.send(t, s.in)
		ours.send(t, s.in)
		a, b := qemu.lines(t, s.lines), ours.lines(t, s.lines)
		if strings.Join(a, "") != strings.Join(b, "") {
			t.Errorf("input %q:\nqemu:    %q\nactorio: %q", s.in, a, b)
		}
	}
}

// TestCapabilitiesInCommandModeArgsFirst: in command mode, qmp_capabilities
// fails argument validation (an unknown capability included) before
// "already complete"; a valid capability gets "already complete".
func TestCapabilitiesInCommandModeArgsFirst(t *testing.T) {
	_, sock := serveUnix(t)
	p := dialPeer(t, "a", sock)
	negotiate(t, p)
	cases := []struct{ in, want string }{
		{`{"execute": "qmp_capabilities", "arguments": {"enable": ["nope"]}, "id": 1}`, `{"id": 1, "error": {"class": "GenericError", "desc": "Parameter 'null' does not accept value 'nope'"}}`},
		{`{"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}, "id": 2}`, `{"id": 2, "error": {"class": "CommandNotFound", "desc": "Capabilities negotiation is already complete, command ignored"}}`},
		{`{"execute": "qmp_capabilities", "id": 3}`, `{"id": 3, "error": {"class": "CommandNotFound", "desc": "Capabilities negotiation is already complete, command ignored"}}`},
	}
	for _, c := range cases {
		p.send(t, c.in+"\n")
		if got := p.lines(t, 1)[0]; got != c.want+"\r\n" {
			t.Errorf("%s:\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	// In negotiation mode the unknown value fails the same way, and oob
	// is not offered.
	q := dialPeer(t, "b", sock)
	q.lines(t, 1)
	q.send(t, `{"execute": "qmp_capabilities", "arguments": {"enable": ["oob", "nope"]}, "id": 4}`+"\n")
	q.send(t, `{"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}, "id": 5}`+"\n")
	got := strings.Join(q.lines(t, 2), "")
	want := `{"id": 4, "error": {"class": "GenericError", "desc": "Parameter 'null' does not accept value 'nope'"}}` + "\r\n" +
		`{"id": 5, "error": {"class": "GenericError", "desc": "Capability oob not available"}}` + "\r\n"
	if got != want {
		t.Errorf("negotiation mode:\n got %q\nwant %q", got, want)
	}
}

// TestCommandEventsBeforeItsError: the events a command emitted before it
// failed are written before its error, as before a return (QEMU writes
// an event at once, so before any response of the command).
func TestCommandEventsBeforeItsError(t *testing.T) {
	f, sock := serveUnix(t)
	registerEmitter(t, f, "emit-then-fail", 3, qmp.Errorf("it failed"))
	p := dialPeer(t, "a", sock)
	negotiate(t, p)
	p.send(t, `{"execute": "emit-then-fail", "id": 1}`+"\n")
	got := p.lines(t, 4)
	for _, l := range got[:3] {
		if !strings.Contains(l, `"event": "BLOCK_IO_EVENT"`) {
			t.Fatalf("got %q, want 3 events, then the error", got)
		}
	}
	if want := `{"id": 1, "error": {"class": "GenericError", "desc": "it failed"}}` + "\r\n"; got[3] != want {
		t.Fatalf("got %q, want the error last", got)
	}
}

// TestCommandOverflowBeforeReturn: a command that emits more events than
// its session's connection can hold (EventQueue 8: window 4, queue 4)
// still gets its return after every event it emitted that was not
// dropped, and the overflow markers account for the rest.
func TestCommandOverflowBeforeReturn(t *testing.T) {
	f, sock := serveUnix(t, qmp.WithLimits(qmp.Limits{EventQueue: 8}))
	const n = 200
	registerEmitter(t, f, "burst", n, nil)
	p := dialPeer(t, "a", sock)
	negotiate(t, p)
	p.send(t, `{"execute": "burst", "id": 1}`+"\n")
	events, dropped := 0, 0
	for {
		l := p.lines(t, 1)[0]
		if strings.HasPrefix(l, `{"return"`) {
			break
		}
		var m struct {
			Event string `json:"event"`
			Data  struct {
				Dropped int `json:"dropped"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		switch m.Event {
		case "BLOCK_IO_EVENT":
			events++
		case qmp.OverflowEvent:
			dropped += m.Data.Dropped
		}
	}
	if events+dropped != n {
		t.Fatalf("before the return: %d events and %d dropped, want %d in all", events, dropped, n)
	}
	if late := readFor(p, 200*time.Millisecond); len(late) > 0 {
		t.Fatalf("lines after the return: %q", late)
	}
}

// panicky is an event type whose encoding panics.
type panicky struct{}

func (panicky) MarshalJSON() ([]byte, error) { panic("cannot encode") }

// TestPanicsDoNotRestartTheSession: a handler's panic is counted and
// answered with a GenericError after the events it emitted first; an
// event whose encoding panics is skipped. The session goes on: one
// greeting, its replies in order, one bus session.
func TestPanicsDoNotRestartTheSession(t *testing.T) {
	f, sock := serveUnix(t)
	bad, err := signalbus.NewSignal[panicky](f.bus, "Panicky")
	if err != nil {
		t.Fatal(err)
	}
	err = f.srv.Register("emit-then-panic", nil, "none", func(context.Context, *qmp.Conn, *qmp.Call) (any, error) {
		if err := f.io.Emit(blockIOEvent{Device: "vda", Action: "report", Operation: "write"}); err != nil {
			return nil, err
		}
		if err := bad.Emit(panicky{}); err != nil {
			return nil, err
		}
		panic(errors.New("handler bug"))
	})
	if err != nil {
		t.Fatal(err)
	}
	p := dialPeer(t, "a", sock)
	negotiate(t, p)
	p.send(t, `{"execute": "emit-then-panic", "id": 1}`+"\n")
	p.send(t, `{"execute": "query-events", "id": 2}`+"\n")
	got := readFor(p, 500*time.Millisecond)
	ok := len(got) == 3 && strings.Contains(got[0], `"event": "BLOCK_IO_EVENT"`) &&
		got[1] == `{"id": 1, "error": {"class": "GenericError", "desc": "Command 'emit-then-panic' failed: internal error"}}`+"\r\n" &&
		strings.HasPrefix(got[2], `{"return": [`) && strings.HasSuffix(got[2], `"id": 2}`+"\r\n")
	if !ok {
		t.Fatalf("got %q", got)
	}
	if n := f.srv.HandlerPanics(); n != 1 {
		t.Fatalf("HandlerPanics %d, want 1", n)
	}
	if n := f.srv.Conns(); n != 1 {
		t.Fatalf("%d sessions, want 1", n)
	}
}

// breakingStream is a memStream whose Write panics from the second write
// on (a broken Stream implementation).
type breakingStream struct {
	*memStream
	n      int
	closed chan struct{}
}

func (s *breakingStream) Write(c actor.Context, bufs [][]byte) {
	if s.n++; s.n > 1 {
		panic("stream bug")
	}
	s.memStream.Write(c, bufs)
}

func (s *breakingStream) Close(actor.Context) { close(s.closed) }

// TestSessionPanicEndsIt: a panic in the session actor outside a command
// handler (here its Stream's) ends the session cleanly instead of
// restarting it: the stream is closed once, no second greeting, the bus
// session and the connection slot are released.
func TestSessionPanicEndsIt(t *testing.T) {
	sys := actors.New()
	f := newFixture(t, sys)
	t.Cleanup(func() {
		f.bus.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = sys.Close(ctx)
	})
	st := &breakingStream{memStream: newMemStream(), closed: make(chan struct{})}
	pid, err := f.srv.Attach(st)
	if err != nil {
		t.Fatal(err)
	}
	if g := recvWrite(t, st.memStream); !strings.HasPrefix(g, `{"QMP"`) {
		t.Fatalf("greeting %q", g)
	}
	sys.Send(pid, &qmp.Written{})
	<-st.reads
	sys.Send(pid, &qmp.LineRead{Line: []byte(`{"execute": "qmp_capabilities"}`)}) // its reply's write panics
	select {
	case <-st.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream was not closed")
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.srv.Conns() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions still counted", f.srv.Conns())
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case w := <-st.writes:
		t.Fatalf("written after the failure: %q", w)
	case <-time.After(100 * time.Millisecond):
	}
	// The bus session is closed: an event reaches no one.
	if err := f.io.Emit(blockIOEvent{Device: "vda"}); err != nil {
		t.Fatal(err)
	}
	s, err := f.io.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Conns) != 0 {
		t.Fatalf("the signal still has connections %v", s.Conns)
	}
}

// TestCommandAfterBusClosed: an application command on a server whose
// bus was closed is answered (its signals, closed, are not waited for).
func TestCommandAfterBusClosed(t *testing.T) {
	f, sock := serveUnix(t)
	if err := f.srv.Register("ping", nil, "none", func(context.Context, *qmp.Conn, *qmp.Call) (any, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	p := dialPeer(t, "a", sock)
	negotiate(t, p)
	f.bus.Close()
	p.send(t, `{"execute": "ping", "id": 1}`+"\n")
	p.send(t, `{"execute": "inject-block-io-event", "arguments": {"device": "vda", "action": "a", "operation": "o"}, "id": 2}`+"\n")
	got := p.lines(t, 2)
	if got[0] != `{"return": {}, "id": 1}`+"\r\n" || !strings.HasPrefix(got[1], `{"id": 2, "error": {"class": "GenericError"`) {
		t.Fatalf("got %q", got)
	}
}
