package node

import (
	"fmt"
	"log/slog"

	"github.com/actorio/actorio/actors"
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
}

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
	cfg = cfg.withDefaults()
	host, port, loopback, err := cfg.check()
	if err != nil {
		return nil, err
	}
	n = &Node{sys: sys, cfg: cfg, logger: sys.Logger()}
	n.guard = &guard{n: n}
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

// Stop stops serving and drops the connections to peers; their watchers
// of this node's actors get Terminated{AddressTerminated}. Close the
// System separately (before Stop, to let actors finish talking).
func (n *Node) Stop() { n.r.Shutdown(false) }
