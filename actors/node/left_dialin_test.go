package node

import (
	"testing"

	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// TestLeftPeerDialsIn: a peer that left and dials the node again (it
// restarted on its address) is no longer recorded as left once its
// connection's first message, protoactor's ConnectRequest, is read: the
// node never dials it, so no EndpointConnectedEvent cleared the record,
// and a Terminated for its watchers of the node's actors (and an Unwatch)
// was dropped for ever.
func TestLeftPeerDialsIn(t *testing.T) {
	n := &Node{addr: "127.0.0.1:1"}
	g := &guard{n: n}
	const peer = "127.0.0.1:2"
	n.left.ended(peer)
	s := &guardedStream{ServerStream: &recvStream{msg: &remote.RemoteMessage{
		MessageType: &remote.RemoteMessage_ConnectRequest{ConnectRequest: &remote.ConnectRequest{
			ConnectionType: &remote.ConnectRequest_ServerConnection{ServerConnection: &remote.ServerConnection{SystemId: "p", Address: peer}},
		}},
	}}, g: g}
	if err := s.RecvMsg(&remote.RemoteMessage{}); err != nil {
		t.Fatal(err)
	}
	if n.left.has(peer) {
		t.Errorf("a peer that dialled in again is still recorded as left")
	}
}

// recvStream is a gRPC server stream that receives msg.
type recvStream struct {
	grpc.ServerStream
	msg proto.Message
}

func (s *recvStream) RecvMsg(m any) error {
	proto.Merge(m.(proto.Message), s.msg)
	return nil
}
