package qmp_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/qmp"
	"github.com/actorio/actorio/sockactor"
	"github.com/asynkron/protoactor-go/actor"
)

// Regression tests for bugs found in review: each states the behaviour
// expected and where it is specified.

// TestControlCharInStringResetsParser: a client that left the
// server's parser inside an unterminated string recovers by sending an
// ASCII control character; the next command is then answered.
// Spec: research/qapi-events.md §1.1 "Parser recovery: a client may send
// an ASCII control char ... to force a lexical error and reset the
// server's JSON parser" (qmp-spec "Forcing the JSON parser into
// known-good state"); qmp/lines.go's own doc ("An ASCII control character
// outside a string ends the value at once"). Real qemu-storage-daemon 7.2
// answers this exact input with a parse error and then {"return": ..., "id": 1}.
func TestControlCharInStringResetsParser(t *testing.T) {
	_, sock := serveUnix(t)
	p := dialPeer(t, "a", sock)
	negotiate(t, p)
	p.send(t, "{\"execute\": \"qu\x1b")
	p.send(t, `{"execute": "query-version", "id": 1}`+"\n")
	p.send(t, `{"execute": "query-version", "id": 2}`+"\n")
	got := readFor(p, 2*time.Second)
	if len(got) < 2 || !strings.Contains(got[0], `"error"`) || strings.Contains(got[0], `"id"`) ||
		!strings.HasPrefix(got[1], `{"return": {"qemu": `) || !strings.HasSuffix(got[1], `"id": 1}`+"\r\n") {
		t.Fatalf("got %q, want a JSON parse error without id, then the return of id 1 (and of id 2)", got)
	}
}

// TestAppCommandOnBusWithoutSignals: an application command
// (Server.Register) on a server whose bus has no signals is answered.
// Spec: qmp/doc.go "application commands (Server.Register), whose
// arguments are checked against schema types before they run and whose
// events are written before their return"; research §5 inv. 25 "each
// command with an id gets exactly one response".
func TestAppCommandOnBusWithoutSignals(t *testing.T) {
	sys := actors.New()
	bus := signalbus.New(sys)
	srv, err := qmp.NewServer(bus, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Register("ping", nil, "none", func(context.Context, *qmp.Conn, *qmp.Call) (any, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "qmp.sock")
	l, err := srv.Listen(sockactor.RealTransport(), "unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		l.Close()
		bus.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = sys.Close(ctx)
	})
	p := dialPeer(t, "a", path)
	negotiate(t, p)
	p.send(t, `{"execute": "ping", "id": 1}`+"\n")
	_ = p.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	l1, err := p.r.ReadString('\n')
	if err != nil || l1 != `{"return": {}, "id": 1}`+"\r\n" {
		t.Fatalf("ping: got %q, %v; want {\"return\": {}, \"id\": 1}", l1, err)
	}
}

// TestHandlerPanic: an application command whose handler panics
// gets an error reply and the session goes on (no second greeting, no
// lost replies).
// Spec: the brief's "panics escaping"; func slots' panics are recovered
// (signalbus Bus.SlotPanics) — a command handler's panic should not
// restart the session actor mid-stream.
func TestHandlerPanic(t *testing.T) {
	f, sock := serveUnix(t)
	if err := f.srv.Register("boom", nil, "none", func(context.Context, *qmp.Conn, *qmp.Call) (any, error) { panic("boom") }); err != nil {
		t.Fatal(err)
	}
	p := dialPeer(t, "a", sock)
	negotiate(t, p)
	p.send(t, `{"execute": "boom", "id": 1}`+"\n")
	p.send(t, `{"execute": "query-version", "id": 2}`+"\n")
	p.send(t, `{"execute": "inject-block-io-event", "arguments": {"device": "vda", "action": "a", "operation": "o"}, "id": 3}`+"\n")
	got := readFor(p, 500*time.Millisecond)
	want := []string{
		`{"id": 1, "error": {"class": "GenericError", "desc": ...}}`,
		`{"return": {"qemu": ..., "package": "actorio"}, "id": 2}`,
		`{"timestamp": ..., "event": "BLOCK_IO_EVENT", ...}`,
		`{"return": {}, "id": 3}`,
	}
	ok := len(got) == 4 && strings.HasPrefix(got[0], `{"id": 1, "error": {"class": "GenericError"`) &&
		strings.HasPrefix(got[1], `{"return": {"qemu": `) &&
		strings.Contains(got[2], `"event": "BLOCK_IO_EVENT"`) && got[3] == `{"return": {}, "id": 3}`+"\r\n"
	if !ok {
		t.Fatalf("after a handler panic:\n got %q\nwant %q", got, want)
	}
}

// readFor reads the lines p receives within d.
func readFor(p *peer, d time.Duration) []string {
	_ = p.c.SetReadDeadline(time.Now().Add(d))
	var out []string
	for {
		l, err := p.r.ReadString('\n')
		if err != nil {
			return out
		}
		out = append(out, l)
	}
}

// memStream is a qmp.Stream under the test's control: reads and writes
// complete only when the test sends LineRead / Written to the session.
type memStream struct {
	reads  chan struct{}
	writes chan [][]byte
}

func newMemStream() *memStream {
	return &memStream{reads: make(chan struct{}, 16), writes: make(chan [][]byte, 16)}
}

func (s *memStream) ReadLine(actor.Context) { s.reads <- struct{}{} }
func (s *memStream) Write(_ actor.Context, bufs [][]byte) {
	cp := make([][]byte, len(bufs))
	for i, b := range bufs {
		cp[i] = append([]byte(nil), b...)
	}
	s.writes <- cp
}
func (s *memStream) Close(actor.Context) {}

// syncMsg reaches the session actor behind everything already in its
// mailbox (Conn hands unknown messages to a Translator stream).
type syncMsg struct{ ch chan struct{} }

func (s *memStream) Translate(_ actor.Context, msg any) (any, bool) {
	if m, ok := msg.(*syncMsg); ok {
		close(m.ch)
		return nil, true
	}
	return nil, false
}

func recvWrite(t *testing.T, s *memStream) string {
	t.Helper()
	select {
	case w := <-s.writes:
		var b []byte
		for _, x := range w {
			b = append(b, x...)
		}
		return string(b)
	case <-time.After(5 * time.Second):
		t.Fatal("no write")
		return ""
	}
}

// TestSessionAckOrderKeepsWindow: a QMP session acknowledges its
// deliveries out of order (an event queued behind a large write waits for
// that write, a later small one is acknowledged at once). The connection's
// Event ring assumes in-order acknowledgements, so the entry of the
// still-unacknowledged event is reused for a later delivery, whose Done
// then swallows the first one's acknowledgement: a window slot is lost
// for good and the connection drops events within its declared bound.
// Spec: signalbus/doc.go "Each connection has a window ... and a queue
// ... bounded together by Queue(limit, policy). A slot that stalls fills
// them; then the declared policy applies"; signalbus/event.go "An Event is
// valid until it is acknowledged (Done): the connection reuses it for a
// later delivery then"; qmp Limits.EventQueue "backlog bound of each of a
// session's connections".
func TestSessionAckOrderKeepsWindow(t *testing.T) {
	sys := actors.New()
	f := newFixture(t, sys, qmp.WithLimits(qmp.Limits{EventQueue: 4})) // window 2, queue 2
	t.Cleanup(func() {
		f.bus.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = sys.Close(ctx)
	})
	st := newMemStream()
	pid, err := f.srv.Attach(st)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	settle := func() { // the signal has sent its deliveries, and the session handled them
		t.Helper()
		if _, err := f.io.Stats(ctx); err != nil {
			t.Fatal(err)
		}
		ch := make(chan struct{})
		sys.Send(pid, &syncMsg{ch})
		<-ch
	}
	written := func() { sys.Send(pid, &qmp.Written{}) }
	recvWrite(t, st) // greeting
	written()
	<-st.reads
	sys.Send(pid, &qmp.LineRead{Line: []byte(`{"execute": "qmp_capabilities"}`)})
	if got := recvWrite(t, st); got != "{\"return\": {}}\r\n" {
		t.Fatalf("negotiation: %q", got)
	}
	written()
	emit := func(size int) {
		t.Helper()
		if err := f.io.Emit(blockIOEvent{Device: "vda", Action: strings.Repeat("x", size), Operation: "o"}); err != nil {
			t.Fatal(err)
		}
		settle()
	}
	emit(300_000) // X: over maxOutput, its acknowledgement waits for its write
	recvWrite(t, st)
	emit(250_000) // A: queued behind X's write, acknowledgement deferred
	written()     // X written: A's write starts (250 KB, under maxOutput)
	recvWrite(t, st)
	emit(10)  // B: acknowledged at once (backlog small), while A is not
	emit(10)  // C: reuses A's ring entry
	written() // A written: its Done is swallowed
	for {     // complete every write until the session is idle: nothing is in flight
		settle()
		select {
		case <-st.writes:
			written()
			continue
		default:
		}
		break
	}

	// Now a stalled client: 4 events fit in window 2 + queue 2.
	for i := 0; i < 4; i++ {
		emit(300_000)
	}
	s, err := f.io.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for h, cs := range s.Conns {
		if cs.Dropped != 0 {
			t.Fatalf("connection %s dropped %d of 4 events with a backlog bound of 4 (delivered %d)", h, cs.Dropped, cs.Delivered)
		}
	}
}

// TestCommandEventsBeforeReturn: every event an application command
// emits is written before the command's return, also when it emits more
// events than a connection's window (64 deliveries with the default
// EventQueue of 1024): the rest wait in the signal's queue, and the Flush
// answered meanwhile lets the return overtake them.
// Spec: qmp/doc.go "application commands (Server.Register) ... whose
// events are written before their return, as QEMU does"; research §1.5
// "Events raised while a command runs are written before that command's
// return line" and §5 inv. 26 (Causality).
func TestCommandEventsBeforeReturn(t *testing.T) {
	f, sock := serveUnix(t)
	const n = 100
	registerEmitter(t, f, "burst", n, nil)
	p := dialPeer(t, "a", sock)
	negotiate(t, p)
	p.send(t, `{"execute": "burst", "id": 1}`+"\n")
	got := p.lines(t, n+1)
	for i, l := range got {
		if strings.HasPrefix(l, `{"return"`) {
			if i != n {
				t.Fatalf("the return came as line %d, before %d of the command's %d events", i+1, n-i, n)
			}
		}
	}
}

// TestClientCloseFromHandler: an event handler may close its client
// (e.g. on a shutdown event); Close returns instead of waiting forever for
// the handler goroutine it is running on.
// Spec: qmp/client.go Client.Close "closes the connection and stops the
// client's goroutines" — no restriction on where it is called from; the
// handlers run on the client's own goroutine (qmp/doc.go "handlers run in
// order on one goroutine").
func TestClientCloseFromHandler(t *testing.T) {
	_, sock := serveUnix(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := qmp.Dial(ctx, "unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	c.OnEvent(func(qmp.Event) { closed <- c.Close() })
	// The event comes before the return, so the handler may close the
	// client before Execute has its reply: its error does not matter.
	_ = c.Execute(ctx, "inject-block-io-event", map[string]any{"device": "vda", "action": "a", "operation": "o"}, nil)
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("Client.Close called from an event handler never returned")
	}
}

// TestCapabilitiesTwiceArgsFirst: qmp_capabilities in command mode
// with an unexpected argument fails argument validation first, as in
// QEMU, where "already complete" is the handler's own error (verified on
// qemu-storage-daemon 7.2: {"id": 4, "error": {"class": "GenericError",
// "desc": "Parameter 'x' is unexpected"}}).
// Spec: qmp/doc.go "errors ... with QEMU's classes and texts";
// research §1.4 "Arguments are strictly type-checked and unknown keys
// rejected before side effects", §1.3 (monitor/qmp-cmds-control.c).
func TestCapabilitiesTwiceArgsFirst(t *testing.T) {
	_, sock := serveUnix(t)
	p := dialPeer(t, "a", sock)
	negotiate(t, p)
	p.send(t, `{"execute": "qmp_capabilities", "arguments": {"x": 1}, "id": 4}`+"\n")
	want := `{"id": 4, "error": {"class": "GenericError", "desc": "Parameter 'x' is unexpected"}}` + "\r\n"
	if got := p.lines(t, 1)[0]; got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// TestEventStringsWrittenAsQEMU: an event's strings are written with
// QEMU's escapes, as the command path's are (checked byte for byte
// against qemu-storage-daemon in qemu_bytes_test.go): <, > and & as
// themselves, control characters, DEL and non-ASCII as \uXXXX in
// upper-case hex (a surrogate pair beyond the BMP), \n as \n.
// Spec: qmp/doc.go "The default path is byte-compatible with QEMU";
// QEMU's json-writer.c quoted_str.
func TestEventStringsWrittenAsQEMU(t *testing.T) {
	_, sock := serveUnix(t)
	p := dialPeer(t, "a", sock)
	negotiate(t, p)
	p.send(t, `{"execute": "inject-block-io-event", "arguments": {"device": "<&>", "action": "\u0001\u007f\u00e9\ud83d\ude00\n", "operation": "'\"\\/"}, "id": 1}`+"\n")
	got := p.lines(t, 2)
	want := `"event": "BLOCK_IO_EVENT", "data": {"device": "<&>", "action": "\u0001\u007F\u00E9\uD83D\uDE00\n", "operation": "'\"\\/"}}` + "\r\n"
	if !strings.HasSuffix(got[0], want) || got[1] != `{"return": {}, "id": 1}`+"\r\n" {
		t.Fatalf("got %q\nwant the event ending %q, then the return", got, want)
	}
}
