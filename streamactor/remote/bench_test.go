package remote_test

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/actorio/actorio/internal/benchcmp"
	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const benchChunk = 256 << 10

// benchWindow is the receiving end's window: 64 chunks, enough to keep
// the link busy while credit comes back across the two processes.
const benchWindow = 64 * (benchChunk + streamactor.SegmentOverhead)

// BenchmarkRemoteStream: a remote stream from this process to a peer
// process over loopback (protoactor remote, gRPC), 256 KiB chunks, the
// peer draining it; against raw TCP io.Copy of the same bytes between
// the same two processes, in the same run. Each side's run ends when the
// peer confirmed it has everything (our Finish; the baseline's one-byte
// answer after the end of the connection).
func BenchmarkRemoteStream(b *testing.B) {
	sys := local(b).System()
	p := startPeer(b)
	svc := actor.NewPID(p.addr, "streams")
	ctx := context.Background()
	chunk := benchPattern()
	ours := func(n int) {
		st, err := remote.Dial(ctx, sys, svc, streamactor.RoleSender, "sink", peerOptions(), streamactor.Window(benchWindow))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Free()
		for i := 0; i < n; i++ {
			if _, err := st.Send(ctx, chunk); err != nil {
				b.Fatal(err)
			}
		}
		if err := st.Finish(ctx); err != nil {
			b.Fatal(err)
		}
	}
	ours(16) // warm up: the connection between the nodes
	b.SetBytes(benchChunk)
	b.ResetTimer()
	benchcmp.Compare(b, ours, tcpCopy(b, p, chunk))
}

// tcpCopy is the baseline: io.Copy of n chunks to the peer over raw TCP,
// until the peer answered that it has them all.
func tcpCopy(b *testing.B, p *peer, chunk []byte) func(n int) {
	return func(n int) {
		c, err := net.Dial("tcp", p.tcp)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		if _, err := io.Copy(c, &chunks{p: chunk, n: n}); err != nil {
			b.Fatal(err)
		}
		if err := c.(*net.TCPConn).CloseWrite(); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRemoteBareProtoactor: the transport alone, for comparison with
// BenchmarkRemoteStream: the same 256 KiB chunks sent as BytesValue
// messages to an actor in the peer process, over protoactor remote with
// the same node settings, and no stream protocol (no sequence numbers,
// credits or acknowledgements; a round trip every 64 chunks so that
// protoactor's bounded queues drop nothing), against the same raw TCP
// io.Copy. Its ratio is the ceiling any protocol on protoactor remote
// can reach on this machine.
func BenchmarkRemoteBareProtoactor(b *testing.B) {
	sys := local(b).System()
	p := startPeer(b)
	sink := actor.NewPID(p.addr, "bytes")
	ctx := context.Background()
	chunk := benchPattern()
	var sent int64
	bare := func(n int) {
		for n > 0 {
			batch := min(n, 64)
			for i := 0; i < batch; i++ {
				sys.Send(sink, wrapperspb.Bytes(chunk))
			}
			n -= batch
			sent += int64(batch)
			if _, err := sys.Request(ctx, sink, wrapperspb.Int64(sent)); err != nil {
				b.Fatal(err)
			}
		}
	}
	bare(16)
	b.SetBytes(benchChunk)
	b.ResetTimer()
	benchcmp.Compare(b, bare, tcpCopy(b, p, chunk))
}

// benchPattern is a chunk of the benchmarks' bytes.
func benchPattern() []byte {
	chunk := make([]byte, benchChunk)
	for i := range chunk {
		chunk[i] = byte(i)
	}
	return chunk
}

// chunks reads as n copies of p.
type chunks struct {
	p   []byte
	n   int
	off int
}

func (c *chunks) Read(q []byte) (int, error) {
	if c.n == 0 {
		return 0, io.EOF
	}
	k := copy(q, c.p[c.off:])
	if c.off += k; c.off == len(c.p) {
		c.off, c.n = 0, c.n-1
	}
	return k, nil
}
