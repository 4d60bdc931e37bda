package signalbus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/actors/node"
	"github.com/actorio/actorio/internal/benchcmp"
	"github.com/actorio/actorio/signalbus"
	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// benchCounter is the peer's slot for the benchmark: it counts the events
// of its remote connection and the raw messages sent to it, and answers
// "events:N" or "raw:N" once it has counted N.
type benchCounter struct {
	events, raw int
	waiter      *actor.PID
	kind        string
	target      int
}

func (x *benchCounter) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *signalbus.Event[blockIO]:
		x.events++
	case *wrapperspb.BytesValue:
		x.raw++
	case *wrapperspb.StringValue:
		kind, n, _ := strings.Cut(m.Value, ":")
		x.kind, x.waiter = kind, c.Sender()
		x.target, _ = strconv.Atoi(n)
	}
	if x.waiter == nil {
		return
	}
	if (x.kind == "events" && x.events >= x.target) || (x.kind == "raw" && x.raw >= x.target) {
		c.Send(x.waiter, wrapperspb.String("ok"))
		x.waiter = nil
	}
}

// benchPeer runs the benchmark's peer process (mode "bench"): a node whose
// "counter" actor is connected to BlockIOEvent at $ACTORIO_SIGNAL_ADDR.
func benchPeer() {
	if path := os.Getenv("ACTORIO_PEER_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
		}
	}
	sys := actors.New()
	n, err := node.Start(sys, node.Config{})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	bus := signalbus.New(sys)
	counter, err := sys.SpawnNamed(signalbus.SlotProps(func() actor.Actor { return &benchCounter{} }), "counter")
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	rs, _ := signalbus.Remote[blockIO](bus, os.Getenv("ACTORIO_SIGNAL_ADDR"), "BlockIOEvent")
	if _, err := rs.Connect(context.Background(), signalbus.ActorSlot[blockIO](counter), signalbus.Queue(4096, signalbus.DropOldest)); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Println("READY", n.Address())
	_, _ = os.Stdin.Read(make([]byte, 1))
	bus.Close()
	_ = sys.Close(context.Background())
	n.Stop()
}

// BenchmarkRemoteSignal: events from a signal here to a remote actor slot
// in another process (JSON, numbered, acknowledged, windowed), against
// raw protoactor remote messages of the same bytes to the same actor.
// Both go in batches of 2000, each waited for (the connection's queue is
// 4096, so nothing is dropped).
func BenchmarkRemoteSignal(b *testing.B) {
	n := localNode(b)
	bus := signalbus.New(n.System())
	defer bus.Close()
	sig, err := signalbus.NewSignal[blockIO](bus, "BlockIOEvent", signalbus.WithArgs("device"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := signalbus.Serve(bus); err != nil {
		b.Fatal(err)
	}
	sub := startSubscriberMode(b, n.Address(), "bench")
	f := strings.Fields(sub.until(b, "READY "))
	counter := actor.NewPID(f[1], "counter")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	ev := blockIO{Device: "vda", Action: "report", N: 1}
	raw, _ := json.Marshal(ev)
	sent := map[string]int{}
	run := func(kind string, n int, send func()) {
		for n > 0 {
			batch := min(n, 2000)
			for i := 0; i < batch; i++ {
				send()
			}
			n -= batch
			sent[kind] += batch
			if _, err := bus.System().Request(ctx, counter, wrapperspb.String(fmt.Sprintf("%s:%d", kind, sent[kind]))); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	benchcmp.Compare(b,
		func(n int) { run("events", n, func() { _ = sig.Emit(ev, "vda") }) },
		func(n int) { run("raw", n, func() { bus.System().Send(counter, wrapperspb.Bytes(raw)) }) })
}
