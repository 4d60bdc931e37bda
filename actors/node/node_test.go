package node_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/actors/node"
	"github.com/actorio/actorio/internal/nodetest"
	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestMain(m *testing.M) {
	nodetest.Main(m, peerMain,
		// An endpoint writer whose dial (to a killed peer) Stop
		// ended sleeps through protoactor's 2s pause after it; it
		// holds nothing (TestPeerDown sees it end).
		goleak.IgnoreAnyFunction("github.com/asynkron/protoactor-go/remote.(*endpointWriter).initialize"),
	)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestRequestAcrossProcesses: a request from this process's node reaches
// an actor on a peer process and the reply comes back; nodes listen on
// loopback by default.
func TestRequestAcrossProcesses(t *testing.T) {
	n := local(t)
	p, _ := startPeer(t, "serve")
	if !strings.HasPrefix(n.Address(), "127.0.0.1:") || !strings.HasPrefix(p.addr, "127.0.0.1:") {
		t.Fatalf("addresses %s %s", n.Address(), p.addr)
	}
	reply, err := n.System().Request(ctxT(t), actor.NewPID(p.addr, "echo"), wrapperspb.String("hi"))
	if err != nil || reply.(*wrapperspb.StringValue).Value != "echo hi (sink 0)" {
		t.Fatalf("%v, %v", reply, err)
	}
}

// unknownMessage builds a protobuf message whose type no process has
// registered, as a peer built from another schema would send.
func unknownMessage(t *testing.T) proto.Message {
	t.Helper()
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name:    proto.String("nodetest/unknown.proto"),
		Package: proto.String("nodetest"),
		Syntax:  proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("Unknown"),
			Field: []*descriptorpb.FieldDescriptorProto{{
				Name: proto.String("text"), Number: proto.Int32(1), JsonName: proto.String("text"),
				Type:  descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(),
				Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
			}},
		}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := dynamicpb.NewMessage(fd.Messages().Get(0))
	m.Set(fd.Messages().Get(0).Fields().Get(0), protoreflect.ValueOfString("boom"))
	return m
}

// TestUnknownTypeRefused: protoactor crashes the receiving process on a
// message type it does not know; a node refuses it instead, the sender's
// request fails with ErrRefused, and the peer keeps serving.
func TestUnknownTypeRefused(t *testing.T) {
	n := local(t)
	p, _ := startPeer(t, "serve")
	echo := actor.NewPID(p.addr, "echo")
	_, err := n.System().Request(ctxT(t), echo, unknownMessage(t))
	if !errors.Is(err, actors.ErrRefused) || !strings.Contains(err.Error(), "nodetest.Unknown") {
		t.Fatalf("request with an unknown type: %v", err)
	}
	reply, err := n.System().Request(ctxT(t), echo, wrapperspb.String("still there?"))
	if err != nil || !strings.HasPrefix(reply.(*wrapperspb.StringValue).Value, "echo still there?") {
		t.Fatalf("after the refusal: %v, %v\npeer stderr:\n%s", reply, err, p.Stderr())
	}
	if !strings.Contains(p.Stderr(), "refused a message from a peer") {
		t.Fatalf("the peer did not log the refusal:\n%s", p.Stderr())
	}
}

// TestLargeMessagesFitFrames: many messages near MaxMessage cross in
// order; with protoactor's defaults a batch of them would exceed gRPC's
// frame limit and be lost silently.
func TestLargeMessagesFitFrames(t *testing.T) {
	n := local(t)
	p, _ := startPeer(t, "serve")
	sink, echo := actor.NewPID(p.addr, "sink"), actor.NewPID(p.addr, "echo")
	const count = 120
	chunk := make([]byte, (1<<20)-256)
	for i := 0; i < count; i++ {
		c := append([]byte(nil), chunk...)
		c[0], c[1] = byte(i), byte(i>>8)
		n.System().Send(sink, wrapperspb.Bytes(c))
	}
	want := fmt.Sprintf("echo count (sink %d)", count)
	for {
		reply, err := n.System().Request(ctxT(t), echo, wrapperspb.String("count"))
		if err != nil {
			t.Fatal(err)
		}
		if got := reply.(*wrapperspb.StringValue).Value; got == want {
			return
		} else if ctxT(t).Err() != nil {
			t.Fatalf("sink got %s, want %d in order", got, count)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPeerDeathReachesWatchers: when a peer process is killed (kill -9),
// watchers of its actors here get Terminated{AddressTerminated}.
func TestPeerDeathReachesWatchers(t *testing.T) {
	n := local(t)
	p, _ := startPeer(t, "serve")
	echo := actor.NewPID(p.addr, "echo")
	term := make(chan *actor.Terminated, 1)
	_, err := n.System().Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			c.Watch(echo)
			c.Request(echo, wrapperspb.String("connect"))
		case *wrapperspb.StringValue:
			p.Kill(t) // the connection is up: now kill the peer
		case *actor.Terminated:
			term <- m
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-term:
		if m.Why != actor.TerminatedReason_AddressTerminated || m.Who.Id != "echo" {
			t.Fatalf("got %v", m)
		}
	case <-ctxT(t).Done():
		t.Fatal("no Terminated after the peer was killed")
	}
}

// TestConfigErrors: bad configurations fail Start with a clear error,
// before anything listens.
func TestConfigErrors(t *testing.T) {
	sys := actors.New()
	defer sys.Close(context.Background())
	for _, cfg := range []node.Config{
		{Addr: "nonsense"},
		{Addr: "127.0.0.1:99999"},
		{MaxMessage: 8 << 20, MaxFrame: 4 << 20},
		{TLS: &node.TLS{}},
	} {
		if n, err := node.Start(sys, cfg); err == nil {
			n.Stop()
			t.Errorf("Start(%+v) succeeded", cfg)
		}
	}
	if _, err := node.Start(nil, node.Config{}); err == nil {
		t.Error("Start(nil) succeeded")
	}
}

// TestStartRefusals: a System that is a node already, or closed, is not
// made a node (again): a second remote on a System would take over its
// address and leave the first node's resolver routing its messages.
func TestStartRefusals(t *testing.T) {
	n := local(t)
	if n2, err := node.Start(n.System(), node.Config{}); err == nil || !strings.Contains(err.Error(), "node already") {
		if n2 != nil {
			n2.Stop()
		}
		t.Errorf("Start of a node's system: %v", err)
	}
	sys := actors.New()
	_ = sys.Close(context.Background())
	if _, err := node.Start(sys, node.Config{}); !errors.Is(err, actors.ErrClosed) {
		t.Errorf("Start of a closed system: %v", err)
	}
}

// TestNonLoopbackWarns: without TLS, listening beyond loopback is allowed
// but said.
func TestNonLoopbackWarns(t *testing.T) {
	p, _ := startPeer(t, "serve", "ACTORIO_PEER_ADDR=0.0.0.0:0")
	p.Stop() // Wait finishes copying the peer's stderr
	if !strings.Contains(p.Stderr(), "without TLS") {
		t.Fatalf("no warning logged:\n%s", p.Stderr())
	}
}
