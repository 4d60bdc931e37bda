package signalbus_test

import (
	"testing"

	"github.com/actorio/actorio/internal/nodetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	nodetest.Main(m, peerMain,
		// When this node's actors stop, protoactor tells their
		// remote watchers, killed peers included: an endpoint
		// writer then dials the dead address, through its retries
		// (5 × 2s), with a gRPC ClientConn of its own.
		goleak.IgnoreAnyFunction("github.com/asynkron/protoactor-go/remote.(*endpointWriter).initialize"),
		goleak.IgnoreAnyFunction("google.golang.org/grpc.(*addrConn).resetTransport"),
		goleak.IgnoreTopFunction("google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run"),
	)
}
