package signalbus_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
)

// pair is a simulated world with a signal served on node a and a bus on
// node b that sees it as a remote signal.
type pair struct {
	w    *sim.World
	busA *signalbus.Bus
	sig  *signalbus.Signal[blockIO]
	srv  *signalbus.Server
	busB *signalbus.Bus
	rs   *signalbus.RemoteSignal[blockIO]
}

func newPair(t *testing.T, seed uint64, opts ...sim.Option) *pair {
	t.Helper()
	p := &pair{w: sim.New(seed, opts...)}
	p.busA = signalbus.New(p.w.MustNode("a"))
	var err error
	if p.sig, err = signalbus.NewSignal[blockIO](p.busA, "BlockIOEvent", signalbus.WithArgs("device")); err != nil {
		t.Fatal(err)
	}
	if p.srv, err = signalbus.Serve(p.busA); err != nil {
		t.Fatal(err)
	}
	p.busB = signalbus.New(p.w.MustNode("b"))
	if p.rs, err = signalbus.Remote[blockIO](p.busB, "a", "BlockIOEvent"); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs the world for d of virtual time.
func (p *pair) run(t *testing.T, d time.Duration) {
	t.Helper()
	if _, err := p.w.Run(p.w.For(d)); err != nil {
		t.Fatal(err)
	}
}

func (p *pair) close(t *testing.T) {
	t.Helper()
	p.busB.Close()
	p.busA.Close()
	if err := p.w.Close(); err != nil {
		t.Fatal(err)
	}
}

// localConns returns the connections of the served signal on node a.
func (p *pair) localConns(t *testing.T) int {
	t.Helper()
	st, err := p.sig.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(st.Conns)
}

// TestRemoteConnectFilterTagsDisconnect: a slot on node b sees the events
// of a signal on node a with its own handle as tag, filtered by accessor
// argument, in order; after Disconnect returns it sees nothing more, and
// node a's connection goes.
func TestRemoteConnectFilterTagsDisconnect(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		p := newPair(t, seed, sim.WithProfile(sim.Profile{Name: "latency",
			Net: sim.NetFaults{LatencyMin: sim.Duration(time.Millisecond), LatencyMax: sim.Duration(5 * time.Millisecond)}}))
		rec := newRecorder()
		ctx := context.Background()
		hAll, err := p.rs.Connect(ctx, rec.slot(nil))
		if err != nil {
			t.Fatal(err)
		}
		hA, err := p.rs.Connect(ctx, rec.slot(nil), signalbus.Arg("device", "a"))
		if err != nil {
			t.Fatal(err)
		}
		if hAll == hA || hAll == "" {
			t.Fatalf("handles %q %q", hAll, hA)
		}
		if n := p.localConns(t); n != 2 {
			t.Fatalf("node a has %d connections, want 2", n)
		}
		for i := 1; i <= 6; i++ {
			dev := []string{"a", "b"}[i%2]
			_ = p.sig.Emit(blockIO{Device: dev, N: i}, dev)
		}
		p.run(t, 200*time.Millisecond)
		if got, want := fmt.Sprint(rec.of(hAll)), "[b/1 a/2 b/3 a/4 b/5 a/6]"; got != want {
			t.Fatalf("seed %d: unfiltered got %s, want %s", seed, got, want)
		}
		if got, want := fmt.Sprint(rec.of(hA)), "[a/2 a/4 a/6]"; got != want {
			t.Fatalf("seed %d: filtered got %s, want %s", seed, got, want)
		}
		if err := p.rs.Disconnect(ctx, hA); err != nil {
			t.Fatal(err)
		}
		_ = p.sig.Emit(blockIO{Device: "a", N: 7}, "a")
		p.run(t, 200*time.Millisecond)
		if got := fmt.Sprint(rec.of(hA)); got != "[a/2 a/4 a/6]" {
			t.Fatalf("seed %d: after Disconnect: %s", seed, got)
		}
		if got := rec.of(hAll); len(got) != 7 {
			t.Fatalf("seed %d: unfiltered after: %v", seed, got)
		}
		if n := p.localConns(t); n != 1 {
			t.Fatalf("seed %d: node a has %d connections after the disconnect, want 1", seed, n)
		}
		if err := p.rs.Disconnect(ctx, hA); !errors.Is(err, signalbus.ErrUnknownHandle) {
			t.Fatalf("second Disconnect: %v", err)
		}
		p.close(t)
	}
}

// TestRemoteConnectRefused: a signal the server does not have, or an
// accessor argument it does not know, is refused with a clear error; the
// handle is not left behind.
func TestRemoteConnectRefused(t *testing.T) {
	p := newPair(t, 1)
	ctx := context.Background()
	other, err := signalbus.Remote[blockIO](p.busB, "a", "NoSuchEvent")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Connect(ctx, newRecorder().slot(nil)); !errors.Is(err, signalbus.ErrUnknownType) {
		t.Fatalf("unknown type: %v", err)
	}
	if _, err := p.rs.Connect(ctx, newRecorder().slot(nil), signalbus.Arg("nope", "x")); !errors.Is(err, signalbus.ErrBadArgument) {
		t.Fatalf("bad argument: %v", err)
	}
	st, err := p.busB.RemoteStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Open+st.Connecting+st.Closing != 0 || st.Lost != 2 {
		t.Fatalf("client stats %+v", st)
	}
	sst, err := p.srv.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sst.Refused != 2 || len(sst.Conns) != 0 {
		t.Fatalf("server stats %+v", sst)
	}
	p.close(t)
}

// TestRemoteUnreachable: a connect to a node without a server fails at
// once (the watch of the server says it is not there); to a server cut
// off by a partition, after the bus's connect timeout.
func TestRemoteUnreachable(t *testing.T) {
	w := sim.New(1, sim.WithRemote(sim.RemoteOptions{Keepalive: time.Minute}))
	w.MustNode("a") // no server
	busB := signalbus.New(w.MustNode("b"), signalbus.WithRemoteTimeouts(50*time.Millisecond, time.Second))
	rs, err := signalbus.Remote[blockIO](busB, "a", "BlockIOEvent")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Connect(context.Background(), newRecorder().slot(nil)); !errors.Is(err, signalbus.ErrPeerGone) {
		t.Fatalf("connect to no server: %v", err)
	}
	busC := signalbus.New(w.MustNode("c"))
	if _, err := signalbus.Serve(busC); err != nil {
		t.Fatal(err)
	}
	if err := w.Partition("b", "c", false); err != nil {
		t.Fatal(err)
	}
	rc, err := signalbus.Remote[blockIO](busB, "c", "BlockIOEvent")
	if err != nil {
		t.Fatal(err)
	}
	start := w.Now()
	if _, err := rc.Connect(context.Background(), newRecorder().slot(nil)); !errors.Is(err, actors.ErrTimeout) {
		t.Fatalf("connect across a partition: %v", err)
	}
	if took := w.Now() - start; took < time.Second || took > 2*time.Second {
		t.Fatalf("gave up after %v of virtual time", took)
	}
	busB.Close()
	busC.Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
