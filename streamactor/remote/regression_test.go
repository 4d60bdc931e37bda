package remote_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/actorio/actorio/internal/wire"
	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
)

// TestRegressionCloseRepeatedDespiteGap: once the receiving end aborted,
// its link sends its Close again until acknowledged (package doc: "A
// Close (finish or abort) is sent again until acknowledged"), so that
// the sender learns the abort and its cause. A gap left open by the
// aborted stream (an early segment held for a missing one) does not
// matter any more: it must not fail the link with ErrGap, stop it and so
// drop the unacknowledged Close (the sender would then see ErrPeerLost,
// "its link stopped", instead of the receiver's reason). Found in review.
func TestRegressionCloseRepeatedDespiteGap(t *testing.T) {
	o := remote.Options{PingEvery: 100 * time.Millisecond, PeerTimeout: time.Second, GapTimeout: 300 * time.Millisecond}
	now := time.Unix(1000, 0)
	r := remote.NewLink(remote.LinkConfig{Stream: 7, Role: streamactor.RoleReceiver, Sparse: true, MaxSegment: 4096, Options: o, Peer: "node-s"}, now)
	r.FromLocal(&streamactor.Credit{Granted: 100000}, now)
	r.ResetOutput()
	// #1 is lost in transit; #2 waits for it.
	r.FromPeer(&wire.StreamSegment{Stream: 7, Seq: 2, Kind: uint32(streamactor.SegData), Data: []byte("abc"), Cost: streamactor.SegmentCost(3)}, now)
	r.ResetOutput()
	// The consumer aborts; its Close is lost in transit too.
	r.FromLocal(&streamactor.Close{Cause: errors.New("consumer gave up")}, now)
	r.ResetOutput()
	for i := 0; i < 8; i++ {
		now = now.Add(o.PingEvery)
		r.FromPeer(&wire.StreamPing{Stream: 7, Sent: 2 + uint64(i)}, now) // the sender is alive (and sent more)
		r.Tick(now)
		if r.Done() {
			t.Fatalf("tick %d: the link stopped (err %v) before its Close was acknowledged", i, r.Err())
		}
		repeated := false
		for _, m := range r.Output().ToPeer {
			if c, ok := m.(*wire.StreamClose); ok && c.GetCause().GetMessage() == "consumer gave up" {
				repeated = true
			}
		}
		if !repeated {
			t.Fatalf("tick %d: the Close was not sent again: %v", i, r.Output().ToPeer)
		}
		r.ResetOutput()
	}
	r.FromPeer(&wire.StreamCloseAck{Stream: 7}, now)
	if !r.Done() || r.Err() != nil {
		t.Fatalf("after the ack: done %v, err %v; want done without error", r.Done(), r.Err())
	}
}

// uncomparableErr is an error whose type cannot be compared with ==.
type uncomparableErr []string

func (e uncomparableErr) Error() string { return fmt.Sprint([]string(e)) }

// TestRegressionRegisterUncomparable: registering a name twice with
// different errors is an error, and the same error again is harmless
// (RegisterError's doc), whatever the error's type: an error whose type
// cannot be compared with == must not make RegisterError panic (it did:
// "comparing uncomparable type"). Found in review.
func TestRegressionRegisterUncomparable(t *testing.T) {
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("RegisterError panicked: %v", p)
		}
	}()
	e := uncomparableErr{"a"}
	if err := remote.RegisterError("remote_test.regression.uncomparable", e); err != nil {
		t.Fatalf("first registration: %v", err)
	}
	if err := remote.RegisterError("remote_test.regression.uncomparable", uncomparableErr{"b"}); err == nil {
		t.Fatal("a second, different error under the same name was accepted")
	}
}
