package signalbus_test

import (
	"context"
	"testing"
	"time"

	_ "github.com/actorio/actorio/signalbus"
)

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
