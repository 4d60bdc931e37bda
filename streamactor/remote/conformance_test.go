package remote_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/props"
	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
	"github.com/asynkron/protoactor-go/actor"
)

var relayKey atomic.Int64

// relayFactory is the conformance factory of remote streams: both
// handles are in this process, on its node, and each is one end of a
// remote stream whose other end is in the peer process p, which relays
// between them (see relays). So every byte, hole, credit, Finish and
// abort of the suite crosses two processes and back, in both directions,
// over protoactor remote. The System the suite passes is not used: the
// ends live on this process's node.
func relayFactory(p *peer) props.StreamFactory {
	return props.StreamFactory{
		Name: "remote-relay",
		Open: func(t *testing.T, _ *actors.System, _ props.Extents, opts ...streamactor.Option) *props.StreamUnderTest {
			sys := local(t).System()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			k := relayKey.Add(1)
			svc := actor.NewPID(p.addr, "streams")
			r, err := remote.Dial(ctx, sys, svc, streamactor.RoleReceiver, fmt.Sprintf("relay-out:%d", k), peerOptions(), opts...)
			if err != nil {
				t.Fatalf("dial the receiving end: %v", err)
			}
			w, err := remote.Dial(ctx, sys, svc, streamactor.RoleSender, fmt.Sprintf("relay-in:%d", k), peerOptions(), opts...)
			if err != nil {
				t.Fatalf("dial the sending end: %v", err)
			}
			t.Cleanup(func() {
				for _, st := range []*streamactor.Stream{w, r} {
					_ = st.Abort(context.Background())
					_ = st.Free()
				}
			})
			return &props.StreamUnderTest{Send: w, Recv: r}
		},
	}
}

// TestConformanceRemote runs the stream conformance suite on remote
// streams between this process and a peer process.
func TestConformanceRemote(t *testing.T) {
	local(t)
	p := startPeer(t)
	props.CheckStream(t, relayFactory(p))
}
