package remote_test

import (
	"context"
	"testing"
	"time"

	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
	"github.com/asynkron/protoactor-go/actor"
)

// TestRegressionPingAgreedAtOpen: the two nodes of a stream may have
// different timings; a link pings often enough for its peer's
// PeerTimeout, not only for its own PingEvery, so an idle stream whose
// two nodes are alive stays open. Found in review: with a service that
// pings every 5s and a dialer whose PeerTimeout is 3s (or the other way
// round), the side with the shorter timeout reported the live peer lost
// (ErrPeerLost, "nothing heard (keepalive)") after 3s of an idle stream.
func TestRegressionPingAgreedAtOpen(t *testing.T) {
	slow := remote.Options{PingEvery: 5 * time.Second, PeerTimeout: 12 * time.Second}
	quick := remote.Options{PingEvery: 500 * time.Millisecond, PeerTimeout: 3 * time.Second}
	for _, tc := range []struct {
		name             string
		service, dialler remote.Options
	}{
		{"slow service", slow, quick},
		{"slow dialer", quick, slow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := sim.New(1)
			t.Cleanup(func() { _ = w.Close() })
			client, server := w.MustNode("client"), w.MustNode("server")
			var served *streamactor.Stream
			if _, err := remote.Serve(server, "svc", func(req *remote.Request) error {
				st, err := req.AcceptStream()
				served = st
				return err
			}, tc.service); err != nil {
				t.Fatal(err)
			}
			st, err := remote.Dial(context.Background(), client, actor.NewPID("server", "svc"), streamactor.RoleReceiver, "idle", tc.dialler)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = st.Free() }()
			// The stream stays idle for twice the longest timeout.
			if _, err := w.Run(w.For(30 * time.Second)); err != nil {
				t.Fatal(err)
			}
			if served == nil {
				t.Fatal("the handler did not accept")
			}
			defer func() { _ = served.Free() }()
			for _, end := range []struct {
				name string
				st   *streamactor.Stream
			}{{"dialer", st}, {"service", served}} {
				stats, err := end.st.Stats(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if stats.State == streamactor.StateAborted {
					t.Errorf("the %s's end of an idle stream between live nodes aborted: %v", end.name, stats.Err)
				}
			}
		})
	}
}
