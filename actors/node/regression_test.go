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

// mortal spawns a mortal actor named name on p (see serve) and returns
// its PID.
func mortal(t *testing.T, n *node.Node, p *peer, name string) *actor.PID {
	t.Helper()
	reply, err := n.System().Request(ctxT(t), actor.NewPID(p.addr, "spawner"), wrapperspb.String(name))
	if err != nil {
		t.Fatal(err)
	}
	id := reply.(*wrapperspb.StringValue).Value
	if strings.HasPrefix(id, "ERROR") {
		t.Fatal(id)
	}
	return actor.NewPID(p.addr, id)
}

// answered waits for a watcher's answer to its hello.
func answered(t *testing.T, hello <-chan struct{}) {
	t.Helper()
	select {
	case <-hello:
	case <-ctxT(t).Done():
		t.Fatal("no answer to hello")
	}
}

// TestRemoteWatchStopped: a watch of a peer's actor that then stops gets
// exactly one Terminated, Stopped.
func TestRemoteWatchStopped(t *testing.T) {
	n := local(t)
	p, _ := startPeer(t, "serve")
	m := mortal(t, n, p, "stopped")
	got, hello := watcher(t, n, m, wrapperspb.String("hello"))
	answered(t, hello)
	n.System().Send(m, wrapperspb.String("stop"))
	if term := onlyTerminated(t, "watch of a peer's actor that stops", got); !term.Who.Equal(m) || term.Why != actor.TerminatedReason_Stopped {
		t.Errorf("got %v, want Terminated{%v, Stopped}", term, m)
	}
}

// TestRemoteWatchNotFound: a watch of a PID that never existed on a peer
// gets exactly one Terminated, NotFound.
//
// Found in review: protoactor remote keeps only Who of a Terminated
// from a peer and delivers every one as Stopped, so a watch of an actor
// that never existed there said it had stopped.
func TestRemoteWatchNotFound(t *testing.T) {
	n := local(t)
	p, _ := startPeer(t, "serve")
	who := actor.NewPID(p.addr, "never")
	got, _ := watcher(t, n, who, nil)
	if term := onlyTerminated(t, "watch of a PID that never existed on a peer", got); !term.Who.Equal(who) || term.Why != actor.TerminatedReason_NotFound {
		t.Errorf("got %v, want Terminated{%v, NotFound}", term, who)
	}
}

// TestRemoteWatchPeerStops: a watch of a peer's actor whose node then
// stops gets exactly one Terminated, and no second one later.
//
// Found in review: the watcher got Terminated{AddressTerminated} when the
// connection went, then Terminated{Stopped} when the peer's own
// Terminated, sent as its System closed, reached a fresh endpoint watcher
// of protoactor's, which answers a Terminated without asking whether
// that watch was registered (or already answered).
func TestRemoteWatchPeerStops(t *testing.T) {
	n := local(t)
	p, _ := startPeer(t, "serve")
	echo := actor.NewPID(p.addr, "echo")
	got, hello := watcher(t, n, echo, wrapperspb.String("hello"))
	answered(t, hello)
	p.Stop()
	// The peer closes its System (the echo stops) and then stops its
	// node: the echo's own Terminated{Stopped} and the connection's end
	// race to be first.
	term := onlyTerminated(t, "watch of a peer's actor when the peer stops", got)
	if !term.Who.Equal(echo) || (term.Why != actor.TerminatedReason_Stopped && term.Why != actor.TerminatedReason_AddressTerminated) {
		t.Errorf("got %v, want Terminated{%v, Stopped or AddressTerminated}", term, echo)
	}
}

// TestRemoteWatchPeerNodeStops: a watch of a peer's actor whose node
// stops (before its actors do) gets exactly one Terminated,
// AddressTerminated.
func TestRemoteWatchPeerNodeStops(t *testing.T) {
	n := local(t)
	p, _ := startPeer(t, "serve", "ACTORIO_PEER_NODE_FIRST=1")
	echo := actor.NewPID(p.addr, "echo")
	got, hello := watcher(t, n, echo, wrapperspb.String("hello"))
	answered(t, hello)
	p.Stop()
	if term := onlyTerminated(t, "watch of a peer's actor when the peer's node stops", got); !term.Who.Equal(echo) || term.Why != actor.TerminatedReason_AddressTerminated {
		t.Errorf("got %v, want Terminated{%v, AddressTerminated}", term, echo)
	}
}

// TestRemoteUnwatch: a watch of a peer's actor that is unwatched before
// the actor stops gets no Terminated, even when the actor's stop (a user
// message, sent straight to the connection) overtakes the Unwatch (a
// system message, which goes through protoactor's endpoint watcher).
func TestRemoteUnwatch(t *testing.T) {
	n := local(t)
	p, _ := startPeer(t, "serve")
	m := mortal(t, n, p, "unwatched")
	got := make(chan *actor.Terminated, 8)
	unwatched := make(chan struct{})
	pid, err := n.System().Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch msg := c.Message().(type) {
		case *actor.Started:
			c.Watch(m)
			c.Request(m, wrapperspb.String("hello"))
		case *wrapperspb.StringValue:
			c.Unwatch(m)
			c.Send(m, wrapperspb.String("stop"))
			close(unwatched)
		case *actor.Terminated:
			got <- msg
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.System().Stop(pid) })
	answered(t, unwatched)
	// The mortal has stopped once a new watch of it is answered.
	stopped, _ := watcher(t, n, m, nil)
	select {
	case <-stopped:
	case <-ctxT(t).Done():
		t.Fatal("the mortal did not stop")
	}
	select {
	case term := <-got:
		t.Errorf("an unwatched actor's stop was told: %v", term)
	case <-time.After(quiet):
	}
}
