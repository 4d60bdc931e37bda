package node

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/actorio/actorio/internal/wire"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// guard checks every message batch a peer sends before protoactor's
// endpoint reader sees it. protoactor (at our pinned version) crashes the
// whole process on a message type it does not know (its deserializer
// ignores the lookup error) and panics on a batch whose type, target or
// sender indices are out of range. The guard drops such messages, logs
// them, counts them, and answers the sender of a refused request with a
// wire.Refused, which fails its Ask with actors.ErrRefused.
type guard struct {
	n       *Node
	refused atomic.Int64
	// starting is held by Start until it returns. protoactor's endpoint
	// reader hands every inbound message to ActorSystem.Root, which
	// Start writes (System.Unmanaged restores it) after protoactor's
	// gRPC server already accepts connections: an inbound stream takes
	// the lock first, which orders that write before the reader's reads
	// (and holds a peer that connects at once until the node is ready).
	starting sync.RWMutex
	// mu guards stopping, set when Stop begins (inbound streams opened
	// from then on are refused), and active, the inbound streams whose
	// handler (protoactor's endpoint reader) runs; idle is signalled
	// when active falls to 0.
	mu       sync.Mutex
	stopping bool
	active   int
	idle     *sync.Cond
}

// interceptor wraps the node's inbound gRPC streams.
func (g *guard) interceptor(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	g.starting.RLock()
	//lint:ignore SA2001 an empty critical section on purpose: it only orders Start before the stream
	g.starting.RUnlock()
	g.mu.Lock()
	if g.stopping {
		g.mu.Unlock()
		return status.Error(codes.Unavailable, "node: stopping")
	}
	g.active++
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		if g.active--; g.active == 0 {
			g.idle.Broadcast()
		}
		g.mu.Unlock()
	}()
	return handler(srv, &guardedStream{ServerStream: ss, g: g})
}

type guardedStream struct {
	grpc.ServerStream
	g *guard
}

// RecvMsg filters each received batch.
func (s *guardedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if rm, ok := m.(*remote.RemoteMessage); ok {
		if b := rm.GetMessageBatch(); b != nil {
			s.g.filter(b)
		}
		// A peer that dials the node is there again (it may have
		// restarted on its address): it has not left (see left).
		if sc := rm.GetConnectRequest().GetServerConnection(); sc.GetAddress() != "" {
			s.g.n.left.connected(sc.GetAddress())
		}
	}
	return nil
}

// filter removes the envelopes protoactor cannot handle safely, and the
// Terminated that answer no live watch (see watches).
func (g *guard) filter(b *remote.MessageBatch) {
	kept := b.Envelopes[:0]
	for _, e := range b.Envelopes {
		if reason := g.check(b, e); reason != "" {
			g.refuse(b, e, reason)
			continue
		}
		if !g.terminated(b, e) {
			continue
		}
		kept = append(kept, e)
	}
	b.Envelopes = kept
}

// terminatedType is the wire name of actor.Terminated.
var terminatedType = string((&actor.Terminated{}).ProtoReflect().Descriptor().FullName())

// terminated notes the reason of a checked envelope that is a peer's
// Terminated (protoactor's endpoint reader keeps only its Who) and
// reports whether to keep the envelope: anything else is kept, and so is
// a Terminated that answers a live watch, once, but for one from a peer
// that left, which the node delivers itself.
func (g *guard) terminated(b *remote.MessageBatch, e *remote.MessageEnvelope) bool {
	if b.TypeNames[e.TypeId] != terminatedType {
		return true
	}
	var t actor.Terminated
	if err := proto.Unmarshal(e.MessageData, &t); err != nil {
		return true // protoactor's reader reports it
	}
	watcher := b.Targets[e.Target]
	if g.n.watches.answered(watcher, t.Who, t.Why) {
		if t.Who == nil || !g.n.left.has(t.Who.Address) {
			return true
		}
		// The peer left (its Terminated, sent as it stopped, came after
		// its connection's end): protoactor's reader would make a new
		// endpoint for it and dial the gone peer (see left), only to
		// deliver it here. The node delivers it.
		if ref, ok := g.n.sys.ActorSystem().ProcessRegistry.GetLocal(watcher.Id); ok {
			ref.SendSystemMessage(watcher, &actor.Terminated{Who: t.Who, Why: t.Why})
		}
		return false
	}
	g.n.logger.Debug("node: dropped a peer's Terminated that answers no live watch",
		slog.Any("watcher", watcher), slog.Any("who", t.Who), slog.String("why", t.Why.String()))
	return false
}

// check returns why an envelope must be refused, or "".
func (g *guard) check(b *remote.MessageBatch, e *remote.MessageEnvelope) string {
	switch {
	case e == nil:
		return "empty envelope"
	case e.TypeId < 0 || int(e.TypeId) >= len(b.TypeNames):
		return fmt.Sprintf("type index %d out of range", e.TypeId)
	case e.Target < 0 || int(e.Target) >= len(b.Targets) || b.Targets[e.Target] == nil:
		return fmt.Sprintf("target index %d out of range", e.Target)
	case e.Sender < 0 || int(e.Sender) > len(b.Senders):
		return fmt.Sprintf("sender index %d out of range", e.Sender)
	case e.SerializerId != 0:
		return fmt.Sprintf("serializer %d is not protobuf", e.SerializerId)
	}
	name := b.TypeNames[e.TypeId]
	if _, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name)); err != nil {
		return "unknown message type"
	}
	return ""
}

func (g *guard) refuse(b *remote.MessageBatch, e *remote.MessageEnvelope, reason string) {
	g.refused.Add(1)
	typeName, target := "?", "?"
	if e != nil && e.TypeId >= 0 && int(e.TypeId) < len(b.TypeNames) {
		typeName = b.TypeNames[e.TypeId]
	}
	var targetPID *actor.PID
	if e != nil && e.Target >= 0 && int(e.Target) < len(b.Targets) && b.Targets[e.Target] != nil {
		targetPID = b.Targets[e.Target]
		target = targetPID.String()
	}
	g.n.logger.Error("node: refused a message from a peer", slog.String("type", typeName),
		slog.String("target", target), slog.String("reason", reason))
	if e == nil || e.Sender <= 0 || int(e.Sender) > len(b.Senders) || b.Senders[e.Sender-1] == nil {
		return
	}
	sender, _ := proto.Clone(b.Senders[e.Sender-1]).(*actor.PID)
	if e.SenderRequestId > 0 {
		sender.RequestId = e.SenderRequestId
	}
	g.n.sys.Send(sender, &wire.Refused{TypeName: typeName, Target: target, Reason: reason})
}
