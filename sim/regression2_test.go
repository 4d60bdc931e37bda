package sim_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/sockactor"
)

// linkFaults runs one seed of a faulty network with UDP traffic a → b
// and a TCP connection cli → srv, plus (when extra) UDP traffic on an
// unrelated link c → d, and returns what happened on a → b (the faults
// of the run's plan on that link, the order b received its datagrams in)
// and on the connection (when each of srv's reads arrived, and how many
// bytes it got).
func linkFaults(t *testing.T, extra bool) (faults, order, reads []string) {
	t.Helper()
	w := sim.New(11)
	n := sim.NewNetwork(w, sim.NetConfig{Latency: time.Millisecond, Jitter: time.Millisecond, MaxSegment: 100,
		DropRate: 0.2, DupRate: 0.2, ReorderRate: 0.3})
	a, b, rx := datagramPair(t, "udp", n.Host("a"), ":1", n.Host("b"), ":2")
	var c, d sockactor.Packet
	if extra {
		c, d, _ = datagramPair(t, "udp", n.Host("c"), ":1", n.Host("d"), ":2")
	}
	var srv sockactor.Stream
	cli, _ := connectSrv(t, w, n, func(s sockactor.Stream) { srv = s })
	if srv == nil {
		t.Fatal("the connection was not accepted")
	}
	read := func() { srv.Read(1 << 20) }
	srv.Start(func(ev any) {
		if e, ok := ev.(*sockactor.EvData); ok && len(e.Data) > 0 {
			reads = append(reads, fmt.Sprintf("%v:%d", w.Now(), len(e.Data)))
			read()
		}
	})
	read()
	cli.Start(func(any) {})
	for i := 0; i < 100; i++ {
		a.Send([]sockactor.Outgoing{{Data: []byte(fmt.Sprintf("%03d", i)), Dst: b.LocalAddr()}})
		if extra {
			c.Send([]sockactor.Outgoing{{Data: []byte(fmt.Sprintf("%03d", i)), Dst: d.LocalAddr()}})
		}
		if i%10 == 0 {
			cli.Write([][]byte{make([]byte, 1000)})
		}
		if _, err := w.Run(sim.Until(w.Now() + time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Run(sim.Until(w.Now() + time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, f := range w.Plan().Faults {
		if f.Target == "a>b" {
			faults = append(faults, f.String())
		}
	}
	return faults, rx.got, reads
}

// TestNetLinkStreamsIndependent: the faults and delays of a link do not
// depend on the traffic of other links. Found in review: UDP reorder
// delays came from one "net/faults" stream, latency jitter and stream
// segmentation from network-wide streams, and every fault decision of a
// kind from one stream for all targets, so adding a datagram link changed
// the faults of unrelated links and the timing of streams.
func TestNetLinkStreamsIndependent(t *testing.T) {
	f1, o1, r1 := linkFaults(t, false)
	f2, o2, r2 := linkFaults(t, true)
	if len(f1) == 0 || len(r1) == 0 {
		t.Fatalf("no fault on a>b (%d) or no read on the connection (%d): the test proves nothing", len(f1), len(r1))
	}
	if !slices.Equal(f1, f2) {
		t.Fatalf("the faults of link a>b changed when link c>d carried traffic:\nalone: %q\nwith c>d: %q", f1, f2)
	}
	if !slices.Equal(o1, o2) {
		t.Fatalf("b received a>b's datagrams in another order when c>d carried traffic:\nalone: %q\nwith c>d: %q", o1, o2)
	}
	if !slices.Equal(r1, r2) {
		t.Fatalf("the connection's reads changed when c>d carried traffic:\nalone: %q\nwith c>d: %q", r1, r2)
	}
}

// unixgramQueue is the simulated receive queue's length (sim's maxQueue).
const unixgramQueue = 1024

// blockedUnixgram opens unix datagram sockets a and b, b not receiving,
// and has a send a batch of unixgramQueue+extra datagrams to b; it runs
// w for a second and returns a, b and a's events.
func blockedUnixgram(t *testing.T, w *sim.World, extra int) (a, b sockactor.Packet, aLog *evLog) {
	t.Helper()
	n := sim.NewNetwork(w, sim.NetConfig{Latency: time.Millisecond})
	h := n.Host("h")
	a, err := h.ListenPacket("unixgram", "/tmp/a.sock")
	if err != nil {
		t.Fatal(err)
	}
	b, err = h.ListenPacket("unixgram", "/tmp/b.sock")
	if err != nil {
		t.Fatal(err)
	}
	aLog = &evLog{}
	a.Start(aLog.sink)
	var batch []sockactor.Outgoing
	for i := 0; i < unixgramQueue+extra; i++ {
		batch = append(batch, sockactor.Outgoing{Data: []byte(fmt.Sprintf("%04d", i)), Dst: b.LocalAddr()})
	}
	a.Send(batch)
	if _, err := w.Run(sim.Until(time.Second)); err != nil {
		t.Fatal(err)
	}
	return a, b, aLog
}

// TestUnixgramFullQueueBlocks: a unix datagram sent to a socket whose
// receive queue is full waits for room, as a real sender does (the real
// transport's write blocks until the reader drains the queue), and
// nothing is lost: once b reads, the whole batch arrives in order and
// its EvSent reports every datagram sent. Found in review: the simulator
// dropped such datagrams (and reported them sent), which a real unix
// datagram socket never does.
func TestUnixgramFullQueueBlocks(t *testing.T) {
	w := sim.New(1)
	_, b, aLog := blockedUnixgram(t, w, 5)
	if sent := eventsOf[*sockactor.EvSent](aLog); len(sent) != 0 {
		t.Fatalf("the batch was reported sent while b's queue was full: %v", sent[0].Errs[unixgramQueue:])
	}
	var got []string
	b.Start(func(ev any) {
		if d, ok := ev.(*sockactor.EvDatagram); ok {
			got = append(got, string(d.Data))
			b.Recv()
		}
	})
	b.Recv()
	if _, err := w.Run(sim.Until(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if len(got) != unixgramQueue+5 {
		t.Fatalf("%d of %d datagrams arrived", len(got), unixgramQueue+5)
	}
	for i, g := range got {
		if g != fmt.Sprintf("%04d", i) {
			t.Fatalf("datagram %d is %q", i, g)
		}
	}
	sent := eventsOf[*sockactor.EvSent](aLog)
	if len(sent) != 1 {
		t.Fatalf("%d EvSent, want 1", len(sent))
	}
	for i, err := range sent[0].Errs {
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
	}
}

// TestUnixgramBlockedAbortAndClose: AbortSend ends a send waiting for
// room in the peer's queue, the datagrams that did not leave failing with
// ErrSendAborted (the real transport's write deadline); Close ends one
// with an EvSent before EvClosed.
func TestUnixgramBlockedAbortAndClose(t *testing.T) {
	w := sim.New(1)
	a, _, aLog := blockedUnixgram(t, w, 3)
	a.AbortSend()
	if _, err := w.Run(sim.Until(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	sent := eventsOf[*sockactor.EvSent](aLog)
	if len(sent) != 1 || len(sent[0].Errs) != unixgramQueue+3 {
		t.Fatalf("EvSent after AbortSend: %d events", len(sent))
	}
	for i, err := range sent[0].Errs {
		if aborted := errors.Is(err, sockactor.ErrSendAborted); aborted != (i >= unixgramQueue) {
			t.Fatalf("datagram %d: %v", i, err)
		}
	}

	w2 := sim.New(1)
	a, _, aLog = blockedUnixgram(t, w2, 1)
	a.Close()
	if _, err := w2.Run(sim.Until(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range aLog.evs {
		switch e := ev.(type) {
		case *sockactor.EvSent:
			kinds = append(kinds, "sent")
			if e.Errs[0] != nil || e.Errs[unixgramQueue] == nil {
				t.Fatalf("EvSent after Close: first %v, blocked %v", e.Errs[0], e.Errs[unixgramQueue])
			}
		case *sockactor.EvClosed:
			kinds = append(kinds, "closed")
		}
	}
	if !slices.Equal(kinds, []string{"sent", "closed"}) {
		t.Fatalf("events after Close of a blocked sender: %q", kinds)
	}
}

// writeFile writes content to name in a temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadRefusesBadInput: LoadProfile and LoadPlan refuse what
// cmd/simrun refused on its own: data after the JSON value (two profiles
// in one file, a truncated edit), a negative fault time (the World would
// never heal), faults at negative times or for negative durations, and
// partitions or clogs without a second node (replaying them did nothing).
func TestLoadRefusesBadInput(t *testing.T) {
	for name, content := range map[string]string{
		"two.json":      `{"name":"a","fault_time":"1s"} {"name":"b","fault_time":"2s"}`,
		"negative.json": `{"name":"a","fault_time":"-1s","net":{"drop":0.5}}`,
	} {
		if p, err := sim.LoadProfile(writeFile(t, name, content)); err == nil {
			t.Errorf("profile %s loaded: %v", name, p)
		}
	}
	for name, content := range map[string]string{
		"trailing.json":    `{"profile":{"name":"a","fault_time":"1s"},"faults":[]}]`,
		"negative.json":    `{"profile":{"name":"a","fault_time":"-1s"},"faults":[]}`,
		"at.json":          `{"profile":{"name":"a","fault_time":"1s"},"faults":[{"at":"-5ms","kind":"crash","target":"server","for":"10ms"}]}`,
		"for.json":         `{"profile":{"name":"a","fault_time":"1s"},"faults":[{"at":"5ms","kind":"crash","target":"server","for":"-10ms"}]}`,
		"nopeer.json":      `{"profile":{"name":"a","fault_time":"1s"},"faults":[{"at":"5ms","kind":"partition","target":"a","for":"10ms"}]}`,
		"samepeer.json":    `{"profile":{"name":"a","fault_time":"1s"},"faults":[{"at":"5ms","kind":"clog","target":"a","peer":"a","for":"10ms"}]}`,
		"opportunity.json": `{"profile":{"name":"a","fault_time":"1s"},"faults":[{"kind":"drop","target":"a>b"}]}`,
	} {
		if p, err := sim.LoadPlan(writeFile(t, name, content)); err == nil || (name != "trailing.json" && !errors.Is(err, sim.ErrInvalid)) {
			t.Errorf("plan %s loaded: %v", name, p)
		}
	}
	good := sim.Plan{Profile: sim.Profile{Name: "a", FaultTime: ms(1000)}, Faults: []sim.Fault{
		{At: ms(5), Kind: sim.FaultPartition, Target: "a", Peer: "b", For: ms(10)},
		{At: ms(6), Kind: sim.FaultClogNode, Target: "a", For: ms(10)},
		{Kind: "drop", Target: "a>b", N: 3},
	}}
	path := filepath.Join(t.TempDir(), "good.json")
	if err := sim.SavePlan(good, path); err != nil {
		t.Fatal(err)
	}
	if p, err := sim.LoadPlan(path); err != nil || len(p.Faults) != 3 {
		t.Fatalf("a good plan: %v, %v", p, err)
	}
}

// TestWorldRefusesBadProfile: a World given an invalid profile or plan
// (WithProfile, WithPlan) fails its runs with the reason instead of
// running with it; Shrink says so (in Err, matching ErrInvalid) instead
// of running and shrinking that failure.
// Found in review: only LoadProfile validated, so a library user's
// profile with a drop rate of 1.5 or a negative fault time (never
// healing) ran as if valid.
func TestWorldRefusesBadProfile(t *testing.T) {
	sc := sim.Scenario{Name: "idle", Run: func(w *sim.World) error {
		_, err := w.Run(sim.Until(time.Second))
		return err
	}}
	for i, opt := range []sim.Option{
		sim.WithProfile(sim.Profile{Name: "bad", Net: sim.NetFaults{Drop: 1.5}}),
		sim.WithProfile(sim.Profile{Name: "bad", FaultTime: -ms(1)}),
		sim.WithPlan(sim.Plan{Profile: sim.Profile{Name: "p", FaultTime: ms(100)}, Faults: []sim.Fault{{At: -ms(1), Kind: sim.FaultCrash, Target: "n", For: ms(1)}}}),
	} {
		if out := sim.RunScenario(sc, 1, opt); !errors.Is(out.Err, sim.ErrInvalid) {
			t.Errorf("input %d: the run ended with %v", i, out.Err)
		}
		if s, failed := sim.Shrink(sc, 1, opt); !failed || !errors.Is(s.Err, sim.ErrInvalid) || s.Runs != 0 || len(s.Minimal.Faults) != 0 {
			t.Errorf("input %d: Shrink took it: %v %+v", i, failed, s)
		}
	}
	if out := sim.RunScenario(sc, 1, sim.WithProfile(sim.Profile{Name: "ok", FaultTime: ms(100)})); out.Err != nil {
		t.Fatal(out.Err)
	}
}

// TestUnixgramBlockedPeerCloses: a send waiting for room in a unix
// datagram socket's queue fails with ECONNREFUSED when that socket
// closes (no socket is bound at the path any more), as a real one does.
func TestUnixgramBlockedPeerCloses(t *testing.T) {
	w := sim.New(1)
	_, b, aLog := blockedUnixgram(t, w, 2)
	b.Close()
	if _, err := w.Run(sim.Until(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	sent := eventsOf[*sockactor.EvSent](aLog)
	if len(sent) != 1 {
		t.Fatalf("%d EvSent after the peer closed, want 1", len(sent))
	}
	if err := sent[0].Errs[unixgramQueue]; sockactor.Errno(err) != syscall.ECONNREFUSED {
		t.Fatalf("the blocked datagram: %v", err)
	}
}

// TestProfileDevicesValidated: a profile's devices sections are checked
// like the rest of it: an unknown kind (a typo), an unknown setting, a
// rate that is not a probability and a negative duration are refused
// (ErrInvalid), naming the section; what swarm draws always passes.
// Found in review: "devices": {"socket": {"drop": 1.5}} loaded and ran.
func TestProfileDevicesValidated(t *testing.T) {
	for name, devices := range map[string]string{
		"kind":     `{"sockets":{"drop":0.1}}`,
		"field":    `{"socket":{"drp":0.1}}`,
		"prob":     `{"socket":{"drop":1.5}}`,
		"negative": `{"socket":{"partition_rate":1,"partition_max":"-5ms"}}`,
		"file":     `{"file":{"short_read":-0.1}}`,
		"latency":  `{"file":{"max_latency":"-1ms"}}`,
		"notjson":  `{"file":[1,2]}`,
	} {
		p := sim.Profile{Name: "a", FaultTime: ms(1000), Devices: map[string]json.RawMessage{}}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(devices), &raw); err != nil {
			t.Fatal(err)
		}
		p.Devices = raw
		err := p.Validate()
		if !errors.Is(err, sim.ErrInvalid) || !strings.Contains(err.Error(), "devices") {
			t.Errorf("%s: Validate = %v, want an ErrInvalid naming the devices section", name, err)
		}
		if _, err := sim.LoadProfile(writeFile(t, name+".json", `{"name":"a","fault_time":"1s","devices":`+devices+`}`)); !errors.Is(err, sim.ErrInvalid) {
			t.Errorf("%s: LoadProfile = %v, want ErrInvalid", name, err)
		}
	}
	for seed := uint64(0); seed < 500; seed++ {
		if err := sim.Swarm(seed).Validate(); err != nil {
			t.Fatalf("swarm profile of seed %d: %v", seed, err)
		}
	}
}
