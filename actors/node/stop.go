package node

// Stopping a node, and dialling its peers: this runs on the callers of
// Stop and on gRPC's goroutines, never inside an actor.

import (
	"context"
	"log/slog"
	"net"
	"reflect"
	"syscall"
	"time"
	"unsafe"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/pkg/errors"
)

// writerWait is how long Stop waits for the connections the node dialled
// to close (see dialled), and for protoactor's activator to stop. An
// endpoint writer that was dialling when Stop began stops after
// protoactor's 2s pause that follows a failed dial (time.Sleep, which
// nothing ends): Stop leaves it to finish on its own, holding no
// connection.
const writerWait = time.Second

// refusedRetry is how often a refused connection to a peer is tried
// again while Config.DialTimeout lasts.
const refusedRetry = 100 * time.Millisecond

// errStopped is what a dial gets once the node stops: not temporary, so
// gRPC ends the dial instead of retrying it until DialTimeout.
var errStopped = stoppedError{}

type stoppedError struct{}

func (stoppedError) Error() string   { return "node: stopped" }
func (stoppedError) Temporary() bool { return false }

// dial connects to a peer for gRPC: it tries a refused connection again
// until ctx ends (a peer restarting on its address is caught; gRPC, told
// to fail on errors that are not temporary, would give up at once), and
// gives up when the node stops.
func (n *Node) dial(ctx context.Context, addr string) (net.Conn, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(n.halt, cancel)()
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", addr)
		switch {
		case n.halt.Err() != nil:
			if c != nil {
				_ = c.Close()
			}
			return nil, errStopped
		case err == nil:
			// Recorded, so Stop waits for it to close (see dialled).
			if dc, ok := n.dialled.add(c); ok {
				return dc, nil
			}
			_ = c.Close()
			return nil, errStopped
		case !errors.Is(err, syscall.ECONNREFUSED):
			return nil, err
		}
		select {
		case <-ctx.Done():
			if n.halt.Err() != nil {
				return nil, errStopped
			}
			return nil, err
		case <-time.After(refusedRetry):
		}
	}
}

// Stop stops serving and drops the connections to peers, both ways;
// their watchers of this node's actors get Terminated{AddressTerminated},
// and so does each live watch of a peer's actor by this node's actors
// (those still running: Close the System after Stop for them to hear),
// and it returns once the node's listener and connections are gone, so
// the address can be listened on again, and with them its goroutines,
// but for a dial to a peer that was in progress: that one is ended, and
// its goroutine sleeps through protoactor's 2s pause after a failed dial
// before it ends too (Stop does not wait for it: it holds no connection);
// a connection the node dialled that is still open 1s after the
// activator stopped is closed under its writer. A request to a peer that
// is pending when Stop begins (unanswered, or still queued for the peer)
// fails as Stop drops the connections, with ErrStopped (which is also
// actors.ErrNoActor), instead of waiting for its timeout: a request made
// with a one-shot reply address (Ask, System.Request); a message an
// actor sends with its own PID as the sender gets no answer; one-way
// messages still queued for a peer in protoactor's endpoint writer are
// lost without a trace (protoactor keeps that queue to itself). Messages
// sent to peers from then on are dead letters (a Request fails with
// ErrStopped at once), and watching a peer's actor gets
// Terminated{AddressTerminated}.
// Close the System separately, before Stop, to let actors finish talking.
// Stop may be called more than once and concurrently with sends; a
// System is a node once, so it cannot be started again.
//
// The address is free again once Stop returns, but a new node in the
// same process still races in gRPC's global logger with the gRPC
// goroutines of the first (see the package doc): run it in a new process.
func (n *Node) Stop() {
	n.stopOnce.Do(n.stop)
}

// stop stops what protoactor's remote started, in an order that leaves
// none of it running into the rest. protoactor's own graceful Shutdown,
// the only way it offers to stop its endpoint manager (the writers and
// their connections to peers), writes its stop flags unsynchronised
// while its endpoint readers and watchers read them, and sends on the
// channels of readers that may have closed them (a panic); its other
// Shutdown stops only the server, leaving the node dialling and sending.
func (n *Node) stop() {
	// No message reaches protoactor from now on (see outbound).
	n.out.Lock()
	n.stopped = true
	n.out.Unlock()
	n.halted()
	// From now on the node dials no connection; Stop waits below for
	// those it dialled to close.
	dialledClosed := n.dialled.stop()
	// Inbound: refuse new streams, close the listener and every
	// connection (peers' writers see theirs break and tell their
	// watchers of this node's actors), and wait for protoactor's
	// readers to return.
	n.guard.stop()
	n.r.Shutdown(false)
	n.guard.drained()
	// No reply can come from a peer now: the requests that wait for
	// one fail (see requests).
	n.requests.stopped()
	// Outbound: protoactor's endpoint events no longer reach its
	// endpoint manager; its supervisor stops the endpoint writers, which
	// close their connections, and watchers; then the activator. Stop
	// waits for the activator and for the connections the node dialled
	// to close, not for the supervisor: a writer whose dial halted above
	// holds no connection but stops only after protoactor's 2s pause
	// (see dialled).
	if sub := endpointSubscription(n.r); sub != nil {
		n.sys.ActorSystem().EventStream.Unsubscribe(sub)
	}
	n.sys.ActorSystem().EventStream.Unsubscribe(n.endpointSub)
	as := n.sys.ActorSystem()
	root := actor.NewRootContext(as, nil)
	root.Stop(actor.NewPID(n.addr, "EndpointSupervisor"))
	activator := actor.NewPID(n.addr, "activator")
	stopped := actor.NewFuture(as, writerWait)
	proc, _ := as.ProcessRegistry.Get(activator)
	proc.SendSystemMessage(activator, &actor.Watch{Watcher: stopped.PID()})
	root.Stop(activator)
	if err := stopped.Wait(); err != nil {
		n.logger.Warn("node: stop activator", slog.Any("error", err))
	}
	select {
	case <-dialledClosed:
	case <-time.After(writerWait):
		// A writer stuck (in a send to a peer that reads nothing, or
		// waiting for its connect response): its connection is closed
		// under it.
		n.logger.Warn("node: stop: connections to peers still open; closing them", slog.Int("open", n.dialled.closeAll()))
	}
	// The endpoint watchers, stopping, hear of no connection's end (the
	// events are unsubscribed, the readers gone) and answer none of the
	// watches of peers' actors: the node's record of them does.
	n.watches.stopped()
}

// endpointSubscription returns the EventStream subscription of r's
// endpoint manager, which protoactor does not expose (nil if its fields
// are not as expected: TestRemoteFields guards them).
func endpointSubscription(r *remote.Remote) *eventstream.Subscription {
	em := reflect.ValueOf(r).Elem().FieldByName("edpManager")
	if !em.IsValid() || em.Kind() != reflect.Pointer || em.IsNil() {
		return nil
	}
	f := em.Elem().FieldByName("endpointSub")
	if !f.IsValid() || f.Type() != reflect.TypeOf((*eventstream.Subscription)(nil)) {
		return nil
	}
	return *(**eventstream.Subscription)(unsafe.Pointer(f.UnsafeAddr()))
}

// stop refuses new inbound streams; drained then waits until the
// handlers of the others have returned (once the server has closed
// their connections).
func (g *guard) stop() {
	g.mu.Lock()
	g.stopping = true
	g.mu.Unlock()
}

func (g *guard) drained() {
	g.mu.Lock()
	for g.active > 0 {
		g.idle.Wait()
	}
	g.mu.Unlock()
}
