package node_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors/node"
	"github.com/actorio/actorio/internal/nodetest"
)

// exampleTB is the testing.TB nodetest.Local asks for, which examples do
// not have: it is only told Helper and Fatal (which panics, failing the
// example). Any other method would panic too.
type exampleTB struct{ testing.TB }

func (exampleTB) Helper()           {}
func (exampleTB) Fatal(args ...any) { panic(fmt.Sprint(args...)) }

// exampleNode returns the process's one node, shared with the tests: a
// second node in the process would race with it (see the package doc).
// A program makes its node with node.Start(actors.New(), node.Config{}).
func exampleNode() *node.Node {
	return nodetest.Local(exampleTB{}, node.Config{MaxMessage: 1 << 20, MaxFrame: 16 << 20}) // local's Config
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// ExampleNode_Probe explains a peer that does not answer: where nothing
// listens, Probe names the refused connection (a request sent there would
// just time out, since gRPC retries quietly); a node that answers gets nil.
func ExampleNode_Probe() {
	n := exampleNode()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	addr := closedAddr()
	err := n.Probe(ctx, addr)
	fmt.Println(strings.ReplaceAll(fmt.Sprint(err), addr, "ADDR"))

	fmt.Println(n.Probe(ctx, n.Address()))

	// Output:
	// node: probe ADDR: dial tcp ADDR: connect: connection refused
	// <nil>
}

// ExampleNode_Probe_notGRPC probes an address where something other than
// a node listens (here an HTTP/1 server: a wrong port, say): the
// connection succeeds, and Probe says the answer is not gRPC's.
func ExampleNode_Probe_notGRPC() {
	n := exampleNode()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	web := httptest.NewServer(http.NotFoundHandler())
	defer web.Close()
	addr := web.Listener.Addr().String()
	err := n.Probe(ctx, addr)
	fmt.Println(strings.ReplaceAll(fmt.Sprint(err), addr, "ADDR"))

	// Output:
	// node: ADDR does not answer as a gRPC server (its first bytes: 48 54 54 50 2f 31 2e 31 20)
}
