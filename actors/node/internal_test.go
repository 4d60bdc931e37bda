package node

import (
	"reflect"
	"testing"

	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/asynkron/protoactor-go/remote"
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
