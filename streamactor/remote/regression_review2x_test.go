package remote_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/actorio/actorio/internal/wire"
	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"
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

// TestRegressionFailingCloseRepeated: a link that fails the stream (here
// with ErrGap) tells its peer why until the peer acknowledges (or for
// PeerTimeout), as any Close: one lost Close must not leave the peer
// with ErrPeerLost ("nothing heard") instead of the real cause. Its own
// local end is told once, at once, as before. Found in review: the
// failing Close was sent once, never again.
func TestRegressionFailingCloseRepeated(t *testing.T) {
	o := remote.Options{PingEvery: 100 * time.Millisecond, PeerTimeout: time.Second, GapTimeout: 300 * time.Millisecond}
	now := time.Unix(1000, 0)
	s := remote.NewLink(remote.LinkConfig{Stream: 7, Role: streamactor.RoleSender, MaxSegment: 4096, Options: o, Peer: "node-r"}, now)
	r := remote.NewLink(remote.LinkConfig{Stream: 7, Role: streamactor.RoleReceiver, MaxSegment: 4096, Options: o, Peer: "node-s"}, now)
	var sLocal, rLocal []any
	droppedClose, rStopped := false, false
	// move carries each link's output to the other; the first Close of
	// the receiving link and the sender's segment #1 are lost.
	move := func() {
		for busy := true; busy; {
			busy = false
			rOut := append([]proto.Message(nil), r.Output().ToPeer...)
			sOut := append([]proto.Message(nil), s.Output().ToPeer...)
			sLocal = append(sLocal, s.Output().ToLocal...)
			rLocal = append(rLocal, r.Output().ToLocal...)
			rStopped = rStopped || r.Output().Stop
			r.ResetOutput()
			s.ResetOutput()
			for _, m := range rOut {
				if _, ok := m.(*wire.StreamClose); ok && !droppedClose {
					droppedClose = true
					continue
				}
				busy = true
				s.FromPeer(proto.Clone(m), now)
			}
			for _, m := range sOut {
				if seg, ok := m.(*wire.StreamSegment); ok && seg.GetSeq() == 1 {
					continue
				}
				busy = true
				r.FromPeer(proto.Clone(m), now)
			}
		}
	}
	r.FromLocal(&streamactor.Credit{Granted: 100000}, now)
	move()
	for seq := uint64(1); seq <= 2; seq++ {
		s.FromLocal(&streamactor.Segment{Seq: seq, Kind: streamactor.SegData, Data: []byte("abc"), Cost: streamactor.SegmentCost(3)}, now)
	}
	move()
	for i := 0; i < 50 && !s.Done(); i++ {
		now = now.Add(o.PingEvery)
		s.Tick(now)
		r.Tick(now)
		move()
	}
	if !errors.Is(r.Err(), remote.ErrGap) {
		t.Fatalf("the receiving link failed with %v; want ErrGap", r.Err())
	}
	if !droppedClose {
		t.Fatal("the receiving link never sent its Close")
	}
	var rTold int
	for _, m := range rLocal {
		if c, ok := m.(*streamactor.Close); ok && errors.Is(c.Cause, remote.ErrGap) {
			rTold++
		}
	}
	if rTold != 1 {
		t.Fatalf("the receiving end was told %d times of the gap: %v", rTold, rLocal)
	}
	var cause error
	for _, m := range sLocal {
		if c, ok := m.(*streamactor.Close); ok {
			cause = c.Cause
		}
	}
	if !errors.Is(cause, remote.ErrGap) {
		t.Fatalf("the sending end was told %v; want the receiver's ErrGap", cause)
	}
	if !r.Done() || !rStopped {
		t.Fatalf("the receiving link: done %v, asked to stop %v; want both once its Close was acknowledged", r.Done(), rStopped)
	}
}

// TestRegressionPeerTimeoutCannotFloodPings: the peer's PeerTimeout
// (from the open or the accept, peer input) sets how often a link pings,
// but not below a tenth of the link's own PingEvery: a hostile or buggy
// peer declaring a PeerTimeout of a few nanoseconds made the link ping
// every 1ms for as long as the stream lived (a thousand messages a
// second per stream for one open: an amplification). Found in review.
func TestRegressionPeerTimeoutCannotFloodPings(t *testing.T) {
	o := remote.Options{PingEvery: 500 * time.Millisecond, PeerTimeout: 3 * time.Second}
	floor := o.PingEvery / 10
	for _, peer := range []time.Duration{1, time.Microsecond, 3 * time.Millisecond, 100 * time.Millisecond} {
		l := remote.NewLink(remote.LinkConfig{Stream: 1, Role: streamactor.RoleSender, MaxSegment: 4096, Options: o, Peer: "p", PeerTimeout: peer}, time.Unix(0, 0))
		if got := l.PingEvery(); got < floor {
			t.Errorf("peer timeout %v: the link pings every %v, below a tenth of its own PingEvery (%v)", peer, got, floor)
		}
	}
	// A peer that needs pings within the floor still gets them.
	l := remote.NewLink(remote.LinkConfig{Stream: 1, Role: streamactor.RoleSender, MaxSegment: 4096, Options: o, Peer: "p", PeerTimeout: 600 * time.Millisecond}, time.Unix(0, 0))
	if got := l.PingEvery(); got != 200*time.Millisecond {
		t.Errorf("peer timeout 600ms: the link pings every %v, want 200ms", got)
	}
	// The dialer's side: a tiny PeerTimeout in the accept.
	d := remote.NewLink(remote.LinkConfig{Stream: 1, Role: streamactor.RoleSender, MaxSegment: 4096, Options: o, Peer: "p", Open: &wire.StreamOpen{Stream: 1}}, time.Unix(0, 0))
	d.FromPeer(&wire.StreamAccept{Stream: 1, LinkAddress: "p", LinkId: "l", PeerTimeoutNs: 1}, time.Unix(0, 0))
	if got := d.PingEvery(); got < floor {
		t.Errorf("accept with peer timeout 1ns: the dialer's link pings every %v, below %v", got, floor)
	}
	if got := d.Output().PingEvery; got != 0 && got < floor {
		t.Errorf("accept with peer timeout 1ns: the shell is asked to tick every %v, below %v", got, floor)
	}
}

// TestRegressionRefusedEndsFailedLink: a failed link repeating its Close
// (its peer has not acknowledged it) stops at once when the peer's node
// refuses our messages: nothing it repeats can get through. Found in
// review: it went on repeating until PeerTimeout.
func TestRegressionRefusedEndsFailedLink(t *testing.T) {
	o := remote.Options{PingEvery: 100 * time.Millisecond, PeerTimeout: 10 * time.Second, GapTimeout: 300 * time.Millisecond}
	now := time.Unix(1000, 0)
	r := remote.NewLink(remote.LinkConfig{Stream: 7, Role: streamactor.RoleReceiver, MaxSegment: 4096, Options: o, Peer: "node-s"}, now)
	r.FromLocal(&streamactor.Credit{Granted: 100000}, now)
	r.ResetOutput()
	// Segment 1 never comes: after GapTimeout the link fails with ErrGap
	// and starts telling its peer, which never answers.
	r.FromPeer(&wire.StreamSegment{Stream: 7, Seq: 2, Kind: uint32(streamactor.SegData), Data: []byte("abc"), Cost: streamactor.SegmentCost(3)}, now)
	for i := 0; i < 10 && r.Err() == nil; i++ {
		now = now.Add(o.PingEvery)
		r.Tick(now)
	}
	if !errors.Is(r.Err(), remote.ErrGap) {
		t.Fatalf("the link failed with %v; want ErrGap", r.Err())
	}
	r.ResetOutput()
	now = now.Add(o.PingEvery)
	r.Tick(now)
	if r.Output().Stop {
		t.Fatal("the failed link stopped before its peer heard why: the test needs it repeating its Close")
	}
	r.ResetOutput()
	r.FromPeer(&wire.Refused{TypeName: "actorio.wire.StreamClose", Reason: "unknown type"}, now)
	if !r.Output().Stop {
		t.Fatal("the failed link goes on repeating its Close to a node that refuses it")
	}
}
