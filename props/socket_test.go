package props

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/sockactor"
)

// TestSocketScenario: every seed holds S1–S5.
func TestSocketScenario(t *testing.T) {
	sc := Socket(DefaultSocket)
	for seed := uint64(1); seed <= 60; seed++ {
		if out := sim.RunScenario(sc, seed); out.Err != nil {
			t.Fatal(out.Err)
		}
	}
}

// TestSocketScenarioBatches: the server's batch reads (every other
// connection) run, and some carry several PDUs, so the scenario checks
// them under segmentation and resets too.
func TestSocketScenarioBatches(t *testing.T) {
	batches, largest := 0, 0
	for seed := uint64(1); seed <= 10; seed++ {
		w := sim.New(seed)
		net := sim.NewNetwork(w, sim.NetConfig{Latency: 200 * time.Microsecond, MaxSegment: 97})
		cfg := DefaultSocket
		clients := []sockactor.Transport{net.Host("client0"), net.Host("client1"), net.Host("client2")}
		rep := &SocketReport{}
		if err := RunSocket(context.Background(), w.MustNode("n1"), cfg, net.Host("server"), "server:7000", clients, rep); err != nil {
			t.Fatal(err)
		}
		if err := CheckSocket(cfg, rep); err != nil {
			t.Fatal(err)
		}
		batches += rep.Server.Batches
		largest = max(largest, rep.Server.Largest)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if batches == 0 || largest < 2 {
		t.Fatalf("%d batches, the largest of %d PDUs: the batch path was not exercised", batches, largest)
	}
	t.Logf("%d batches, the largest of %d PDUs", batches, largest)
}

// TestSocketDeterminism: a seed replays to the same fingerprint.
func TestSocketDeterminism(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		if _, d := sim.CheckDeterminism(Socket(DefaultSocket), seed); d != nil {
			t.Fatal(d)
		}
	}
}

// TestCheckSocketCanFail: the checker rejects broken reports.
func TestCheckSocketCanFail(t *testing.T) {
	cfg := DefaultSocket
	good := func() *SocketReport {
		rep := &SocketReport{Finished: true, Server: ServerReport{Completed: map[any]int{}}}
		for i := 0; i < cfg.Clients; i++ {
			rep.Clients = append(rep.Clients, ClientReport{Name: "c", Sent: cfg.PDUs, Echoed: cfg.PDUs, Requests: 1, Completed: map[any]int{1: 1}})
		}
		return rep
	}
	if err := CheckSocket(cfg, good()); err != nil {
		t.Fatal(err)
	}
	for name, brk := range map[string]func(*SocketReport){
		"S1": func(r *SocketReport) { r.Clients[0].Completed[1] = 2 },
		"S2": func(r *SocketReport) { r.Clients[0].Corrupt = []string{"x"} },
		"S3": func(r *SocketReport) { r.Clients[1].Echoed-- },
		"S4": func(r *SocketReport) { r.Server.Errors = append(r.Server.Errors, errTest) },
	} {
		rep := good()
		brk(rep)
		if err := CheckSocket(cfg, rep); err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("%s not detected: %v", name, err)
		}
	}
}

var errTest = simpleErr("boom")

type simpleErr string

func (e simpleErr) Error() string { return string(e) }
