package sim_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// echoBoot boots a node with an "echo" actor answering StringValues.
func echoBoot(sys *actors.System) error {
	_, err := sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*wrapperspb.StringValue); ok {
			c.Respond(wrapperspb.String("echo " + m.Value))
		}
	}), "echo")
	return err
}

// collector keeps what an actor on node a receives.
type collector struct{ got []string }

func (c *collector) props() *actor.Props { return actor.PropsFromFunc(c.receive) }

func (c *collector) receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *wrapperspb.StringValue:
		c.got = append(c.got, m.Value)
	case *wrapperspb.UInt64Value:
		c.got = append(c.got, fmt.Sprint(m.Value))
	case *actor.Terminated:
		c.got = append(c.got, fmt.Sprintf("terminated %s %s", m.Who.Id, m.Why))
	}
}

// TestRemoteRequestAndFIFO: messages cross nodes with latency, replies
// come back, and a link stays FIFO under jittered latency.
func TestRemoteRequestAndFIFO(t *testing.T) {
	w := sim.New(1)
	w.SetNetFaults(sim.NetFaults{LatencyMin: sim.Duration(time.Millisecond), LatencyMax: sim.Duration(9 * time.Millisecond)})
	a := w.MustNode("a")
	if _, err := w.Boot("b", echoBoot); err != nil {
		t.Fatal(err)
	}
	echo := actor.NewPID("b", "echo")
	reply, err := a.Request(ctxBg(), echo, wrapperspb.String("hi"))
	if err != nil || reply.(*wrapperspb.StringValue).Value != "echo hi" {
		t.Fatalf("Request across nodes: %v, %v", reply, err)
	}
	if w.Now() < 2*time.Millisecond {
		t.Fatalf("round trip took %v of virtual time, want ≥ 2 latencies", w.Now())
	}
	var col collector
	sink, _ := w.System("b").SpawnNamed(col.props(), "sink")
	for i := 0; i < 50; i++ {
		a.Send(actor.NewPID("b", sink.Id), wrapperspb.UInt64(uint64(i)))
	}
	if _, err := w.Run(); err != nil {
		t.Fatal(err)
	}
	if len(col.got) != 50 || col.got[0] != "0" || col.got[49] != "49" {
		t.Fatalf("FIFO broken: %v", col.got)
	}
	for i, g := range col.got {
		if g != fmt.Sprint(i) {
			t.Fatalf("message %d arrived as %s", i, g)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestRemoteNonProtoFailsRun: a Go struct sent across nodes fails the
// run, as protoactor remote would drop it; Loose allows it.
func TestRemoteNonProtoFailsRun(t *testing.T) {
	w := sim.New(1)
	a := w.MustNode("a")
	w.MustNode("b")
	a.Send(actor.NewPID("b", "x"), struct{ n int }{1})
	_, err := w.Run()
	if err == nil || !strings.Contains(err.Error(), "non-protobuf message") {
		t.Fatalf("Run = %v", err)
	}
	loose := sim.New(1, sim.WithRemote(sim.RemoteOptions{Loose: true}))
	la := loose.MustNode("a")
	lb := loose.MustNode("b")
	var col collector
	_, _ = lb.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
		if s, ok := c.Message().(string); ok {
			col.got = append(col.got, s)
		}
	}), "x")
	la.Send(actor.NewPID("b", "x"), "plain")
	if _, err := loose.Run(); err != nil || len(col.got) != 1 {
		t.Fatalf("loose: %v, %v", err, col.got)
	}
	if err := loose.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestPartitionAndKeepalive: a partition loses messages; once it has
// lasted the keepalive, watchers across it get AddressTerminated; after
// mending, messages flow again.
func TestPartitionAndKeepalive(t *testing.T) {
	w := sim.New(2, sim.WithRemote(sim.RemoteOptions{Keepalive: time.Second}), sim.WithRecording())
	a := w.MustNode("a")
	b := w.MustNode("b")
	var col collector
	sink, _ := b.SpawnNamed(col.props(), "sink")
	var watcherGot collector
	_, _ = a.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Started); ok {
			c.Watch(actor.NewPID("b", sink.Id))
		}
		watcherGot.receive(c)
	}), "watcher")
	if _, err := w.Run(); err != nil {
		t.Fatal(err)
	}
	if err := w.Partition("a", "b", true); err != nil {
		t.Fatal(err)
	}
	a.Send(actor.NewPID("b", "sink"), wrapperspb.String("lost"))
	if _, err := w.Run(w.For(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if len(col.got) != 0 {
		t.Fatalf("message crossed a partition: %v", col.got)
	}
	if len(watcherGot.got) != 1 || watcherGot.got[0] != "terminated sink AddressTerminated" {
		t.Fatalf("watcher got %v", watcherGot.got)
	}
	if err := w.Mend("a", "b"); err != nil {
		t.Fatal(err)
	}
	a.Send(actor.NewPID("b", "sink"), wrapperspb.String("after"))
	if _, err := w.Run(); err != nil {
		t.Fatal(err)
	}
	if len(col.got) != 1 || col.got[0] != "after" {
		t.Fatalf("after mending: %v", col.got)
	}
	notes := 0
	for _, e := range w.Events() {
		if e.Kind == sim.EventNote && strings.Contains(e.What, "partitioned") {
			notes++
		}
	}
	if notes != 1 {
		t.Fatalf("%d traced losses, want 1", notes)
	}
	if err := w.Partition("a", "a", false); err == nil {
		t.Fatal("self-partition accepted")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCrashAndRestart: a crashed node's actors vanish (messages to it are
// lost, watchers elsewhere learn AddressTerminated), its timers never
// fire; a restart boots it again under the same addresses.
func TestCrashAndRestart(t *testing.T) {
	w := sim.New(3)
	a := w.MustNode("a")
	ticks := 0
	boot := func(sys *actors.System) error {
		if err := echoBoot(sys); err != nil {
			return err
		}
		_, err := sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
			switch c.Message().(type) {
			case *actor.Started:
				actors.Every(c, 10*time.Millisecond, "tick")
			case string:
				ticks++
			}
		}), "ticker")
		return err
	}
	if _, err := w.Boot("b", boot); err != nil {
		t.Fatal(err)
	}
	var col collector
	_, _ = a.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Started); ok {
			c.Watch(actor.NewPID("b", "echo"))
		}
		col.receive(c)
	}), "watcher")
	if _, err := w.Run(sim.Until(35 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if ticks != 3 {
		t.Fatalf("%d ticks before the crash", ticks)
	}
	if err := w.Crash("b"); err != nil {
		t.Fatal(err)
	}
	if err := w.Crash("a"); err == nil {
		t.Fatal("a node without Boot crashed")
	}
	if _, err := w.Run(sim.Until(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if ticks != 3 || !w.Down("b") {
		t.Fatalf("crashed node still ticking: %d", ticks)
	}
	if len(col.got) != 1 || col.got[0] != "terminated echo AddressTerminated" {
		t.Fatalf("watcher got %v", col.got)
	}
	if _, err := a.Request(ctxBg(), actor.NewPID("b", "echo"), wrapperspb.String("anyone")); err == nil {
		t.Fatal("a down node answered")
	}
	if err := w.Restart("b"); err != nil {
		t.Fatal(err)
	}
	reply, err := a.Request(ctxBg(), actor.NewPID("b", "echo"), wrapperspb.String("again"))
	if err != nil || reply.(*wrapperspb.StringValue).Value != "echo again" {
		t.Fatalf("after restart: %v, %v", reply, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestClogKeepsOrder: a clogged link delays messages until it unclogs,
// losing none and keeping their order; drops and duplicates are traced.
func TestClogKeepsOrder(t *testing.T) {
	w := sim.New(4)
	a := w.MustNode("a")
	b := w.MustNode("b")
	var col collector
	sink, _ := b.SpawnNamed(col.props(), "sink")
	if err := w.Clog("a", "b", 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		a.Send(actor.NewPID("b", sink.Id), wrapperspb.UInt64(uint64(i)))
	}
	if _, err := w.Run(sim.Until(49 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if len(col.got) != 0 {
		t.Fatalf("clogged link delivered %v", col.got)
	}
	if _, err := w.Run(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(col.got, ",") != "0,1,2,3,4" {
		t.Fatalf("after unclog: %v", col.got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSenderCrossesAsNewPID: an actor that has used its own PID (a timer)
// sends a request with itself as sender to another node; the answer comes
// back across the network, and the actor's own timers keep working. (The
// receiving node gets its own copy of the sender PID, as deserialisation
// gives: a PID object caches the process it first resolved to.)
func TestSenderCrossesAsNewPID(t *testing.T) {
	w := sim.New(1, sim.WithProfile(sim.Profile{Name: "latency",
		Net: sim.NetFaults{LatencyMin: sim.Duration(5 * time.Millisecond), LatencyMax: sim.Duration(5 * time.Millisecond)}}))
	a := w.MustNode("a")
	if _, err := w.Boot("b", echoBoot); err != nil {
		t.Fatal(err)
	}
	var got []string
	_, err := a.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			actors.After(c, time.Millisecond, wrapperspb.String("tick"))
		case *wrapperspb.StringValue:
			got = append(got, fmt.Sprintf("%s@%v", m.Value, w.Now()))
			if m.Value == "tick" && len(got) == 1 {
				c.Request(actor.NewPID("b", "echo"), wrapperspb.String("hi"))
				actors.After(c, time.Millisecond, wrapperspb.String("tick"))
			}
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Run(); err != nil {
		t.Fatal(err)
	}
	if want := "[tick@1ms tick@2ms echo hi@11ms]"; fmt.Sprint(got) != want {
		t.Fatalf("got %v, want %s", got, want)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
