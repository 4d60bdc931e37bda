package node_test

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/actors/node"
)

// TestStartAddressInUse: a node asked to listen on an address that is
// taken fails with an error that is syscall.EADDRINUSE and names the
// address, and the System can still be made a node on another address.
//
// Found in review: protoactor panics when it cannot listen, with its
// error formatted by %v, so Start's error (recovered from that panic)
// said why in words only: errors.Is(err, syscall.EADDRINUSE) was false.
func TestStartAddressInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	sys := actors.New()
	defer sys.Close(context.Background())
	n, err := node.Start(sys, node.Config{Addr: l.Addr().String()})
	if err == nil {
		n.Stop()
		t.Fatal("Start on an address in use succeeded")
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("Start on an address in use: %v, want EADDRINUSE", err)
	}
	n, err = node.Start(sys, node.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("Start on a free address after the refusal: %v", err)
	}
	n.Stop()
}
