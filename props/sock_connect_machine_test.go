package props

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/sockactor"
	"pgregory.net/rapid"
)

// TestStreamConnectRapid drives a StreamMachine's connect (inv 31):
// requests before it are refused with ENOTCONN; a second connect while
// one is pending is EALREADY; the transport connects, refuses (the errno
// reaches the caller, one without an errno is EIO), or the connect is
// cancelled, expires or the socket stops. The connect completes exactly
// once (18); a success carries the local and remote addresses and leaves
// a usable stream (a transport read is asked for, a write goes out and
// completes); every other outcome closes the endpoint the connect opened
// (no leak) and leaves the socket idle, free to connect again; a late
// transport report after a withdrawal changes nothing.
func TestStreamConnectRapid(t *testing.T) {
	local := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 40000}
	remote := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 53}
	rapid.Check(t, func(t *rapid.T) {
		m := sockactor.NewStreamMachine(sockactor.StreamConfig{}, false)
		done := map[sockactor.ReqID][]*sockactor.Completion{}
		var connects, closes, reads, writes, flushes int
		var wbytes int
		timers := map[sockactor.ReqID]bool{}
		drain := func() {
			for _, e := range m.Effects() {
				switch e := e.(type) {
				case *sockactor.EffConnect:
					if e.Network != "tcp" || e.Addr != "server:53" {
						t.Fatalf("connect to %s %s, want tcp server:53", e.Network, e.Addr)
					}
					connects++
				case *sockactor.EffClose:
					closes++
				case *sockactor.EffRead:
					reads++
				case *sockactor.EffWrite:
					writes++
					for _, b := range e.Bufs {
						wbytes += len(b)
					}
				case *sockactor.EffFlush:
					flushes++
				case *sockactor.EffStartTimer:
					timers[e.ID] = true
				case *sockactor.EffStopTimer:
					delete(timers, e.ID)
				case *sockactor.Completion:
					if timers[e.ID] {
						t.Fatalf("inv 22: request %d completed with its timer armed", e.ID)
					}
					c := *e
					done[e.ID] = append(done[e.ID], &c)
				}
			}
		}
		once := func(id sockactor.ReqID, what string) *sockactor.Completion {
			if len(done[id]) != 1 {
				t.Fatalf("inv 18: %s (request %d) completed %d times", what, id, len(done[id]))
			}
			return done[id][0]
		}
		if rapid.Bool().Draw(t, "early") {
			id := m.Writev([][]byte{[]byte("x")}, false, 0)
			drain()
			if err := once(id, "a write before connect").Err; sockactor.Errno(err) != syscall.ENOTCONN {
				t.Fatalf("a write before connect: %v, want ENOTCONN", err)
			}
		}
		for round := range rapid.IntRange(1, 3).Draw(t, "rounds") {
			var timeout time.Duration
			if rapid.Bool().Draw(t, "timed") {
				timeout = time.Second
			}
			closed := closes
			id := m.Connect("tcp", "server:53", timeout)
			drain()
			if connects != round+1 || len(done[id]) != 0 || m.State() != sockactor.StateConnecting {
				t.Fatalf("connect %d: %d endpoints asked for, %d completions, state %v", id, connects, len(done[id]), m.State())
			}
			if rapid.Bool().Draw(t, "again") {
				id2 := m.Connect("tcp", "server:53", 0)
				drain()
				if err := once(id2, "a second connect").Err; sockactor.Errno(err) != syscall.EALREADY || connects != round+1 {
					t.Fatalf("a second connect while one is pending: %v, %d endpoints asked for", err, connects)
				}
			}
			outcomes := []string{"connected", "refused", "no errno", "cancel", "stop"}
			if timeout > 0 {
				outcomes = append(outcomes, "expire")
			}
			outcome := rapid.SampledFrom(outcomes).Draw(t, "outcome")
			var want syscall.Errno
			switch outcome {
			case "connected":
				m.OnConnected(local, remote, nil)
			case "refused":
				want = rapid.SampledFrom([]syscall.Errno{syscall.ECONNREFUSED, syscall.ENETUNREACH, syscall.EHOSTUNREACH, syscall.ETIMEDOUT}).Draw(t, "errno")
				m.OnConnected(nil, nil, want)
			case "no errno":
				want = syscall.EIO
				m.OnConnected(nil, nil, errors.New("dial failed"))
			case "cancel":
				want = syscall.ECANCELED
				m.Cancel(id)
			case "expire":
				want = syscall.ETIMEDOUT
				delete(timers, id)
				m.Expire(id)
			case "stop":
				want = syscall.ECONNABORTED
				m.Stop()
			}
			drain()
			c := once(id, "connect "+outcome)
			if want == 0 {
				if c.Err != nil || c.Local != local || c.Remote != remote || m.State() != sockactor.StateConnected {
					t.Fatalf("inv 31: a connect that succeeded: %v, local %v remote %v, state %v", c.Err, c.Local, c.Remote, m.State())
				}
				if closes != closed || reads != 1 {
					t.Fatalf("inv 31: a connected stream closed its endpoint (%d closes) or asks for %d transport reads, want 1", closes-closed, reads)
				}
				w := m.Writev([][]byte{[]byte("query")}, false, 0)
				drain()
				if flushes == 1 {
					m.Flush()
					drain()
				}
				if writes != 1 || wbytes != 5 {
					t.Fatalf("inv 31: a write on the connected stream gave %d transport writes of %d bytes", writes, wbytes)
				}
				m.OnWritten(5, nil)
				drain()
				if c := once(w, "a write on the connected stream"); c.Err != nil || c.N != 5 {
					t.Fatalf("inv 31: a write on the connected stream: %d %v", c.N, c.Err)
				}
				return
			}
			if sockactor.Errno(c.Err) != want {
				t.Fatalf("inv 31: connect %s completed with %v, want %v", outcome, c.Err, want)
			}
			if closes != closed+1 {
				t.Fatalf("inv 31: connect %s closed the endpoint it opened %d times, want once (no leak)", outcome, closes-closed)
			}
			// The transport's late report of the withdrawn connect (or a
			// second one) changes nothing.
			m.OnConnected(local, remote, nil)
			drain()
			once(id, "connect "+outcome+" then a late report")
			if outcome == "stop" {
				if m.State() != sockactor.StateStopped {
					t.Fatalf("state %v after Stop", m.State())
				}
				return
			}
			if m.State() != sockactor.StateIdle || closes != closed+1 {
				t.Fatalf("inv 31: after connect %s and a late report: state %v, %d closes", outcome, m.State(), closes-closed)
			}
		}
	})
}
