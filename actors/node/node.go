package node

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

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
	sys   *actors.System
	r     *remote.Remote
	cfg   Config
	guard *guard
	// watches are the live watches of peers' actors (see watches).
	watches watches
	// requests are the requests sent to peers, failed when the node
	// stops (see requests).
	requests requests
	// left are the peers whose connection has ended (see left).
	left left
	// dialled are the connections the node dialled to peers that are
	// open (see dialled).
	dialled dialled
	// endpointSub tells watches and left of the connections to peers
	// that end, and left of those made.
	endpointSub *eventstream.Subscription
	logger      *slog.Logger
	addr        string

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

// Start makes sys a node listening on cfg.Addr and advertising
// cfg.Advertise (by default the address listened on) to peers. Start it before spawning
// actors that peers address: protoactor gives a system its network address
// only now, and PIDs made before carry the local placeholder. An address
// that is taken fails Start with an error that is syscall.EADDRINUSE, and
// leaves sys as it was.
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
	advertise, err := cfg.advertise(port)
	if err != nil {
		return nil, err
	}
	if err := checkListen(cfg.Addr, host, port); err != nil {
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
	n.watches.n = n
	n.requests.n = n
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
		remote.WithAdvertisedHost(advertise), // "": the address listened on
	)
	// One dial (gRPC retries within DialTimeout), then the peer is down:
	// protoactor's writer sleeps 2s after each failed attempt and cannot
	// be stopped meanwhile, which held Stop and the peer's dead letters
	// for 10s with its default of 5.
	rc.MaxRetryCount = 1
	// protoactor's reports of peers that hung up are not errors (see
	// peerLogs).
	n.quietPeerLogs(sys.ActorSystem())
	n.r = remote.NewRemote(sys.ActorSystem(), rc)
	defer func() {
		if r := recover(); r != nil { // protoactor panics when it cannot listen
			if n.endpointSub != nil {
				sys.ActorSystem().EventStream.Unsubscribe(n.endpointSub)
			}
			n, err = nil, errors.Errorf("node: start on %s: %v", cfg.Addr, r)
		}
	}()
	// Subscribed before protoactor's endpoint manager (remote.Start),
	// so a peer's connection is recorded as ended (left) before the
	// manager forgets its endpoint: a Terminated for the peer sent in
	// between made a new endpoint, which dialled the gone peer.
	n.endpointSub = sys.ActorSystem().EventStream.Subscribe(func(evt any) {
		switch e := evt.(type) {
		case *remote.EndpointTerminatedEvent:
			n.left.ended(e.Address)
			n.watches.endpointTerminated(e.Address)
		case *remote.EndpointConnectedEvent:
			n.left.connected(e.Address)
		}
	})
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
	// Each watch of a peer's actor is answered once, with the reason the
	// peer gave (see watches).
	sys.SetTerminatedFilter(n.watches.filter)
	if advertise == "" && unspecified(host) {
		n.logger.Warn(fmt.Sprintf("node: listening on %s and advertising it: only processes on this host can dial it; set Config.Advertise to the host:port peers reach this node at", n.addr))
	}
	if cfg.TLS == nil && !loopback {
		n.logger.Warn(fmt.Sprintf("node: listening on %s without TLS: anyone who can reach it can message its actors", n.addr))
	}
	return n, nil
}

// Address returns the node's address (host:port) as peers dial it: the
// Address of its PIDs, Config.Advertise if set.
func (n *Node) Address() string { return n.addr }

// System returns the node's System.
func (n *Node) System() *actors.System { return n.sys }

// Refused returns how many messages from peers the node refused (unknown
// type, malformed batch).
func (n *Node) Refused() int64 { return n.guard.refused.Load() }
