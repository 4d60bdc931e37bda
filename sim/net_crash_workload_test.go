package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/sockactor"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// The socket-crash workload: a client on a node that never crashes
// exchanges fixed-size PDUs with an echo server on a node that crashes
// and restarts (and binds the same port again each time), over a socket
// network with the seed's socket faults (resets, refusals, partitions,
// clogs), one connection per exchange, retrying an exchange on a new
// connection when one fails. No request has a timeout: only the
// network's own behaviour (a crashed peer's FIN or reset, a refusal) can
// end an exchange with a dead server. Checked:
//
//	C1 every request completes (no wait runs out of things to do)
//	C2 a failed exchange failed with an error a crashed or faulty peer
//	   gives (reset, EOF, refused, aborted), never any other
//	C3 every echo is the PDU sent on that connection, intact
//	C4 every exchange completes (liveness), and one begun on a
//	   connection made after the heal never fails
const (
	crashPDU       = 16
	crashExchanges = 12
)

// crashEcho is the server's actor: it echoes each accepted connection's
// PDUs until the connection fails.
func crashEcho(c actor.Context) {
	type conn struct {
		c   *sockactor.Conn
		buf []byte
	}
	read := func(st *conn) {
		c.Send(st.c.PID(), &sockactor.ReadPDU{Next: sockactor.ReadFull(st.buf), ReplyTo: c.Self(), Tag: st})
	}
	switch m := c.Message().(type) {
	case *sockactor.AcceptDone:
		if m.Err == nil {
			read(&conn{c: m.Conn, buf: make([]byte, crashPDU)})
		}
	case *sockactor.ReadPDUDone:
		st := m.Tag.(*conn)
		if m.Err != nil {
			st.c.Close()
			return
		}
		c.Send(st.c.PID(), &sockactor.Writev{Bufs: [][]byte{bytes.Clone(st.buf)}, ReplyTo: c.Self(), Tag: st})
	case *sockactor.WritevDone:
		st := m.Tag.(*conn)
		if m.Err != nil {
			st.c.Close()
			return
		}
		read(st)
	}
}

// peerFailure reports whether err is one a peer's crash or a network
// fault explains (C2).
func peerFailure(err error) bool {
	switch sockactor.Errno(err) {
	case syscall.ECONNRESET, syscall.EPIPE, syscall.ECONNREFUSED, syscall.ECONNABORTED:
		return true
	}
	return false
}

// socketCrashScenario is the workload as a Scenario; stats counts the
// failed exchanges, the server's boots and the exchanges begun after the
// heal, over every run.
func socketCrashScenario(stats *struct{ failed, boots, afterHeal int }) sim.Scenario {
	return sim.Scenario{Name: "socket-crash", Run: func(w *sim.World) error {
		ctx := context.Background()
		n := sim.NewNetwork(w, sim.NetConfig{Latency: 200 * time.Microsecond, Jitter: 300 * time.Microsecond, MaxSegment: 1 + w.Rand("test/segment").IntN(crashPDU)})
		boot := func(sys *actors.System) error {
			stats.boots++
			echo, err := sys.SpawnNamed(actor.PropsFromFunc(crashEcho), "echo")
			if err != nil {
				return err
			}
			_, err = sockactor.Listen(sys, n.Host("srv"), "tcp", ":7000", sockactor.AcceptTo(echo))
			return err
		}
		if _, err := w.Boot("srv", boot); err != nil {
			return err
		}
		cli := w.MustNode("cli")
		for i := 0; i < crashExchanges; i++ {
			pdu := []byte(fmt.Sprintf("exchange %7d", i))
			for attempt := 0; ; attempt++ {
				if attempt > 1000 {
					return errors.Errorf("C4: exchange %d: %d attempts", i, attempt)
				}
				afterHeal := w.Healed()
				err := crashExchange(ctx, w, cli, n, pdu)
				if err == nil {
					if afterHeal {
						stats.afterHeal++
					}
					break
				}
				if !peerFailure(err) {
					return errors.Wrapf(err, "C1/C2: exchange %d at %v", i, w.Now())
				}
				if afterHeal {
					return errors.Wrapf(err, "C4: exchange %d, begun after the heal at %v, failed at %v", i, w.HealTime(), w.Now())
				}
				stats.failed++
				if _, err := w.Run(w.For(5 * time.Millisecond)); err != nil { // back off
					return err
				}
			}
			// Pace the exchanges so that they span the heal.
			if _, err := w.Run(w.For(30 * time.Millisecond)); err != nil {
				return err
			}
		}
		return nil
	}}
}

// crashExchange sends pdu to the server on a new connection and reads
// its echo (C3).
func crashExchange(ctx context.Context, w *sim.World, cli *actors.System, n *sim.Network, pdu []byte) error {
	c, err := sockactor.Dial(ctx, cli, n.Host("cli"), "tcp", "srv:7000")
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Writev(pdu).Wait(ctx); err != nil {
		return err
	}
	got := make([]byte, len(pdu))
	if _, err := c.ReadPDU(sockactor.ReadFull(got)).Wait(ctx); err != nil {
		return err
	}
	if !bytes.Equal(got, pdu) {
		return errors.Errorf("C3: sent %q, echoed %q", pdu, got)
	}
	return nil
}

// crashProfile is seed's swarm profile with the server crashing often and
// the socket network's faults on, healing at 300ms.
func crashProfile(seed uint64) sim.Profile {
	p := sim.Swarm(seed)
	p.Name, p.FaultTime = "socket-crash", sim.Duration(300*time.Millisecond)
	p.Crashes = &sim.CrashFaults{Every: sim.Duration(20 * time.Millisecond), DownMin: sim.Duration(time.Millisecond), DownMax: sim.Duration(30 * time.Millisecond)}
	p.Panics, p.Buggify = nil, nil
	if p.Devices["socket"] == nil {
		if p.Devices == nil {
			p.Devices = map[string]json.RawMessage{}
		}
		p.Devices["socket"] = json.RawMessage(`{"reset":0.01,"refuse":0.1,"partition_rate":2,"partition_max":"50ms","clog_rate":2,"clog_max":"20ms"}`)
	}
	return p
}

// TestSocketCrashWorkload runs the socket-crash workload over many seeds
// (C1–C4), and checks a few of them for determinism.
func TestSocketCrashWorkload(t *testing.T) {
	var stats struct{ failed, boots, afterHeal int }
	sc := socketCrashScenario(&stats)
	seeds := uint64(60)
	if testing.Short() {
		seeds = 15
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		if out := sim.RunScenario(sc, seed, sim.WithProfile(crashProfile(seed))); out.Err != nil {
			t.Fatalf("seed %d (%v): %v", seed, out.Profile, out.Err)
		}
	}
	// The faults must have acted: the server restarted, exchanges
	// failed and were retried, and the workload went on after the heal.
	if stats.boots < 2*int(seeds) || stats.failed < int(seeds) || stats.afterHeal < int(seeds) {
		t.Fatalf("%d seeds: %d server boots, %d failed exchanges, %d exchanges after the heal: the crashes did not bite",
			seeds, stats.boots, stats.failed, stats.afterHeal)
	}
	t.Logf("%d seeds: %d server boots, %d failed exchanges, %d exchanges after the heal", seeds, stats.boots, stats.failed, stats.afterHeal)
	for seed := uint64(1); seed <= 3; seed++ {
		if _, div := sim.CheckDeterminism(sc, seed, sim.WithProfile(crashProfile(seed))); div != nil {
			t.Fatal(div)
		}
	}
}
