package signalbus_test

import (
	"context"
	"testing"
	"time"

	"github.com/actorio/actorio/signalbus"
)

// TestRegressionServeAgainAfterClose: a server closed and served again
// under the same name (a restart of the server without a restart of its
// node) takes connections again. Found in review: Server.Close only asks
// the server actor to stop, so a Serve right after it failed with "name
// exists" and the bus could not be served again until the old actor had
// gone, which a caller cannot observe.
func TestRegressionServeAgainAfterClose(t *testing.T) {
	p := newPair(t, 41)
	ctx := context.Background()
	rec := newRecorder()
	if _, err := p.rs.Connect(ctx, rec.slot(nil)); err != nil {
		t.Fatal(err)
	}
	p.srv.Close()
	srv, err := signalbus.Serve(p.busA)
	if err != nil {
		t.Fatalf("Serve after Close: %v", err)
	}
	p.run(t, 100*time.Millisecond)
	h, err := p.rs.Connect(ctx, rec.slot(nil))
	if err != nil {
		t.Fatalf("connect to the new server: %v", err)
	}
	_ = p.sig.Emit(blockIO{Device: "a", N: 1}, "a")
	p.run(t, 100*time.Millisecond)
	if got := rec.of(h); len(got) != 1 || got[0] != "a/1" {
		t.Fatalf("the new server's connection got %v", got)
	}
	st, err := srv.Stats(ctx)
	if err != nil || len(st.Conns) != 1 {
		t.Fatalf("new server stats %+v, %v", st, err)
	}
	p.close(t)
}

// TestRegressionServerForgetsStoppedClient: when a subscriber's bus
// closes and both its goodbye (the SignalDisconnect) and the Terminated
// of its client actor are lost on the way (a short one-way partition),
// the server still removes the connection once the events it sends go
// unacknowledged, and counts what was lost; it does not keep a
// connection, a queue on the signal and resends for a client that is
// gone, forever. Found in review: the server watched the client only
// once, when it first connected, and nothing else ended such a
// connection while the subscriber's node stayed up.
func TestRegressionServerForgetsStoppedClient(t *testing.T) {
	p := newPair(t, 42)
	ctx := context.Background()
	if _, err := p.rs.Connect(ctx, newRecorder().slot(nil)); err != nil {
		t.Fatal(err)
	}
	if err := p.w.Partition("b", "a", true); err != nil {
		t.Fatal(err)
	}
	p.busB.Close()
	p.run(t, 100*time.Millisecond)
	if err := p.w.Mend("b", "a"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		_ = p.sig.Emit(blockIO{Device: "a", N: i}, "a")
	}
	p.run(t, 10*time.Second)
	st, err := p.srv.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Conns) != 0 || st.Peers != 0 || st.PeersLost != 1 || st.LostInFlight != 5 {
		t.Fatalf("server after its subscriber went: %+v", st)
	}
	if n := p.localConns(t); n != 0 {
		t.Fatalf("the signal keeps %d connections for a subscriber that is gone", n)
	}
	p.close(t)
}
