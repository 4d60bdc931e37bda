package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/protobuf/proto"
)

// TestTerminatedFromPeerThatLeft: a peer's Terminated that answers a
// live watch but comes after the peer's connection ended (it sent it as
// it stopped, on its own connection, which the node read after its
// connection to the peer had ended) is delivered to the watcher by the
// node, with the peer's reason, and taken out of the batch: protoactor's
// reader would have made a new endpoint for the peer to deliver it, and
// dialled the gone peer (sparsecopy's server, under the race detector,
// then held SIGTERM for 1s and warned "node: stop EndpointSupervisor").
// A peer still connected keeps protoactor's path.
func TestTerminatedFromPeerThatLeft(t *testing.T) {
	sys := actors.New()
	defer func() { _ = sys.Close(context.Background()) }()
	n := &Node{sys: sys, addr: "127.0.0.1:1", logger: sys.Logger()}
	n.watches.n = n
	g := &guard{n: n}
	got := make(chan *actor.Terminated, 4)
	watcher, err := actor.NewRootContext(sys.ActorSystem(), nil).SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*actor.Terminated); ok {
			got <- m
		}
	}), "watcher")
	if err != nil {
		t.Fatal(err)
	}
	batch := func(who *actor.PID) *remote.MessageBatch {
		data, err := proto.Marshal(&actor.Terminated{Who: who, Why: actor.TerminatedReason_NotFound})
		if err != nil {
			t.Fatal(err)
		}
		return &remote.MessageBatch{
			TypeNames: []string{terminatedType},
			Targets:   []*actor.PID{actor.NewPID(n.addr, watcher.Id)},
			Envelopes: []*remote.MessageEnvelope{{MessageData: data}},
		}
	}
	connected, gone := actor.NewPID("127.0.0.1:2", "a"), actor.NewPID("127.0.0.1:3", "b")
	n.left.ended(gone.Address)
	n.left.ended(connected.Address)
	n.left.connected(connected.Address)
	for _, who := range []*actor.PID{connected, gone} {
		n.watches.watch(watcher, who)
	}
	b := batch(connected)
	g.filter(b)
	if len(b.Envelopes) != 1 {
		t.Errorf("a connected peer's Terminated was taken out of the batch")
	}
	b = batch(gone)
	g.filter(b)
	if len(b.Envelopes) != 0 {
		t.Fatalf("the Terminated of a peer that left was left to protoactor")
	}
	select {
	case m := <-got:
		if !m.Who.Equal(gone) || m.Why != actor.TerminatedReason_NotFound {
			t.Errorf("the watcher got %v, want %v NotFound", m, gone)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the watcher got no Terminated")
	}
}

// TestLeftFlappingPeer: a peer whose connection ends, is made again and
// ends again, over and over, stays recorded as left after each end. The
// record's order kept an entry for each end, the stale ones too, so once
// it held maxLeft of them each new end evicted the oldest, the peer's
// own, and deleted the peer just recorded.
func TestLeftFlappingPeer(t *testing.T) {
	var l left
	const peer = "127.0.0.1:2"
	for i := range maxLeft + 2 {
		l.ended(peer)
		if !l.has(peer) {
			t.Fatalf("end %d: the peer is not recorded as left", i+1)
		}
		l.connected(peer)
	}
	// Other peers still evict the oldest.
	l.ended(peer)
	for i := range maxLeft {
		l.ended(fmt.Sprintf("10.0.%d.%d:1", i/256, i%256))
	}
	if l.has(peer) {
		t.Errorf("the oldest peer that left was not evicted")
	}
	if l.peers.Len() != maxLeft || l.peers.Refs() > maxLeft {
		t.Errorf("the record holds %d peers in an order of %d, want at most %d", l.peers.Len(), l.peers.Refs(), maxLeft)
	}
}
