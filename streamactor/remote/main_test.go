package remote_test

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
	stopLocal()
	if code == 0 {
		if err := goleak.Find(
			// protoactor's endpoint writer to a killed peer sleeps
			// through its retries (5 × 2s) before it gives up.
			goleak.IgnoreAnyFunction("github.com/asynkron/protoactor-go/remote.(*endpointWriter).initialize"),
			// ... and gRPC keeps redialling those peers' addresses for
			// a while after the node stopped (protoactor does not close
			// a connection it is still retrying).
			goleak.IgnoreTopFunction("google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run"),
			goleak.IgnoreTopFunction("google.golang.org/grpc.(*addrConn).resetTransport"),
		); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}
