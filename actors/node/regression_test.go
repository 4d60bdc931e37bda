package node_test

import (
	"testing"
	"time"

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
