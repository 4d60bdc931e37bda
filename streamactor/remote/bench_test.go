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
	chunk := make([]byte, benchChunk)
	for i := range chunk {
		chunk[i] = byte(i)
	}
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
	base := func(n int) {
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
	ours(16) // warm up: the connection between the nodes
	b.SetBytes(benchChunk)
	b.ResetTimer()
	benchcmp.Compare(b, ours, base)
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
