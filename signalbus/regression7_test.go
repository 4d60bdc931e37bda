package signalbus_test

import (
	"context"
	"testing"
	"time"
)

// Regression tests for bugs found in review (continued): each states the
// behaviour expected and where it is specified.

// TestRegressionQuickRestartAfterLastDisconnect: the subscriber's node
// disconnects its last connection and crashes before the disconnect
// reaches the server (so the server forgets its record of the client
// before it hears of the crash); the node restarts and its new
// incarnation connects before the crash is reported. The Terminated
// about the old incarnation (the PIDs of old and new client are equal)
// must not drop the new incarnation's connection.
// Spec: signalbus/remote_probe.go ("a Terminated does not say which
// incarnation of a client it is about"); PeerLoss doc (connections are
// removed because their subscriber is gone, not another one).
// Found in review: the new record did not know it followed an older
// incarnation's (the old one was forgotten with its last connection, not
// replaced), so the late Terminated dropped it without asking; the
// client lost the connection at its next audit (OnLost ErrPeerGone).
func TestRegressionQuickRestartAfterLastDisconnect(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 5; seed++ {
		r := newRestartable(t, seed)
		old, err := r.connect(t, newRecorder())
		if err != nil {
			t.Fatal(err)
		}
		r.run(t, 10*time.Millisecond)
		if err := r.rs.Disconnect(ctx, old); err != nil {
			t.Fatal(err)
		}
		r.crashRestart(t) // the disconnect is on its way to the server
		rec := newRecorder()
		h, err := r.connect(t, rec) // answered before DetectDown (5ms) passes
		if err != nil {
			t.Fatalf("seed %d: reconnect after the restart: %v", seed, err)
		}
		r.run(t, 3*time.Second)
		r.checkServing(t, h, rec, "after the late Terminated")
		r.close(t)
	}
}
