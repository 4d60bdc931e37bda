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
	// Datagrams arrive from two senders, so that a wrong source shows.
	senders := []net.Addr{src, &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 5353}}
	rapid.Check(t, func(t *rapid.T) {
		m := sockactor.NewDgramMachine(sockactor.DgramConfig{MaxDatagram: 100, RecvQueue: rapid.IntRange(1, 4).Draw(t, "rq")})
		done := map[sockactor.ReqID]int{}
		errs := map[sockactor.ReqID]error{}
		sizes := map[sockactor.ReqID]int{} // each sendto's datagram size
		sendFailures := 0                  // sendto completions with an error
		var arrived [][]byte               // datagrams handed over, in order
		var from []net.Addr                // their senders
		got := 0                           // datagrams received so far
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
					errs[e.ID] = e.Err
					if done[e.ID] > 1 {
						t.Fatalf("inv 18: %d completed twice", e.ID)
					}
					switch e.Kind {
					case sockactor.OpRecvFrom:
						if e.Err == nil {
							if got >= len(arrived) || !bytes.Equal(e.Data, arrived[got]) || e.Src != from[got] {
								t.Fatalf("inv 26/27: datagram %d is %q from %v", got, e.Data, e.Src)
							}
							got++
						}
					case sockactor.OpSendTo, sockactor.OpSendToQueue:
						if e.Err != nil {
							sendFailures++
							break
						}
						if e.N != sizes[e.ID] {
							t.Fatalf("inv 28: sendto %d of %d bytes returned %d", e.ID, sizes[e.ID], e.N)
						}
						if e.Kind == sockactor.OpSendToQueue {
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
				queue := rapid.Bool().Draw(t, "queue")
				busy := sending > 0 || flushes > 0 // a direct sendto with one pending is EBUSY
				last = m.SendTo(p, src, queue, 0)
				sizes[last] = len(p)
				drain()
				errno := sockactor.Errno(errs[last])
				switch {
				case stopped:
				case len(p) == 0 || len(p) > 100:
					want := map[bool]syscall.Errno{true: syscall.EINVAL, false: syscall.EMSGSIZE}[len(p) == 0]
					if done[last] != 1 || errno != want {
						t.Fatalf("inv 28: bad sendto of %d bytes completed %d times with %v, want %v", len(p), done[last], errs[last], want)
					}
				case done[last] == 1 && !(errno == syscall.EBUSY && !queue && busy):
					// inv 29: an earlier refused send leaves no error behind.
					t.Fatalf("inv 29: a valid sendto of %d bytes failed at once with %v", len(p), errs[last])
				}
			},
			"arrive": func(t *rapid.T) {
				if !recvOut {
					t.Skip("no recv outstanding")
				}
				recvOut = false
				p := rapid.SliceOfN(rapid.Byte(), 0, 20).Draw(t, "dgram")
				sender := rapid.SampledFrom(senders).Draw(t, "from")
				arrived, from = append(arrived, p), append(from, sender)
				m.OnDatagram(sockactor.EvDatagram{Data: p, Src: sender})
				drain()
			},
			"sent": func(t *rapid.T) {
				if sending == 0 {
					t.Skip("no batch outstanding")
				}
				results := make([]error, sending)
				refused := rapid.Bool().Draw(t, "refused")
				results[0] = map[bool]error{true: syscall.ECONNREFUSED}[refused]
				sending = 0
				before := sendFailures
				m.OnSent(results)
				drain()
				if n := sendFailures - before; n > 1 || (n == 1 && !refused) {
					// inv 29: only the refused datagram fails, not the
					// rest of its batch.
					t.Fatalf("inv 29: %d sendto failures from a batch with refused=%v", n, refused)
				}
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
				// Rarely: a stopped machine refuses everything, and the
				// other actions would have nothing left to check.
				if rapid.IntRange(0, 5).Draw(t, "really") != 0 {
					t.Skip("rarely")
				}
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
