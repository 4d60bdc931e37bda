package sim_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/sockactor"
	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// TestValidateRefusesNaN: Profile.Validate refuses a NaN (or infinite)
// probability as the devices' validators do, naming the field; the
// device validators name the one field that is wrong.
// Found in review: Profile.Validate tested v < 0 || v > 1, which a NaN
// passes, while the devices' validators tested !(v >= 0 && v <= 1),
// which refuses it: a profile built in Go with a NaN drop rate ran.
func TestValidateRefusesNaN(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for field, p := range map[string]sim.Profile{
		"net.drop":           {Net: sim.NetFaults{Drop: nan}},
		"net.duplicate":      {Net: sim.NetFaults{Duplicate: nan}},
		"net.reorder":        {Net: sim.NetFaults{Reorder: inf}},
		"partitions.one_way": {Partitions: &sim.PartitionFaults{Every: ms(1), OneWay: nan}},
		"clogs.node":         {Clogs: &sim.ClogFaults{Every: ms(1), Node: nan}},
		"panics.rate":        {Panics: &sim.PanicFaults{Rate: nan}},
		"buggify.activate":   {Buggify: &sim.BuggifyFaults{Activate: nan}},
		"buggify.fire":       {Buggify: &sim.BuggifyFaults{Fire: math.Inf(-1)}},
	} {
		p.Name, p.FaultTime = "nan", ms(100)
		err := p.Validate()
		if !errors.Is(err, sim.ErrInvalid) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: Validate = %v, want an ErrInvalid naming %s", field, err, field)
		}
	}
	for field, devices := range map[string]string{
		"short_write": `{"file":{"short_read":0.5,"short_write":1.5}}`,
		"short_read":  `{"file":{"short_read":-0.5}}`,
		"clog_max":    `{"socket":{"clog_rate":1,"clog_max":"-1ms"}}`,
		"clog_rate":   `{"socket":{"clog_rate":-1}}`,
	} {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(devices), &raw); err != nil {
			t.Fatal(err)
		}
		p := sim.Profile{Name: "dev", FaultTime: ms(100), Devices: raw}
		err := p.Validate()
		if !errors.Is(err, sim.ErrInvalid) {
			t.Errorf("%s: Validate = %v, want ErrInvalid", field, err)
			continue
		}
		// The message names the wrong field, and only it.
		for _, other := range []string{"short_read", "short_write", "clog_max", "clog_rate", "partition_rate", "partition_max"} {
			if named := strings.Contains(err.Error(), other); named != (other == field) {
				t.Errorf("%s: Validate = %v: names %s: %v", field, err, other, named)
			}
		}
	}
}

// TestHeldTrafficReleasedAtHeal: traffic a partition or clog holds is
// released at the profile's heal time, however long the cut was to last:
// on the socket network (a stream's bytes, held by a partition) and
// between nodes (messages held by a clog). The heal promises that
// partitions and clogs mend then, and the campaigns' liveness checks
// start counting from it.
// Found in review: a segment's or message's arrival was fixed when it
// was sent, at the end of the cut; the heal mended the link for new
// traffic, but the held traffic (and, FIFO, everything sent after it on
// the connection or link) still waited for the cut's original end.
func TestHeldTrafficReleasedAtHeal(t *testing.T) {
	heal := 200 * time.Millisecond
	w := sim.New(1, sim.WithProfile(sim.Profile{Name: "heal", FaultTime: sim.Duration(heal)}))
	n := sim.NewNetwork(w, sim.NetConfig{Latency: time.Millisecond})
	var srv sockactor.Stream
	cli, _ := connectSrv(t, w, n, func(s sockactor.Stream) { srv = s })
	if srv == nil {
		t.Fatal("the connection was not accepted")
	}
	var arrived []time.Duration
	read := func() { srv.Read(1 << 20) }
	srv.Start(func(ev any) {
		if e, ok := ev.(*sockactor.EvData); ok && len(e.Data) > 0 {
			arrived = append(arrived, w.Now())
			read()
		}
	})
	read()
	cli.Start(func(any) {})

	a, b := w.MustNode("a"), w.MustNode("b")
	var col collector
	sink, _ := b.SpawnNamed(col.props(), "sink")
	var got []time.Duration
	if _, err := w.Run(sim.Until(150 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	n.Partition("cli", "srv", false, 10*time.Second)
	if err := w.Clog("a", "b", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	cli.Write([][]byte{[]byte("held")})
	a.Send(actor.NewPID("b", sink.Id), wrapperspb.String("held"))
	for w.Now() < time.Second {
		before := len(col.got)
		if _, err := w.Run(sim.Until(w.Now() + time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if len(col.got) > before {
			got = append(got, w.Now())
		}
	}
	if !w.Healed() || w.HealTime() != heal {
		t.Fatalf("healed %v at %v, want at %v", w.Healed(), w.HealTime(), heal)
	}
	limit := heal + 10*time.Millisecond
	if len(arrived) == 0 || arrived[0] > limit {
		t.Errorf("the bytes held by the partition arrived at %v, want by %v (the heal at %v)", arrived, limit, heal)
	}
	if len(got) == 0 || got[0] > limit {
		t.Errorf("the message held by the clog arrived at %v, want by %v (the heal at %v)", got, limit, heal)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestNetworkMadeAfterHealIsHealed: a Network made after the World
// healed is healed too: its UDP datagrams keep their order under jitter,
// as those of a network that was there at the heal do.
// Found in review: the network registered its heal hook with the World
// after the heal had run, so it never healed, and jitter reordered its
// datagrams for the rest of the run.
func TestNetworkMadeAfterHealIsHealed(t *testing.T) {
	w := sim.New(1, sim.WithProfile(sim.Profile{Name: "heal", FaultTime: ms(10)}))
	if _, err := w.Run(sim.Until(20 * time.Millisecond)); err != nil || !w.Healed() {
		t.Fatalf("healed %v: %v", w.Healed(), err)
	}
	n := sim.NewNetwork(w, sim.NetConfig{Latency: time.Millisecond, Jitter: time.Millisecond})
	if !n.Healed() {
		t.Error("a network made after the heal is not healed")
	}
	a, b, rx := datagramPair(t, "udp", n.Host("a"), ":1", n.Host("b"), ":2")
	var batch []sockactor.Outgoing
	for i := 0; i < 50; i++ {
		batch = append(batch, sockactor.Outgoing{Data: []byte(fmt.Sprintf("%02d", i)), Dst: b.LocalAddr()})
	}
	a.Send(batch)
	if _, err := w.Run(sim.Until(time.Second)); err != nil {
		t.Fatal(err)
	}
	if len(rx.got) != 50 || !slices.IsSorted(rx.got) {
		t.Fatalf("after the heal the datagrams arrived as %q", rx.got)
	}
}

// TestShrinkSaysWhenPlanDoesNotReproduce: when replaying a failing seed's
// recorded plan does not fail the same way, Shrink says so (Reproduced
// false) instead of returning the plan as if it were a minimal failing
// one; when it does, every plan Shrink returns replays to the failure.
// Found in review: Shrink returned the recorded plan as Minimal with
// nothing telling that it passes on replay (cmd/simrun had to replay the
// saved plan itself to find out).
func TestShrinkSaysWhenPlanDoesNotReproduce(t *testing.T) {
	runs := 0
	flaky := sim.Scenario{Name: "flaky", Run: func(w *sim.World) error {
		runs++
		if runs == 1 {
			return errors.New("F1: fails once")
		}
		return nil
	}}
	s, failed := sim.Shrink(flaky, 1)
	if !failed || s.Reproduced {
		t.Fatalf("a failure its plan does not reproduce: failed %v, Reproduced %v", failed, s.Reproduced)
	}
	always := sim.Scenario{Name: "always", Run: func(w *sim.World) error { return errors.New("F2: always") }}
	s, failed = sim.Shrink(always, 1)
	if !failed || !s.Reproduced || s.Sign != "F2:" {
		t.Fatalf("a failure without faults: failed %v, Reproduced %v, sign %q", failed, s.Reproduced, s.Sign)
	}
	if out := sim.RunScenario(always, 1, sim.WithPlan(s.Minimal)); sim.Signature(out.Err) != s.Sign {
		t.Fatalf("the minimal plan replays to %v", out.Err)
	}
}

// TestTextTraceOneLinePerEvent: the text trace keeps one line per event
// whatever the names and notes hold (newlines, control characters,
// invalid UTF-8): such a field is written quoted, Go-style.
// Found in review: a note or a panic's reason with a newline split its
// event over several lines, which a diff of two traces then misreads
// (and two different runs could print the same text).
func TestTextTraceOneLinePerEvent(t *testing.T) {
	odd := "a\nb\x00c\xffd\u2028e"
	evs := []sim.Event{
		{Step: 1, Kind: sim.EventDeliver, Node: odd, Actor: odd, Peer: odd, What: odd, ID: 1},
		{Step: 2, Kind: sim.EventNote, What: "plain note"},
	}
	var b strings.Builder
	if err := sim.WriteTrace(&b, sim.TraceText, evs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines for 2 events:\n%s", len(lines), b.String())
	}
	if want := strconv.Quote(odd); strings.Count(lines[0], want) != 4 {
		t.Errorf("the odd fields are not quoted (%s): %s", want, lines[0])
	}
	if !strings.HasSuffix(lines[1], " note       plain note") {
		t.Errorf("a plain event changed: %q", lines[1])
	}
}

// TestHeldTrafficReleasedAtEarlyHeal: a scenario's own Heal, before the
// profile's heal time (or without any), releases at once everything a
// partition or clog holds, as the profile's heal does: a stream's bytes
// (and what follows them on the connection), a connect's handshake, a
// UDP datagram and a message between nodes each arrive within a latency
// of the heal, and traffic sent after the heal is not held behind the
// cuts' original ends.
// Found in review: only the profile's heal capped the holds (releaseBy);
// traffic held when a scenario healed early waited for the cuts' ends,
// seconds after the HealTime the liveness checks count from.
func TestHeldTrafficReleasedAtEarlyHeal(t *testing.T) {
	for _, profile := range []bool{false, true} {
		t.Run(fmt.Sprintf("profile=%v", profile), func(t *testing.T) {
			var opts []sim.Option
			if profile {
				opts = append(opts, sim.WithProfile(sim.Profile{Name: "late", FaultTime: sim.Duration(time.Hour)}))
			}
			w := sim.New(1, opts...)
			lat := time.Millisecond
			w.SetNetFaults(sim.NetFaults{LatencyMin: sim.Duration(lat), LatencyMax: sim.Duration(lat)})
			n := sim.NewNetwork(w, sim.NetConfig{Latency: lat})
			var srv sockactor.Stream
			cli, _ := connectSrv(t, w, n, func(s sockactor.Stream) { srv = s })
			if srv == nil {
				t.Fatal("the connection was not accepted")
			}
			var bytesAt []time.Duration // when each whole write had arrived
			var buf string
			read := func() { srv.Read(1 << 20) }
			srv.Start(func(ev any) {
				if e, ok := ev.(*sockactor.EvData); ok && len(e.Data) > 0 {
					buf += string(e.Data)
					if buf == "held" || buf == "heldafter" {
						bytesAt = append(bytesAt, w.Now())
					}
					read()
				}
			})
			read()
			cli.Start(func(any) {})
			ua, ub, rx := datagramPair(t, "udp", n.Host("ua"), ":1", n.Host("ub"), ":2")
			a, b := w.MustNode("a"), w.MustNode("b")
			var col collector
			sink, _ := b.SpawnNamed(col.props(), "sink")

			cut := 10 * time.Second
			n.Partition("cli", "srv", false, cut)
			n.Clog("ua", "ub", cut)
			if err := w.Clog("a", "b", w.Now()+cut); err != nil {
				t.Fatal(err)
			}
			cli.Write([][]byte{[]byte("held")})
			ua.Send([]sockactor.Outgoing{{Data: []byte("held"), Dst: ub.LocalAddr()}})
			a.Send(actor.NewPID("b", sink.Id), wrapperspb.String("held"))
			conn := &evLog{}
			if _, err := n.Host("cli").Connect("tcp", "srv:80", conn.sink); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Run(sim.Until(w.Now() + 100*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			if len(bytesAt)+len(rx.got)+len(col.got)+len(conn.evs) != 0 {
				t.Fatalf("traffic passed the cuts: %v %q %q %v", bytesAt, rx.got, col.got, conn.evs)
			}
			w.Heal()
			heal := w.HealTime()
			if _, err := w.Run(sim.Until(heal + 10*lat)); err != nil {
				t.Fatal(err)
			}
			limit := heal + 2*lat
			if len(bytesAt) != 1 || bytesAt[0] > limit {
				t.Errorf("the stream's held bytes arrived at %v, want once by %v (healed at %v)", bytesAt, limit, heal)
			}
			if len(rx.got) != 1 {
				t.Errorf("the held datagram: got %q by %v (healed at %v)", rx.got, w.Now(), heal)
			}
			if len(col.got) != 1 {
				t.Errorf("the held message: got %q by %v (healed at %v)", col.got, w.Now(), heal)
			}
			if len(conn.connected()) != 1 || conn.connected()[0].Err != nil {
				t.Errorf("the held connect: %v by %v (healed at %v)", conn.evs, w.Now(), heal)
			}
			// After the heal, new traffic is not queued behind the cuts'
			// original ends.
			sent := w.Now()
			cli.Write([][]byte{[]byte("after")})
			ua.Send([]sockactor.Outgoing{{Data: []byte("after"), Dst: ub.LocalAddr()}})
			a.Send(actor.NewPID("b", sink.Id), wrapperspb.String("after"))
			if _, err := w.Run(sim.Until(sent + 10*lat)); err != nil {
				t.Fatal(err)
			}
			if len(bytesAt) != 2 || len(rx.got) != 2 || len(col.got) != 2 {
				t.Errorf("traffic sent after the heal at %v: stream %v, datagrams %q, messages %q by %v", sent, bytesAt, rx.got, col.got, w.Now())
			}
			ua.Close()
			ub.Close()
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestReleasedTrafficKeepsOrder: traffic released early (World.Mend, a
// World.Clog shortened, the socket network's heal) arrives at once and in
// its lane's order, under jittered latency: a link's messages in the
// order sent, a connection's bytes as written.
func TestReleasedTrafficKeepsOrder(t *testing.T) {
	w := sim.New(3)
	w.SetNetFaults(sim.NetFaults{LatencyMin: sim.Duration(time.Millisecond), LatencyMax: sim.Duration(20 * time.Millisecond)})
	n := sim.NewNetwork(w, sim.NetConfig{Latency: time.Millisecond, Jitter: 20 * time.Millisecond, MaxSegment: 3})
	var srv sockactor.Stream
	cli, _ := connectSrv(t, w, n, func(s sockactor.Stream) { srv = s })
	if srv == nil {
		t.Fatal("the connection was not accepted")
	}
	var stream string
	read := func() { srv.Read(1 << 20) }
	srv.Start(func(ev any) {
		if e, ok := ev.(*sockactor.EvData); ok && len(e.Data) > 0 {
			stream += string(e.Data)
			read()
		}
	})
	read()
	cli.Start(func(any) {})
	a, b := w.MustNode("a"), w.MustNode("b")
	var ab, ba collector
	sinkB, _ := b.SpawnNamed(ab.props(), "sink")
	sinkA, _ := a.SpawnNamed(ba.props(), "sink")
	start := w.Now()
	n.Partition("cli", "srv", true, time.Hour)
	if err := w.Clog("a", "b", start+time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := w.Clog("b", "a", start+time.Hour); err != nil {
		t.Fatal(err)
	}
	var want []string
	var wantStream string
	for i := 0; i < 30; i++ {
		v := fmt.Sprintf("%02d", i)
		want = append(want, v)
		wantStream += v + "."
		a.Send(actor.NewPID("b", sinkB.Id), wrapperspb.String(v))
		b.Send(actor.NewPID("a", sinkA.Id), wrapperspb.String(v))
		cli.Write([][]byte{[]byte(v + ".")})
		if _, err := w.Run(sim.Until(w.Now() + time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	released := w.Now()
	if err := w.Mend("a", "b"); err != nil { // a>b and b>a
		t.Fatal(err)
	}
	n.Heal()
	if _, err := w.Run(sim.Until(released + 25*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ab.got, want) || !slices.Equal(ba.got, want) {
		t.Errorf("released messages: a>b %q, b>a %q, want %q", ab.got, ba.got, want)
	}
	if stream != wantStream {
		t.Errorf("released stream bytes %q, want %q", stream, wantStream)
	}
	// A clog shortened releases what it holds at its new end.
	ab.got = nil
	if err := w.Clog("a", "b", w.Now()+time.Hour); err != nil {
		t.Fatal(err)
	}
	a.Send(actor.NewPID("b", sinkB.Id), wrapperspb.String("x"))
	end := w.Now() + 50*time.Millisecond
	if err := w.Clog("a", "b", end); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Run(sim.Until(end + 21*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ab.got, []string{"x"}) {
		t.Errorf("a message held by a clog shortened to %v: got %q by %v", end, ab.got, w.Now())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestClockNowFromAnyGoroutine: the World's Clock.Now (and World.Now) may
// be read from another goroutine while the World runs (a progress
// reporter, a watchdog): it returns the virtual time of the last step,
// never less than an earlier reading, with no data race (run with -race).
// Found in review: Now read the loop's clock field unguarded, a data race
// the race detector reports.
func TestClockNowFromAnyGoroutine(t *testing.T) {
	w := sim.New(1)
	var tick func()
	tick = func() { w.Clock().AfterFunc(time.Millisecond, tick) }
	tick()
	stop, done, started := make(chan struct{}), make(chan error), make(chan struct{})
	go func() {
		last := sim.Epoch
		var lastD time.Duration
		for i := 0; ; i++ {
			if i == 1 {
				close(started)
			}
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			now, d := w.Clock().Now(), w.Now()
			if now.Before(last) || d < lastD {
				done <- fmt.Errorf("the clock went back: %v after %v, %v after %v", now, last, d, lastD)
				return
			}
			last, lastD = now, d
		}
	}()
	<-started
	_, err := w.Run(sim.Until(time.Second))
	close(stop)
	if gerr := <-done; gerr != nil {
		t.Error(gerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := w.Clock().Now(); !got.Equal(sim.Epoch.Add(time.Second)) {
		t.Fatalf("Now after the run = %v, want %v", got, sim.Epoch.Add(time.Second))
	}
}

// TestNetSettingsRefuseBadRates: a simulated network's settings given in
// Go (NewNetwork, Network.SetConfig, a Link's Config, World.SetNetFaults)
// are checked as a profile's are: a rate that is not a probability (NaN,
// negative, above 1) or a negative latency fails the World's next Run
// with an ErrInvalid naming the setting, instead of running as if it
// were 0 (NaN, negative) or 1.
// Found in review: only profiles were validated; NetConfig{DropRate: NaN}
// silently dropped nothing.
func TestNetSettingsRefuseBadRates(t *testing.T) {
	nan := math.NaN()
	for field, cfg := range map[string]sim.NetConfig{
		"DropRate":    {DropRate: nan},
		"DupRate":     {DupRate: -0.1},
		"ReorderRate": {ReorderRate: 1.5},
		"ResetRate":   {ResetRate: math.Inf(1)},
		"RefuseRate":  {RefuseRate: nan},
		"Latency":     {Latency: -time.Millisecond},
		"Jitter":      {Jitter: -time.Millisecond},
	} {
		check := func(how string, w *sim.World) {
			t.Helper()
			_, err := w.Run(sim.Until(time.Second))
			if !errors.Is(err, sim.ErrInvalid) || !strings.Contains(err.Error(), field) {
				t.Errorf("%s %s: Run = %v, want an ErrInvalid naming %s", how, field, err, field)
			}
		}
		w := sim.New(1)
		sim.NewNetwork(w, cfg)
		check("NewNetwork", w)
		w = sim.New(1)
		sim.NewNetwork(w, sim.NetConfig{}).SetConfig(cfg)
		check("SetConfig", w)
		w = sim.New(1)
		n := sim.NewNetwork(w, sim.NetConfig{})
		n.Link("a", "b").Config = &cfg
		_, _, _ = datagramPair(t, "udp", n.Host("a"), ":1", n.Host("b"), ":2")
		a, _ := n.Host("a").ListenPacket("udp", ":3")
		a.Start(func(any) {})
		a.Send([]sockactor.Outgoing{{Data: []byte("x"), Dst: &sim.Addr{Net: "udp", Host: "b", Port: 2}}})
		check("Link.Config", w)
	}
	for field, f := range map[string]sim.NetFaults{
		"drop":      {Drop: math.NaN()},
		"duplicate": {Duplicate: -1},
		"reorder":   {Reorder: 2},
		"latency":   {LatencyMin: sim.Duration(time.Millisecond)},
	} {
		w := sim.New(1)
		w.SetNetFaults(f)
		if _, err := w.Run(); !errors.Is(err, sim.ErrInvalid) || !strings.Contains(err.Error(), field) {
			t.Errorf("SetNetFaults %s: Run = %v, want an ErrInvalid naming %s", field, err, field)
		}
	}
}

// TestSparseFileTruncateFreesBlocks: truncating a file frees the blocks
// that lie wholly beyond the new size, as a file system does, so that
// growing it again leaves a hole there: SEEK_DATA finds no data, and
// Allocated counts no block for it. A block the new size falls inside is
// kept, its tail zeroed.
// Found in review: Truncate only cleared [size, old size), so the last
// block (which reaches past the old size) stayed allocated, zeroed, and
// a truncate to 0 then a grow showed data at offset 0 where a real file
// has a hole.
func TestSparseFileTruncateFreesBlocks(t *testing.T) {
	w := sim.New(1)
	f := sim.NewSparseFile(w, "disk", sim.FileFaults{BlockSize: 4096})
	if _, err := f.WriteAt([]byte("0123456789"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("abc"), 3*4096+100); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(5); err != nil {
		t.Fatal(err)
	}
	if got := f.Allocated(); got != 4096 {
		t.Errorf("after truncate to 5: Allocated = %d, want one block (4096)", got)
	}
	if err := f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 20); err != nil {
		t.Fatal(err)
	}
	if got := f.Allocated(); got != 0 {
		t.Errorf("after truncate to 0 and growing: Allocated = %d, want 0", got)
	}
	if off, err := f.SeekData(0); !errors.Is(err, syscall.ENXIO) {
		t.Errorf("after truncate to 0 and growing: SeekData(0) = %d, %v, want ENXIO (all hole)", off, err)
	}
	if r := f.DataRanges(); len(r) != 0 {
		t.Errorf("after truncate to 0 and growing: data ranges %v, want none", r)
	}
	// A block the new size falls inside keeps its head, its tail zeroed.
	if _, err := f.WriteAt([]byte("0123456789"), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(4); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(10); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if n := f.Peek(buf, 0); n != 10 || string(buf) != "0123\x00\x00\x00\x00\x00\x00" {
		t.Errorf("after truncate to 4 and growing to 10: %q (%d bytes)", buf, n)
	}
}

// TestSparseFileOffsetOverflow: a write or hole punch whose end lies past
// the largest offset (off+len overflows int64) fails with EFBIG, as the
// kernel's does, instead of wrapping around to negative offsets (which
// panicked with a block size that is not a power of two).
func TestSparseFileOffsetOverflow(t *testing.T) {
	w := sim.New(1)
	f := sim.NewSparseFile(w, "disk", sim.FileFaults{BlockSize: 1000})
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("WriteAt near the largest offset panicked: %v", r)
			}
		}()
		if n, err := f.WriteAt(make([]byte, 10), math.MaxInt64-5); n != 0 || !errors.Is(err, syscall.EFBIG) {
			t.Errorf("WriteAt ending past the largest offset = %d, %v, want 0, EFBIG", n, err)
		}
	}()
	if err := f.PunchHole(math.MaxInt64-5, 10); !errors.Is(err, syscall.EFBIG) {
		t.Errorf("PunchHole ending past the largest offset = %v, want EFBIG", err)
	}
	if size, _ := f.Size(); size != 0 || f.Allocated() != 0 {
		t.Errorf("after the refused calls: size %d, allocated %d, want 0, 0", size, f.Allocated())
	}
}
