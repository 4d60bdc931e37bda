package node

import (
	"strings"
	"sync"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// ErrStopped is why a request to a peer fails when the node stops before
// it is answered (sent and unanswered, or still queued for the peer), or
// is made once the node has stopped. The error an Ask or Request gets
// wraps it with the node and the target, and is also actors.ErrNoActor,
// as any request that cannot reach its target.
var ErrStopped = errors.New("node stopped")

// requests is the node's record of the requests its one-shot reply
// addresses (protoactor futures, as actors.Ask uses; actors.Request's
// reply address) have sent to peers: protoactor remote keeps the
// messages queued for a peer in its endpoint writer, out of reach, and
// drops them when it stops, so without this record a request caught by
// Stop waited for its whole timeout.
//
// A request is recorded when it leaves for the peer (outbound) and
// forgotten once its reply address is gone from the process registry (a
// future unregisters itself when answered or timed out; a Request's
// address when it returns): the record is swept as it grows. When the
// node stops, every reply address still registered is answered with a
// failure (see stopped).
type requests struct {
	n       *Node
	mu      sync.Mutex
	m       map[requestKey]*actor.PID // → the request's target
	sweepAt int
}

// requestKey names a request by its reply address.
type requestKey struct {
	id        string
	requestID uint32
}

// oneShot reports whether sender is a reply address of this node that
// takes one reply and then unregisters: a protoactor future or the
// address of an actors.Request. An actor's own PID, also a sender, is not:
// it gets other messages than the reply, and outlives it.
func (r *requests) oneShot(sender *actor.PID) bool {
	return sender != nil && r.n.watches.local(sender) &&
		(strings.HasPrefix(sender.Id, "future$") || strings.HasPrefix(sender.Id, "actorio-reply$"))
}

// add records a request to target answered at sender, if that is a
// one-shot reply address.
func (r *requests) add(sender, target *actor.PID) {
	if !r.oneShot(sender) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = make(map[requestKey]*actor.PID)
	}
	r.m[requestKey{sender.Id, sender.RequestId}] = target
	if len(r.m) >= max(r.sweepAt, minSweep) {
		r.sweep()
	}
}

// sweep forgets the requests whose reply address is gone (answered,
// timed out, or abandoned).
func (r *requests) sweep() {
	r.sweepAt = sweepGone(r.n, r.m, func(k requestKey) string { return k.id })
}

// stopped fails every recorded request whose reply address is still
// registered: the node no longer receives from peers, so no reply can
// come. A reply address that was answered meanwhile ignores the failure
// (it takes the first reply) or is gone.
func (r *requests) stopped() {
	reg := r.n.sys.ActorSystem().ProcessRegistry
	r.mu.Lock()
	m := r.m
	r.m = nil
	r.mu.Unlock()
	for k, target := range m { //detguard:unordered each request is failed on its own
		if ref, ok := reg.GetLocal(k.id); ok {
			sender := actor.NewPID(r.n.addr, k.id)
			sender.RequestId = k.requestID
			ref.SendUserMessage(sender, r.n.stoppedReply(target, "was not answered"))
		}
	}
}

// stoppedReply is the failure a request to target gets when the node
// stops.
func (n *Node) stoppedReply(target *actor.PID, what string) *stoppedReply {
	return &stoppedReply{err: &requestError{cause: errors.Wrapf(ErrStopped, "node %s: request to %s/%s %s", n.addr, target.Address, target.Id, what)}}
}

// stoppedReply is the reply that fails a request when the node stops: an
// actors.Failure, so Ask and Request return its error.
type stoppedReply struct{ err error }

// AskFailure implements actors.Failure.
func (r *stoppedReply) AskFailure() error { return r.err }

// requestError is the error of a request that the node's stop failed:
// ErrStopped, wrapped with what it was, and actors.ErrNoActor.
type requestError struct{ cause error }

func (e *requestError) Error() string { return e.cause.Error() }

// Unwrap returns ErrStopped, wrapped.
func (e *requestError) Unwrap() error { return e.cause }

// Is makes the error actors.ErrNoActor too.
func (e *requestError) Is(target error) bool { return target == actors.ErrNoActor }
