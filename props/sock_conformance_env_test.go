package props

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/sockactor"
)

// TestSockConformanceReal runs the suite on real loopback sockets.
func TestSockConformanceReal(t *testing.T) {
	SockConformance(t, SockEnv{
		Name: "real",
		Setup: func(t *testing.T) (*actors.System, sockactor.Transport, sockactor.Transport) {
			sys := actors.New()
			t.Cleanup(func() {
				if err := sys.Close(context.Background()); err != nil {
					t.Error(err)
				}
			})
			tr := sockactor.RealTransport()
			return sys, tr, tr
		},
		StreamAddr: func(t *testing.T, network string) string {
			if network == "unix" {
				return filepath.Join(t.TempDir(), "s")
			}
			return "127.0.0.1:0"
		},
		PacketAddr: func(*testing.T) string { return "127.0.0.1:0" },
		BigWrite:   32 << 20,
	})
}

// TestSockConformanceSim runs the suite on the simulated network, with
// writes cut into random segments of 1..7 bytes, over several seeds.
func TestSockConformanceSim(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		SockConformance(t, SockEnv{
			Name: "sim",
			Setup: func(t *testing.T) (*actors.System, sockactor.Transport, sockactor.Transport) {
				w := sim.New(seed)
				sys := w.MustNode("n1")
				n := sim.NewNetwork(w, sim.NetConfig{Latency: 100_000, Jitter: 50_000, MaxSegment: 7})
				t.Cleanup(func() {
					if err := w.Close(); err != nil {
						t.Error(err)
					}
				})
				return sys, n.Host("client"), n.Host("server")
			},
			StreamAddr: func(t *testing.T, network string) string {
				if network == "unix" {
					return "/run/s.sock"
				}
				return "server:0"
			},
			PacketAddr: func(*testing.T) string { return ":0" },
			BigWrite:   1 << 20,
		})
	}
}
