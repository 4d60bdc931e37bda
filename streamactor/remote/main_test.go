package remote_test

import (
	"testing"

	"github.com/actorio/actorio/internal/nodetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	nodetest.Main(m, peerMain,
		// protoactor's endpoint writer to a killed peer sleeps
		// through its retries (5 × 2s) before it gives up.
		goleak.IgnoreAnyFunction("github.com/asynkron/protoactor-go/remote.(*endpointWriter).initialize"),
		// ... and gRPC keeps redialling those peers' addresses for
		// a while after the node stopped (protoactor does not close
		// a connection it is still retrying).
		goleak.IgnoreTopFunction("google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run"),
		goleak.IgnoreTopFunction("google.golang.org/grpc.(*addrConn).resetTransport"),
	)
}
