package node

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"reflect"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/pkg/errors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
)

// Node is a System reachable from other processes through protoactor
// remote (gRPC).
type Node struct {
	sys    *actors.System
	r      *remote.Remote
	cfg    Config
	guard  *guard
	logger *slog.Logger
	addr   string

	// out is the node's gate on messages to peers (see outbound):
	// stopped is set, under out's write lock, when Stop begins.
	out     sync.RWMutex
	stopped bool
	// remoteProcess is protoactor remote's resolver, which outbound
	// hands messages to while the node runs.
	remoteProcess actor.AddressResolver
	stopOnce      sync.Once
	// halt ends when Stop begins, and with it the dials in progress.
	halt   context.Context
	halted context.CancelFunc
}

// writerWait is how long Stop waits for protoactor's endpoint writers to
// stop. One that was dialling when Stop began stops after protoactor's 2s
// pause that follows a failed dial (time.Sleep, which nothing ends):
// Stop leaves it to finish on its own, holding no connection.
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
		case err == nil || !errors.Is(err, syscall.ECONNREFUSED):
			return c, err
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

// nodes holds the protoactor systems that have been made nodes: a system
// can be one only once (protoactor's remote keeps its address resolver,
// consulted first, for the life of the system).
var nodes sync.Map // *actor.ActorSystem → struct{}

// gRPC's transport settings for bulk data (streams): its default flow
// control window (64 KiB, grown by probing) and 32 KiB socket buffers
// held a stream of 256 KiB segments to ~0.24× raw TCP on loopback; with
// these, ~0.3×.
const (
	flowWindow = 16 << 20 // per stream and per connection
	ioBuffer   = 1 << 20  // gRPC's read and write buffers, per connection
)

// Start makes sys a node listening on cfg.Addr. Start it before spawning
// actors that peers address: protoactor gives a system its network address
// only now, and PIDs made before carry the local placeholder.
func Start(sys *actors.System, cfg Config) (n *Node, err error) {
	if sys == nil {
		return nil, errors.New("node: nil system")
	}
	if sys.Closed() {
		return nil, errors.Wrap(actors.ErrClosed, "node: start")
	}
	cfg = cfg.withDefaults()
	host, port, loopback, err := cfg.check()
	if err != nil {
		return nil, err
	}
	if _, taken := nodes.LoadOrStore(sys.ActorSystem(), struct{}{}); taken {
		return nil, errors.New("node: the system is or was a node already (a system can be made a node once)")
	}
	defer func() {
		if err != nil {
			nodes.Delete(sys.ActorSystem())
		}
	}()
	n = &Node{sys: sys, cfg: cfg, logger: sys.Logger()}
	n.halt, n.halted = context.WithCancel(context.Background())
	n.guard = &guard{n: n}
	n.guard.idle = sync.NewCond(&n.guard.mu)
	// Inbound streams wait until Start is done (see guard.starting).
	n.guard.starting.Lock()
	defer n.guard.starting.Unlock()
	server := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(cfg.MaxFrame),
		grpc.ChainStreamInterceptor(n.guard.interceptor),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: cfg.Keepalive, Timeout: cfg.KeepaliveTimeout}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: cfg.Keepalive / 2, PermitWithoutStream: true}),
		grpc.InitialWindowSize(flowWindow), grpc.InitialConnWindowSize(flowWindow),
		grpc.ReadBufferSize(ioBuffer), grpc.WriteBufferSize(ioBuffer),
	}
	dial := []grpc.DialOption{
		// A blocking dial that gives up after DialTimeout: protoactor's
		// endpoint writer dials again on each failed attempt without
		// closing the last connection, and a non-blocking one left a
		// gRPC channel redialling the dead peer for ever each time.
		// gRPC closes a blocking dial's channel when it fails.
		grpc.WithReturnConnectionError(),
		//lint:ignore SA1019 Dial (protoactor's) takes its timeout only this way
		grpc.WithTimeout(cfg.DialTimeout),
		// The node's dialler retries a refused connection itself and
		// gives up at once when the node stops, which this makes end
		// the dial (see dial).
		grpc.WithContextDialer(n.dial),
		grpc.FailOnNonTempDialError(true),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: cfg.Keepalive, Timeout: cfg.KeepaliveTimeout, PermitWithoutStream: true}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(cfg.MaxFrame), grpc.MaxCallSendMsgSize(cfg.MaxFrame)),
		grpc.WithInitialWindowSize(flowWindow), grpc.WithInitialConnWindowSize(flowWindow),
		grpc.WithReadBufferSize(ioBuffer), grpc.WithWriteBufferSize(ioBuffer),
	}
	if cfg.TLS != nil {
		server = append(server, grpc.Creds(credentials.NewTLS(serverTLS(cfg.TLS))))
		dial = append(dial, grpc.WithTransportCredentials(credentials.NewTLS(clientTLS(cfg.TLS))))
	} else {
		// WithDialOptions replaces protoactor's default, so the
		// insecure credentials must be given here.
		dial = append(dial, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	rc := remote.Configure(host, port,
		remote.WithServerOptions(server...),
		remote.WithDialOptions(dial...),
		remote.WithEndpointWriterBatchSize(cfg.batchSize()),
		remote.WithEndpointWriterQueueSize(cfg.QueueSize),
	)
	// One dial (gRPC retries within DialTimeout), then the peer is down:
	// protoactor's writer sleeps 2s after each failed attempt and cannot
	// be stopped meanwhile, which held Stop and the peer's dead letters
	// for 10s with its default of 5.
	rc.MaxRetryCount = 1
	n.r = remote.NewRemote(sys.ActorSystem(), rc)
	defer func() {
		if r := recover(); r != nil { // protoactor panics when it cannot listen
			n, err = nil, errors.Errorf("node: start on %s: %v", cfg.Addr, r)
		}
	}()
	// Remote's own actors (endpoint supervisor, activator) bring their
	// own guardian and dispatcher and are stopped by Stop, not Close.
	sys.Unmanaged(n.r.Start)
	n.addr = sys.ActorSystem().Address()
	// Route messages to peers through the node's gate: protoactor
	// remote's resolver, which Start has just appended, is replaced by
	// one that hands over to it while the node runs.
	pr := sys.ActorSystem().ProcessRegistry
	last := len(pr.RemoteHandlers) - 1
	n.remoteProcess = pr.RemoteHandlers[last]
	pr.RemoteHandlers[last] = n.resolve
	if cfg.TLS == nil && !loopback {
		n.logger.Warn(fmt.Sprintf("node: listening on %s without TLS: anyone who can reach it can message its actors", n.addr))
	}
	return n, nil
}

// Address returns the node's address (host:port), the Address of its PIDs.
func (n *Node) Address() string { return n.addr }

// System returns the node's System.
func (n *Node) System() *actors.System { return n.sys }

// Refused returns how many messages from peers the node refused (unknown
// type, malformed batch).
func (n *Node) Refused() int64 { return n.guard.refused.Load() }

// Stop stops serving and drops the connections to peers, both ways;
// their watchers of this node's actors get Terminated{AddressTerminated}
// and it returns once the node's listener and connections are gone, so
// the address can be listened on again, and with them its goroutines,
// but for a dial to a peer that was in progress: that one is ended, and
// its goroutine sleeps through protoactor's 2s pause after a failed dial
// before it ends too (Stop waits 1s for it). Messages sent to
// peers from then on are dead letters (a Request fails with ErrNoActor at
// once), and watching a peer's actor gets Terminated{AddressTerminated}.
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
	// Inbound: refuse new streams, close the listener and every
	// connection (peers' writers see theirs break and tell their
	// watchers of this node's actors), and wait for protoactor's
	// readers to return.
	n.guard.stop()
	n.r.Shutdown(false)
	n.guard.drained()
	// Outbound: protoactor's endpoint events no longer reach its
	// endpoint manager; its supervisor stops the endpoint writers, which
	// close their connections (a writer whose dial halted above stops
	// after protoactor's pause: see writerWait), and watchers; then the
	// activator.
	if sub := endpointSubscription(n.r); sub != nil {
		n.sys.ActorSystem().EventStream.Unsubscribe(sub)
	}
	as := n.sys.ActorSystem()
	root := actor.NewRootContext(as, nil)
	for _, name := range []string{"EndpointSupervisor", "activator"} {
		pid := actor.NewPID(n.addr, name)
		stopped := actor.NewFuture(as, writerWait)
		proc, _ := as.ProcessRegistry.Get(pid)
		proc.SendSystemMessage(pid, &actor.Watch{Watcher: stopped.PID()})
		root.Stop(pid)
		if err := stopped.Wait(); err != nil {
			n.logger.Warn("node: stop "+name, slog.Any("error", err))
		}
	}
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
