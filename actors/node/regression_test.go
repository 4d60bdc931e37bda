package node_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/actors/node"
	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// quiet is how long a watcher that has had its Terminated is watched for
// a second one. Every answer to the watch comes from one moment (the
// peer's actor stopping, or the failed dial), within milliseconds.
const quiet = time.Second

// watcher watches who from a new actor of n's System (after asking who
// with hello, when set, so the connection is up) and returns the channel
// of every Terminated it gets.
func watcher(t *testing.T, n *node.Node, who *actor.PID, hello any) (<-chan *actor.Terminated, <-chan struct{}) {
	t.Helper()
	got := make(chan *actor.Terminated, 8)
	answered := make(chan struct{})
	pid, err := n.System().Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			c.Watch(who)
			if hello != nil {
				c.Request(who, hello)
			} else {
				close(answered)
			}
		case *wrapperspb.StringValue:
			close(answered)
		case *actor.Terminated:
			got <- m
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.System().Stop(pid) })
	return got, answered
}

// onlyTerminated waits for got's first Terminated and then checks, for
// quiet, that no other comes; it returns the one.
func onlyTerminated(t *testing.T, what string, got <-chan *actor.Terminated) *actor.Terminated {
	t.Helper()
	var first *actor.Terminated
	select {
	case first = <-got:
	case <-ctxT(t).Done():
		t.Fatalf("%s: no Terminated", what)
	}
	select {
	case m := <-got:
		t.Errorf("%s: two Terminated for one watch: %v then %v", what, first, m)
	case <-time.After(quiet):
	}
	return first
}

// TestWatchOfDownPeerTerminatesOnce: a watch of an actor on a peer that
// is down gets exactly one Terminated, AddressTerminated, when the dial
// fails.
//
// Found in review: the Watch that protoactor's endpoint writer could not
// send (no connection) was published as a dead letter, which the System
// answered with Terminated{NotFound}, while the endpoint's watcher
// answered the same watch with Terminated{AddressTerminated} when the
// dial failed: two Terminated for one watch, the first saying the actor
// did not exist.
func TestWatchOfDownPeerTerminatesOnce(t *testing.T) {
	n := local(t)
	echo := actor.NewPID(closedAddr(), "echo")
	got, _ := watcher(t, n, echo, nil)
	m := onlyTerminated(t, "watch of a peer that is down", got)
	if m.Who.Id != "echo" || m.Why != actor.TerminatedReason_AddressTerminated {
		t.Errorf("got %v, want Terminated{echo, AddressTerminated}", m)
	}
}

// TestAdvertise: a node listening on every interface advertises
// Config.Advertise, the address peers dial: its PIDs carry it, and a
// node here reaches its actors there and gets their answers. Without
// Advertise such a node warns that it advertises an address only its
// own host can dial.
//
// Found in review: a node listening on 0.0.0.0 or [::] advertised that
// address, which peers on other hosts cannot dial, and there was no way
// to say which address to advertise.
func TestAdvertise(t *testing.T) {
	port := strings.TrimPrefix(closedAddr(), "127.0.0.1:")
	p, first := startPeer(t, "serve", "ACTORIO_PEER_ADDR=0.0.0.0:"+port, "ACTORIO_PEER_ADVERTISE=127.0.0.1:0")
	if p.addr != "127.0.0.1:"+port {
		t.Fatalf("the node listening on 0.0.0.0:%s advertises %q (%s), want 127.0.0.1:%s", port, p.addr, first, port)
	}
	reply, err := local(t).System().Request(ctxT(t), actor.NewPID(p.addr, "echo"), wrapperspb.String("hi"))
	if err != nil || reply.(*wrapperspb.StringValue).Value != "echo hi (sink 0)" {
		t.Fatalf("request to the advertised address: %v, %v", reply, err)
	}
	p.Stop()
	if strings.Contains(p.Stderr(), "only processes on this host") {
		t.Errorf("a node with Advertise warned it was not reachable:\n%s", p.Stderr())
	}

	q, _ := startPeer(t, "serve", "ACTORIO_PEER_ADDR=0.0.0.0:0")
	q.Stop()
	if !strings.Contains(q.Stderr(), "set Config.Advertise") {
		t.Errorf("a node on 0.0.0.0 without Advertise did not warn:\n%s", q.Stderr())
	}
}

// TestAdvertiseErrors: an Advertise address peers could not dial fails
// Start with an error naming it, before anything listens.
func TestAdvertiseErrors(t *testing.T) {
	sys := actors.New()
	defer sys.Close(context.Background())
	for _, cfg := range []node.Config{
		{Advertise: "nonsense"},
		{Advertise: "0.0.0.0:7000"},
		{Advertise: "[::]:7000"},
		{Advertise: ":7000"},
		{Advertise: "example.com:99999"},
		{Advertise: "example.com:0"}, // Addr's port, but Addr has none
	} {
		n, err := node.Start(sys, cfg)
		if err == nil {
			n.Stop()
			t.Errorf("Start with Advertise %q succeeded", cfg.Advertise)
			continue
		}
		if !strings.Contains(err.Error(), cfg.Advertise) {
			t.Errorf("Start with Advertise %q: %v does not name it", cfg.Advertise, err)
		}
	}
}
