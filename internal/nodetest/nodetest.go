// Package nodetest holds what the test binaries of the remote packages
// share: the one protoactor remote node a test process may run (its
// remote.Start writes gRPC's global logger, which races with any node
// already running in the process), and the TestMain that runs such a
// binary either as a child peer or as the tests, then stops the node and
// checks for leaked goroutines. It is for tests only.
package nodetest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/actors/node"
	"go.uber.org/goleak"
)

var (
	once  sync.Once
	local *node.Node
	err   error
)

// Local returns this process's one node, started with cfg on first use
// (a test binary uses one cfg throughout: later ones are not looked at).
func Local(t testing.TB, cfg node.Config) *node.Node {
	t.Helper()
	once.Do(func() { local, err = node.Start(actors.New(), cfg) })
	if err != nil {
		t.Fatal(err)
	}
	return local
}

// stop closes the node's System and stops the node, if one started.
func stop() {
	if local != nil {
		_ = local.System().Close(context.Background())
		local.Stop()
	}
}

// Main is a TestMain: when peer reports that this process is a child
// peer (which has then done its work), it returns; otherwise it runs the
// tests, stops the local node and, if they passed, fails the binary on
// goroutines still running beyond those ignore names.
func Main(m *testing.M, peer func() bool, ignore ...goleak.Option) {
	if peer() {
		return
	}
	code := m.Run()
	stop()
	if code == 0 {
		if err := goleak.Find(ignore...); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}
