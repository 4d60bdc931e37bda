package sim_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// TestSwarmProfiles: a seed always expands into the same profile; seeds
// differ in which fault kinds they turn on; profiles round-trip through
// files and print what is on.
func TestSwarmProfiles(t *testing.T) {
	if !reflect.DeepEqual(sim.Swarm(7), sim.Swarm(7)) {
		t.Fatal("a seed gave two profiles")
	}
	kinds := map[string]int{}
	for seed := uint64(1); seed <= 200; seed++ {
		p := sim.Swarm(seed)
		if err := p.Validate(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		s := p.String()
		for _, k := range []string{"latency", "drop", "dup", "partition", "clog", "crash", "panic", "buggify"} {
			if strings.Contains(s, k) {
				kinds[k]++
			}
		}
	}
	for k, n := range kinds {
		if n < 20 || n > 190 {
			t.Errorf("%s on in %d of 200 profiles: not a swarm", k, n)
		}
	}
	if len(kinds) != 8 {
		t.Errorf("fault kinds seen: %v", kinds)
	}
	path := filepath.Join(t.TempDir(), "p.json")
	p := sim.Swarm(11)
	if err := p.Save(path); err != nil {
		t.Fatal(err)
	}
	q, err := sim.LoadProfile(path)
	if err != nil || !reflect.DeepEqual(p, q) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, p, q)
	}
	if !strings.HasPrefix(sim.NoFaults().String(), "none: no faults") {
		t.Fatal(sim.NoFaults().String())
	}
}

// TestProfileValidation: bad rates and schedules are refused.
func TestProfileValidation(t *testing.T) {
	bad := []sim.Profile{
		{Net: sim.NetFaults{Drop: 1.5}},
		{Net: sim.NetFaults{LatencyMin: 5, LatencyMax: 1}},
		{Crashes: &sim.CrashFaults{Every: 0}},
		{Partitions: &sim.PartitionFaults{Every: 1, Min: 5, Max: 1}},
		{Buggify: &sim.BuggifyFaults{Activate: -1}},
	}
	for i, p := range bad {
		if err := p.Validate(); err == nil {
			t.Errorf("profile %d accepted: %+v", i, p)
		}
	}
	if _, err := sim.LoadProfile(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("missing file loaded")
	}
}

func ms(n int) sim.Duration { return sim.Duration(time.Duration(n) * time.Millisecond) }

// TestNemesisAndHeal: crashes and partitions happen during the fault
// phase only; at the heal every node is up and the network whole.
func TestNemesisAndHeal(t *testing.T) {
	p := sim.Profile{
		Name:       "test",
		FaultTime:  ms(1000),
		Crashes:    &sim.CrashFaults{Every: ms(50), DownMin: ms(5), DownMax: ms(30)},
		Partitions: &sim.PartitionFaults{Every: ms(40), Min: ms(10), Max: ms(100), OneWay: 0.5},
		Clogs:      &sim.ClogFaults{Every: ms(60), Min: ms(1), Max: ms(20), Node: 0.3},
	}
	w := sim.New(5, sim.WithProfile(p), sim.WithRecording())
	for _, name := range []string{"a", "b", "c"} {
		if _, err := w.Boot(name, echoBoot); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Run(sim.Until(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if !w.Healed() || w.HealTime() != time.Second {
		t.Fatalf("healed=%v at %v", w.Healed(), w.HealTime())
	}
	counts := map[string]int{}
	healed := false
	for _, e := range w.Events() {
		if e.Kind != sim.EventNote {
			continue
		}
		if e.What == "heal" {
			healed = true
		}
		if strings.HasPrefix(e.What, "fault:") {
			if healed {
				t.Fatalf("fault after the heal: %v", e)
			}
			counts[strings.Fields(e.What)[1]]++
		}
	}
	if counts["crash"] < 5 || counts["partition"] < 5 || counts["clog"] < 5 {
		t.Fatalf("fault counts %v", counts)
	}
	for _, name := range []string{"a", "b", "c"} {
		if w.Down(name) {
			t.Fatalf("%s still down after the heal", name)
		}
	}
	reply, err := w.System("a").Request(ctxBg(), actor.NewPID("c", "echo"), wrapperspb.String("x"))
	if err != nil || reply.(*wrapperspb.StringValue).Value != "echo x" {
		t.Fatalf("after heal: %v, %v", reply, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestInjectedPanics: only actors the scenario allows to fail get
// injected panics, which their supervisors handle like real ones.
func TestInjectedPanics(t *testing.T) {
	w := sim.New(1, sim.WithProfile(sim.Profile{Name: "p", Panics: &sim.PanicFaults{Rate: 1}}))
	s := w.MustNode("n")
	w.AllowPanics(func(node, id string) bool { return id == "fragile" })
	handled := map[string]int{}
	mk := func(name string) *actor.PID {
		pid, _ := s.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
			if _, ok := c.Message().(int); ok {
				handled[name]++
			}
		}), name)
		return pid
	}
	fragile, sturdy := mk("fragile"), mk("sturdy")
	for i := 0; i < 3; i++ {
		s.Send(fragile, i)
		s.Send(sturdy, i)
	}
	if _, err := w.Run(); err != nil {
		t.Fatal(err)
	}
	if handled["fragile"] != 0 || handled["sturdy"] != 3 {
		t.Fatalf("handled %v", handled)
	}
	if st := s.Stats(); st.Restarts != 3 {
		t.Fatalf("stats %+v, want 3 restarts of fragile", st)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBuggify: fault points never fire in a real system or without
// Buggify in the profile; with it, activation is per site and traced.
func TestBuggify(t *testing.T) {
	real := actors.New()
	defer real.Close(ctxBg())
	if real.Buggify("x") {
		t.Fatal("fired in a real system")
	}
	off := sim.New(1)
	if off.MustNode("n").Buggify("x") {
		t.Fatal("fired without a profile")
	}
	on := sim.New(1, sim.WithProfile(sim.Profile{Buggify: &sim.BuggifyFaults{Activate: 1, Fire: 1}}), sim.WithRecording())
	s := on.MustNode("n")
	fired := 0
	_, _ = s.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Started); ok && actors.Buggify(c, "site/a") {
			fired++
		}
	}))
	if _, err := on.Run(); err != nil {
		t.Fatal(err)
	}
	if fired != 1 {
		t.Fatalf("fired %d times", fired)
	}
	var notes []string
	for _, e := range on.Events() {
		if e.Kind == sim.EventNote {
			notes = append(notes, e.What)
		}
	}
	if strings.Join(notes, "|") != "buggify site/a activated=true|fault: buggify site/a #1" {
		t.Fatalf("notes %v", notes)
	}
	never := sim.New(1, sim.WithProfile(sim.Profile{Buggify: &sim.BuggifyFaults{Activate: 0, Fire: 1}}))
	if never.MustNode("n").Buggify("site/b") {
		t.Fatal("an inactive site fired")
	}
	_ = on.Close()
	_ = off.Close()
	_ = never.Close()
}
