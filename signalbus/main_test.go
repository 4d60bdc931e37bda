package signalbus_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if peerMain() {
		return
	}
	code := m.Run()
	stopLocalNode()
	if code == 0 {
		if err := goleak.Find(
			// When this node's actors stop, protoactor tells their
			// remote watchers, killed peers included: an endpoint
			// writer then dials the dead address, through its retries
			// (5 × 2s), with a gRPC ClientConn of its own.
			goleak.IgnoreAnyFunction("github.com/asynkron/protoactor-go/remote.(*endpointWriter).initialize"),
			goleak.IgnoreAnyFunction("google.golang.org/grpc.(*addrConn).resetTransport"),
			goleak.IgnoreTopFunction("google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run"),
		); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}
