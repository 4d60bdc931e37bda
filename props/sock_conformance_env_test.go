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
		Name:       "real",
		Concurrent: true,
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

// TestSockInvariantsListed: all 31 invariants of research §6 are listed,
// each checked somewhere or stated not applicable.
func TestSockInvariantsListed(t *testing.T) {
	seen := map[int]bool{}
	for _, inv := range SockInvariants {
		if seen[inv.N] || inv.N < 1 || inv.N > 31 {
			t.Fatalf("invariant %d listed twice or out of range", inv.N)
		}
		seen[inv.N] = true
		if inv.Checked == "" && inv.NA == "" {
			t.Fatalf("invariant %d: neither checked nor stated not applicable", inv.N)
		}
	}
	if len(seen) != 31 {
		t.Fatalf("%d invariants listed, want 31", len(seen))
	}
}
