package node

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/protobuf/proto"
)

// TestRemoteFields guards the protoactor fields Stop reads by reflection
// (endpointSubscription): a protoactor upgrade that renames one must fail
// here, not leave stopped nodes' endpoint managers subscribed.
func TestRemoteFields(t *testing.T) {
	em, ok := reflect.TypeOf(remote.Remote{}).FieldByName("edpManager")
	if !ok || em.Type.Kind() != reflect.Pointer || em.Type.Elem().Kind() != reflect.Struct {
		t.Fatal("remote.Remote has no edpManager field pointing to a struct")
	}
	sub, ok := em.Type.Elem().FieldByName("endpointSub")
	if !ok || sub.Type != reflect.TypeOf((*eventstream.Subscription)(nil)) {
		t.Fatalf("protoactor's endpoint manager has no endpointSub field of type *eventstream.Subscription")
	}
}

// TestWatchesAnswerOnce: the node's record of watches of peers' actors
// lets one Terminated through per live watch, with the reason the peer's
// Terminated gave; the guard drops a peer's Terminated that answers no
// live watch (before protoactor's reader would hand it to a fresh
// endpoint watcher, which dials the peer and answers it as Stopped); and
// the watches of watchers that are gone are swept as the record grows.
func TestWatchesAnswerOnce(t *testing.T) {
	sys := actors.New()
	defer func() { _ = sys.Close(context.Background()) }()
	n := &Node{sys: sys, addr: "127.0.0.1:1", logger: sys.Logger()}
	n.watches.n = n
	g := &guard{n: n}
	w := &n.watches
	watcher := actor.NewPID(n.addr, "watcher")
	peer := func(id string) *actor.PID { return actor.NewPID("127.0.0.1:2", id) }
	batch := func(who *actor.PID, why actor.TerminatedReason) *remote.MessageBatch {
		data, err := proto.Marshal(&actor.Terminated{Who: who, Why: why})
		if err != nil {
			t.Fatal(err)
		}
		return &remote.MessageBatch{
			TypeNames: []string{terminatedType},
			Targets:   []*actor.PID{watcher},
			Envelopes: []*remote.MessageEnvelope{{MessageData: data}},
		}
	}
	stopped := func(who *actor.PID) *actor.Terminated {
		return &actor.Terminated{Who: who, Why: actor.TerminatedReason_Stopped} // as protoactor delivers
	}

	// The connection's end, then the peer's late Terminated.
	a := peer("a")
	w.watch(watcher, a)
	if got := w.filter(watcher, &actor.Terminated{Who: a, Why: actor.TerminatedReason_AddressTerminated}); got == nil || got.Why != actor.TerminatedReason_AddressTerminated {
		t.Errorf("AddressTerminated of a live watch: got %v", got)
	}
	ba := batch(a, actor.TerminatedReason_Stopped)
	g.filter(ba)
	if len(ba.Envelopes) != 0 {
		t.Error("the guard kept a Terminated for a watch already answered")
	}
	if got := w.filter(watcher, stopped(a)); got != nil {
		t.Errorf("a second Terminated for one watch was delivered: %v", got)
	}

	// The peer's reason, which protoactor replaces with Stopped.
	b := peer("b")
	w.watch(watcher, b)
	w.watch(watcher, b) // the same watch
	bb := batch(b, actor.TerminatedReason_NotFound)
	g.filter(bb)
	if len(bb.Envelopes) != 1 {
		t.Error("the guard dropped the Terminated of a live watch")
	}
	if got := w.filter(watcher, stopped(b)); got == nil || got.Why != actor.TerminatedReason_NotFound {
		t.Errorf("Terminated of a watch the peer answered NotFound: got %v", got)
	}
	if got := w.filter(watcher, stopped(b)); got != nil {
		t.Errorf("a second Terminated for one watch was delivered: %v", got)
	}

	// Unwatched: nothing.
	c := peer("c")
	w.watch(watcher, c)
	w.unwatch(watcher, c)
	bc := batch(c, actor.TerminatedReason_Stopped)
	g.filter(bc)
	if len(bc.Envelopes) != 0 {
		t.Error("the guard kept a Terminated for an unwatched actor")
	}
	if got := w.filter(watcher, stopped(c)); got != nil {
		t.Errorf("a Terminated for an unwatched actor was delivered: %v", got)
	}

	// A Terminated of a local actor is not the record's business.
	local := actor.NewPID(n.addr, "child")
	if got := w.filter(watcher, stopped(local)); got == nil {
		t.Error("a local actor's Terminated was dropped")
	}

	// Watchers that are gone (none of these ids is registered).
	for i := range 10 * minSweep {
		w.watch(actor.NewPID(n.addr, fmt.Sprint("gone", i)), a)
	}
	if len(w.m) >= 2*minSweep {
		t.Errorf("%d watches of watchers that are gone are kept", len(w.m))
	}
}
