package signalbus_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actorio/actorio/signalbus"
)

// eventLog collects the subscriber's EV lines per tag.
type eventLog map[string][]string

func (l eventLog) add(line string) bool {
	f := strings.Fields(line)
	if len(f) != 5 || f[0] != "EV" {
		return false
	}
	l[f[1]] = append(l[f[1]], f[2]+"/"+f[3])
	return true
}

// eventually polls cond every 20ms for up to 20s.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 20s: %s", what, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRemoteAcrossProcesses: a subscriber process connects to a signal of
// this process's node over protoactor remote; it receives tagged,
// filtered events in order; its Disconnect is a barrier and removes the
// connection here; a connect to an unknown event type is refused; and
// when the subscriber is killed (kill -9) with events in flight to a
// stalled slot, its connections are removed here and what was in flight
// and queued for it is counted.
func TestRemoteAcrossProcesses(t *testing.T) {
	n := localNode(t)
	bus := signalbus.New(n.System())
	defer bus.Close()
	sig, err := signalbus.NewSignal[blockIO](bus, "BlockIOEvent", signalbus.WithArgs("device"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var losses []signalbus.PeerLoss
	srv, err := signalbus.Serve(bus, signalbus.OnPeerLoss(func(l signalbus.PeerLoss) {
		mu.Lock()
		defer mu.Unlock()
		losses = append(losses, l)
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conns := func() int {
		st, err := sig.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(st.Conns)
	}

	sub := startSubscriber(t, n.Address())
	f := strings.Fields(sub.until(t, "CONNECTED "))
	h1, h2 := f[1], f[2]
	if conns() != 2 {
		t.Fatalf("%d connections here", conns())
	}
	for i := 1; i <= 10; i++ {
		dev := []string{"vdb", "vda"}[i%2]
		if err := sig.Emit(blockIO{Device: dev, N: i}, dev); err != nil {
			t.Fatal(err)
		}
	}
	got := eventLog{}
	for len(got[h1]) < 5 || len(got[h2]) < 10 {
		if l := sub.next(t); !got.add(l) {
			t.Fatalf("unexpected line %q", l)
		}
	}
	if s, want := fmt.Sprint(got[h1]), "[vda/1 vda/3 vda/5 vda/7 vda/9]"; s != want {
		t.Fatalf("filtered connection %s got %s, want %s", h1, s, want)
	}
	if s, want := fmt.Sprint(got[h2]), "[vda/1 vdb/2 vda/3 vdb/4 vda/5 vdb/6 vda/7 vdb/8 vda/9 vdb/10]"; s != want {
		t.Fatalf("unfiltered connection %s got %s, want %s", h2, s, want)
	}
	if len(got) != 2 {
		t.Fatalf("events with other tags: %v", got)
	}

	// The barrier: once the subscriber's Disconnect returned, its slot
	// prints nothing more for h1, though events for it may be on the way.
	for i := 11; i <= 14; i++ {
		_ = sig.Emit(blockIO{Device: "vda", N: i}, "vda")
	}
	sub.Send(t, "disconnect "+h1)
	for i := 15; i <= 18; i++ {
		_ = sig.Emit(blockIO{Device: "vda", N: i}, "vda")
	}
	after := false
	for len(got[h2]) < 18 {
		l := sub.next(t)
		if l == "DISCONNECTED "+h1 {
			after = true
			continue
		}
		before := len(got[h1])
		if !got.add(l) {
			t.Fatalf("unexpected line %q", l)
		}
		if after && len(got[h1]) > before {
			t.Fatalf("%s got an event after its Disconnect returned: %s", h1, l)
		}
	}
	if !after {
		sub.until(t, "DISCONNECTED "+h1)
	}
	eventually(t, "the disconnected connection removed here", func() (bool, string) {
		c := conns()
		return c == 1, fmt.Sprintf("%d connections", c)
	})

	sub.Send(t, "unknown")
	if l := sub.until(t, "REFUSED "); !strings.Contains(l, "unknown event type") {
		t.Fatalf("connect to an unknown type: %s", l)
	}

	// A stalled slot: 4 deliveries in flight (its window), 4 queued here.
	sub.Send(t, "stall")
	h3 := strings.TrimPrefix(sub.until(t, "STALLED "), "STALLED ")
	for i := 19; i <= 38; i++ {
		_ = sig.Emit(blockIO{Device: "vdb", N: i}, "vdb")
	}
	window, queue := signalbus.SplitQueue(8)
	eventually(t, "the stalled slot's window full", func() (bool, string) {
		st, err := srv.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range st.Conns {
			if string(c.Conn) == h3 {
				return c.Pending == window && c.Sent == uint64(window), fmt.Sprintf("%+v", c)
			}
		}
		return false, fmt.Sprintf("%+v", st.Conns)
	})
	sub.Kill(t)
	eventually(t, "the killed subscriber's connections removed", func() (bool, string) {
		st, err := srv.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(st.Conns) == 0 && conns() == 0, fmt.Sprintf("%+v, %d signal connections", st, conns())
	})
	st, err := srv.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.PeersLost != 2 || st.LostInFlight < uint64(window) || st.LostQueued < uint64(queue) {
		t.Fatalf("server stats after the kill: %+v", st)
	}
	mu.Lock()
	defer mu.Unlock()
	found := false
	for _, l := range losses {
		if string(l.Conn) == h3 {
			found = true
			if l.Sent != uint64(window) || l.InFlight != uint64(window) || l.Acked != 0 || !strings.HasPrefix(l.Why, "terminated") {
				t.Fatalf("loss of the stalled connection: %+v", l)
			}
		}
	}
	if !found || len(losses) != 2 {
		t.Fatalf("losses %+v", losses)
	}
}
