package props

import (
	"bytes"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/sockactor"
	"pgregory.net/rapid"
)

// TestDgramMachineRapid drives a DgramMachine: datagrams whole with their
// source (26), empty ones delivered without blocking later ones (27),
// sendto's EINVAL/EMSGSIZE and exact results (28), errors not sticky
// (29), EBUSY, sendto-queue completion order (12), exactly-once (18),
// cancel/timeout, stop (25).
func TestDgramMachineRapid(t *testing.T) {
	src := &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 53}
	rapid.Check(t, func(t *rapid.T) {
		m := sockactor.NewDgramMachine(sockactor.DgramConfig{MaxDatagram: 100, RecvQueue: rapid.IntRange(1, 4).Draw(t, "rq")})
		done := map[sockactor.ReqID]int{}
		var arrived [][]byte // datagrams handed over, in order
		got := 0             // datagrams received so far
		recvOut, sending, flushes := false, 0, 0
		var lastSend sockactor.ReqID
		var last sockactor.ReqID
		stopped := false
		drain := func() {
			for _, e := range m.Effects() {
				switch e := e.(type) {
				case *sockactor.EffRecv:
					recvOut = true
				case *sockactor.EffFlush:
					flushes++
				case *sockactor.EffSend:
					sending = len(e.Batch)
				case *sockactor.Completion:
					done[e.ID]++
					if done[e.ID] > 1 {
						t.Fatalf("inv 18: %d completed twice", e.ID)
					}
					switch e.Kind {
					case sockactor.OpRecvFrom:
						if e.Err == nil {
							if got >= len(arrived) || !bytes.Equal(e.Data, arrived[got]) || e.Src != src {
								t.Fatalf("inv 26/27: datagram %d is %q from %v", got, e.Data, e.Src)
							}
							got++
						}
					case sockactor.OpSendToQueue:
						if e.Err == nil {
							if e.ID < lastSend {
								t.Fatalf("inv 12: sendto %d completed after %d", e.ID, lastSend)
							}
							lastSend = e.ID
						}
					}
				}
			}
		}
		drain()
		t.Repeat(map[string]func(*rapid.T){
			"recv": func(t *rapid.T) {
				var d time.Duration
				if rapid.Bool().Draw(t, "timed") {
					d = time.Second
				}
				last = m.RecvFrom(d)
				drain()
			},
			"send": func(t *rapid.T) {
				p := rapid.SliceOfN(rapid.Byte(), 0, 120).Draw(t, "p")
				last = m.SendTo(p, src, rapid.Bool().Draw(t, "queue"), 0)
				drain()
				if !stopped && (len(p) == 0 || len(p) > 100) {
					if done[last] != 1 {
						t.Fatalf("inv 28: bad sendto of %d bytes still pending", len(p))
					}
				}
			},
			"arrive": func(t *rapid.T) {
				if !recvOut {
					t.Skip("no recv outstanding")
				}
				recvOut = false
				p := rapid.SliceOfN(rapid.Byte(), 0, 20).Draw(t, "dgram")
				arrived = append(arrived, p)
				m.OnDatagram(sockactor.EvDatagram{Data: p, Src: src})
				drain()
			},
			"sent": func(t *rapid.T) {
				if sending == 0 {
					t.Skip("no batch outstanding")
				}
				errs := make([]error, sending)
				errs[0] = map[bool]error{true: syscall.ECONNREFUSED}[rapid.Bool().Draw(t, "refused")]
				sending = 0
				m.OnSent(errs)
				drain()
			},
			"flush": func(t *rapid.T) {
				if flushes == 0 {
					t.Skip("no flush asked for")
				}
				flushes--
				m.Flush()
				drain()
			},
			"cancel": func(t *rapid.T) {
				if last == 0 {
					t.Skip()
				}
				m.Cancel(sockactor.ReqID(rapid.IntRange(1, int(last)).Draw(t, "id")))
				drain()
			},
			"expire": func(t *rapid.T) {
				if last == 0 {
					t.Skip()
				}
				m.Expire(sockactor.ReqID(rapid.IntRange(1, int(last)).Draw(t, "id")))
				drain()
			},
			"stop": func(t *rapid.T) {
				stopped = true
				m.Stop()
				drain()
				for id := sockactor.ReqID(1); id <= last; id++ {
					if done[id] != 1 {
						t.Fatalf("inv 25: request %d completed %d times after stop", id, done[id])
					}
				}
			},
		})
	})
}
