package sockactor_test

import (
	"context"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/internal/benchcmp"
	"github.com/actorio/actorio/sockactor"
)

// BenchmarkIdleSocketMemory: the memory an idle socket costs (a bound UDP
// socket on loopback: its actor, its driver goroutines and buffers), as
// B/socket over 200 of them.
func BenchmarkIdleSocketMemory(b *testing.B) {
	const n = 200
	ctx := context.Background()
	sys := actors.New()
	defer sys.Close(ctx)
	benchcmp.MemPer(b, n, "B/socket", func() func() {
		socks := make([]*sockactor.Dgram, n)
		for j := range socks {
			d, err := sockactor.ListenPacket(sys, sockactor.RealTransport(), "udp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			socks[j] = d
		}
		return func() {
			for _, d := range socks {
				d.Close()
			}
			for _, d := range socks {
				if err := d.WaitStopped(ctx); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
