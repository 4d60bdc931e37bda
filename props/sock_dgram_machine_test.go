package props

import (
	"bytes"
	"errors"
	"fmt"
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
// (29), EBUSY, sendto-queue completion order and datagrams leaving in
// submission order, once each (12), exactly-once (18), cancel/timeout:
// before the transport has a send it completes at once (19); while the
// transport holds it the machine asks for an abort and the send completes
// only once the transport reports its batch (no sendto completes while
// the transport holds its datagram, as for writev, 10), and the others of
// the batch that the abort kept from leaving go again, first; stop (25).
func TestDgramMachineRapid(t *testing.T) { rapid.Check(t, checkDgramMachine(nil)) }

// checkDgramMachine is one run of the datagram machine, recording what
// it reached in cov (when not nil).
func checkDgramMachine(cov sockCov) func(*rapid.T) {
	src := &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 53}
	// Datagrams arrive from two senders, so that a wrong source shows.
	senders := []net.Addr{src, &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 5353}}
	return func(t *rapid.T) {
		cov.hit("runs")
		m := sockactor.NewDgramMachine(sockactor.DgramConfig{MaxDatagram: 100, RecvQueue: rapid.IntRange(1, 4).Draw(t, "rq"), SendBatch: rapid.IntRange(1, 5).Draw(t, "batch")})
		done := map[sockactor.ReqID]int{}
		errs := map[sockactor.ReqID]error{}
		kinds := map[sockactor.ReqID]sockactor.OpKind{}
		sizes := map[sockactor.ReqID]int{}               // each sendto's datagram size
		idOf := map[*byte]sockactor.ReqID{}              // each sendto's datagram, by its first byte
		withdrawn := map[sockactor.ReqID]syscall.Errno{} // sendtos withdrawn while the transport held them
		left := map[sockactor.ReqID]int{}                // how often each sendto's datagram left
		sendFailures := 0                                // sendto completions with an error
		var arrived [][]byte                             // datagrams handed over, in order
		var from []net.Addr                              // their senders
		got := 0                                         // datagrams received so far
		recvOut, flushes := false, 0
		var batch []sockactor.Outgoing // the transport's outstanding batch
		aborting := false              // the machine asked to abort it
		var lastSend, lastLeft sockactor.ReqID
		var last sockactor.ReqID
		stopped := false
		holds := func(id sockactor.ReqID) bool { // the transport reads id's datagram
			for _, o := range batch {
				if len(o.Data) > 0 && idOf[&o.Data[0]] == id {
					return true
				}
			}
			return false
		}
		drain := func() {
			for _, e := range m.Effects() {
				switch e := e.(type) {
				case *sockactor.EffRecv:
					recvOut = true
				case *sockactor.EffFlush:
					flushes++
				case *sockactor.EffSend:
					if batch != nil {
						t.Fatalf("a second send batch while one is outstanding")
					}
					batch = e.Batch
				case *sockactor.EffAbortSend:
					if batch == nil || aborting {
						t.Fatalf("an abort with no send batch outstanding, or a second one")
					}
					aborting = true
				case *sockactor.Completion:
					cov.outcome(e.Kind, e.Err)
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
							if len(e.Data) == 0 {
								cov.hit("recvfrom of a zero-length datagram")
							}
							got++
						}
					case sockactor.OpSendTo, sockactor.OpSendToQueue:
						if !stopped && holds(e.ID) {
							t.Fatalf("inv 10: sendto %d completed (%v) while the transport still holds its datagram", e.ID, e.Err)
						}
						if errno, ok := withdrawn[e.ID]; ok && sockactor.Errno(e.Err) != errno {
							t.Fatalf("sendto %d withdrawn (%v) while at the transport completed with %v", e.ID, errno, e.Err)
						}
						if e.Err != nil {
							sendFailures++
							break
						}
						if e.N != sizes[e.ID] {
							t.Fatalf("inv 28: sendto %d of %d bytes returned %d", e.ID, sizes[e.ID], e.N)
						}
						if left[e.ID] != 1 {
							t.Fatalf("sendto %d succeeded, but its datagram left %d times", e.ID, left[e.ID])
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
		// withdraw cancels or expires a request: mostly a pending one,
		// half of those a sendto the transport holds.
		withdraw := func(t *rapid.T, errno syscall.Errno, do func(sockactor.ReqID)) {
			if last == 0 {
				t.Skip("no request yet")
			}
			var pending, held []sockactor.ReqID
			for id := sockactor.ReqID(1); id <= last; id++ {
				if done[id] == 0 {
					pending = append(pending, id)
					if holds(id) {
						held = append(held, id)
					}
				}
			}
			id := sockactor.ReqID(rapid.IntRange(1, int(last)).Draw(t, "id"))
			switch pick := rapid.IntRange(0, 3).Draw(t, "pick"); {
			case pick < 2 && len(held) > 0:
				id = rapid.SampledFrom(held).Draw(t, "held")
			case pick < 3 && len(pending) > 0:
				id = rapid.SampledFrom(pending).Draw(t, "pending")
			}
			send := kinds[id] == sockactor.OpSendTo || kinds[id] == sockactor.OpSendToQueue
			atTransport := send && done[id] == 0 && holds(id) && !stopped
			early := send && done[id] == 0 && !holds(id) && !stopped
			if _, again := withdrawn[id]; atTransport && !again {
				withdrawn[id] = errno
			}
			do(id)
			drain()
			switch {
			case atTransport:
				cov.hit("withdraw a sendto the transport holds")
				if done[id] != 0 || !aborting {
					t.Fatalf("sendto %d withdrawn while at the transport: completed %d times, abort asked: %v; want no completion and an abort", id, done[id], aborting)
				}
			case early:
				cov.hit("withdraw a sendto before the transport has it")
				// inv 19: a send the transport was not given completes at
				// once with the errno.
				if done[id] != 1 || sockactor.Errno(errs[id]) != errno {
					t.Fatalf("inv 19: sendto %d withdrawn before the transport had it completed %d times with %v, want %v", id, done[id], errs[id], errno)
				}
			}
		}
		// send submits a sendto of p and checks its immediate outcome.
		send := func(t *rapid.T, p []byte, queue bool) {
			p = append([]byte(nil), p...)       // its own array: the transport's batch names it
			busy := batch != nil || flushes > 0 // a direct sendto with one pending is EBUSY
			last = m.SendTo(p, src, queue, 0)
			sizes[last] = len(p)
			kinds[last] = map[bool]sockactor.OpKind{false: sockactor.OpSendTo, true: sockactor.OpSendToQueue}[queue]
			if len(p) > 0 {
				idOf[&p[0]] = last
			}
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
		}
		drain()
		t.Repeat(cov.actions(map[string]func(*rapid.T){
			"recv": func(t *rapid.T) {
				var d time.Duration
				if rapid.Bool().Draw(t, "timed") {
					d = time.Second
				}
				last = m.RecvFrom(d)
				kinds[last] = sockactor.OpRecvFrom
				drain()
			},
			"send": func(t *rapid.T) {
				// Sizes at the limit too: drawn from 0..120 a datagram
				// was never over the 100-byte maximum (EMSGSIZE, inv 28).
				p := rapid.SliceOfN(rapid.Byte(), 0, 20).Draw(t, "p")
				if n := rapid.OneOf(rapid.Just(-1), rapid.Just(-1), rapid.IntRange(99, 101)).Draw(t, "size"); n >= 0 {
					p = append(p, make([]byte, n)...)[:n]
				}
				send(t, p, rapid.Bool().Draw(t, "queue"))
			},
			"burst": func(t *rapid.T) {
				// A few queued sends and their flush: batches of several
				// datagrams, in which one may be withdrawn and the others
				// kept from leaving by its abort.
				for n := rapid.IntRange(2, 4).Draw(t, "burst"); n > 0; n-- {
					send(t, rapid.SliceOfN(rapid.Byte(), 1, 9).Draw(t, "p"), true)
				}
				if flushes > 0 {
					flushes--
					m.Flush()
					drain()
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
				if batch == nil {
					t.Skip("no batch outstanding")
				}
				ids := make([]sockactor.ReqID, len(batch))
				for i, o := range batch {
					ids[i] = idOf[&o.Data[0]]
				}
				results := make([]error, len(batch))
				refused := rapid.Bool().Draw(t, "refused")
				results[0] = map[bool]error{true: syscall.ECONNREFUSED}[refused]
				cut := len(batch) // results[cut:]: kept from leaving by the abort
				if aborting && rapid.Bool().Draw(t, "aborted") {
					cut = rapid.IntRange(0, len(batch)).Draw(t, "cut")
					for i := cut; i < len(results); i++ {
						results[i] = fmt.Errorf("%w: i/o timeout", sockactor.ErrSendAborted)
					}
				}
				wantFailures := 0
				var again []sockactor.ReqID // to be sent again, in order
				for i, id := range ids {
					switch _, w := withdrawn[id]; {
					case results[i] == nil:
						left[id]++
						if left[id] > 1 {
							t.Fatalf("the datagram of sendto %d left twice", id)
						}
						// Datagrams leave in submission order (a direct
						// sendto only ever goes out alone, after the rest).
						if id < lastLeft {
							t.Fatalf("inv 12: the datagram of sendto %d left after that of %d", id, lastLeft)
						}
						lastLeft = id
						if w {
							wantFailures++
						}
					case w || !errors.Is(results[i], sockactor.ErrSendAborted):
						wantFailures++
					default:
						again = append(again, id)
					}
				}
				batch, aborting = nil, false
				before := sendFailures
				m.OnSent(results)
				drain()
				if stopped {
					// Stop completed everything; the transport lets go
					// only now (the shell holds those completions until
					// then).
					if sendFailures != before {
						t.Fatalf("a batch reported after stop completed sendtos again")
					}
					return
				}
				if n := sendFailures - before; n != wantFailures {
					// inv 29: only the refused datagram fails, and the
					// withdrawn ones, not the rest of its batch.
					t.Fatalf("inv 29: %d sendto failures from a batch of %d with refused=%v, %d withdrawn, aborted from %d: want %d", n, len(ids), refused, len(withdrawn), cut, wantFailures)
				}
				for i, id := range ids {
					if errors.Is(results[i], sockactor.ErrSendAborted) != (done[id] == 0) {
						if _, w := withdrawn[id]; !w || done[id] == 0 {
							t.Fatalf("sendto %d reported %v by its batch: completed %d times", id, results[i], done[id])
						}
					}
				}
				// The datagrams kept from leaving go again, first, in order.
				if len(again) > 0 {
					cov.hit("sendto kept from leaving by an abort, sent again")
					if batch == nil {
						t.Fatalf("sendtos %v kept from leaving by an abort were not sent again", again)
					}
					for i, id := range again {
						if i >= len(batch) {
							break
						}
						if got := idOf[&batch[i].Data[0]]; got != id {
							t.Fatalf("the batch after an abort sends sendto %d at %d, want %d (kept from leaving: %v)", got, i, id, again)
						}
					}
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
			"cancel": func(t *rapid.T) { withdraw(t, syscall.ECANCELED, m.Cancel) },
			"expire": func(t *rapid.T) { withdraw(t, syscall.ETIMEDOUT, m.Expire) },
			"stop": func(t *rapid.T) {
				// Rarely: a stopped machine refuses everything, and the
				// other actions would have nothing left to check (one in
				// six stopped 70 runs of 100).
				if !oneIn(t, "really", 24) {
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
		}))
	}
}
