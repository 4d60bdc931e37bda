package signalbus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/actorio/actorio/internal/wire"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"
)

// rogue is an actor on a node of its own that sends what it is told, with
// itself as sender, and remembers who last wrote to it (the client that
// connected to it, when it plays a server).
type rogue struct {
	client *actor.PID
	got    []proto.Message
}

type rogueSend struct {
	to  *actor.PID
	msg proto.Message
}

func (r *rogue) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *rogueSend:
		to := m.to
		if to == nil {
			to = r.client
		}
		if to != nil {
			c.Request(actor.NewPID(to.Address, to.Id), m.msg)
		}
	case *wire.SignalConnect, *wire.SignalAck, *wire.SignalDisconnect, *wire.SignalAudit:
		if s := c.Sender(); s != nil {
			r.client = actor.NewPID(s.Address, s.Id)
		}
		r.got = append(r.got, m.(proto.Message))
	}
}

// runBounded runs the world for d of virtual time, failing if that takes
// an unreasonable number of steps (a livelock: messages bouncing forever
// in no time).
func (p *pair) runBounded(t *testing.T, d time.Duration) {
	t.Helper()
	res, err := p.w.Run(p.w.For(d), sim.MaxSteps(p.w.Steps()+200_000))
	if err != nil {
		t.Fatal(err)
	}
	if res.Reason == sim.StepLimit {
		t.Fatalf("livelock: %d steps and virtual time only at %v", res.Steps, res.Now)
	}
}

var (
	fuzzTypes   = []string{"BlockIOEvent", "OtherEvent", ""}
	fuzzData    = [][]byte{[]byte(`{"device":"a","n":1}`), []byte(`{"n":"x"}`), []byte(`not json`), nil}
	fuzzReasons = []string{"", "unknown connection", "signal closed"}
)

// FuzzPeerInput: whatever a peer sends, as a server to this node's client
// or as a client to this node's server, no actor fails, and a legitimate
// connection between the two real nodes still delivers every event
// exactly once, in order.
func FuzzPeerInput(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 2, 2, 0, 0, 0})
	f.Add([]byte{3, 0, 1, 8, 4, 0, 0, 255, 5, 1, 1, 0, 6, 0, 0, 0, 7, 0, 0, 0})
	f.Add([]byte{0, 1, 1, 1, 1, 0, 1, 9, 1, 1, 0, 1, 2, 0, 0, 1, 2, 0, 0, 2})
	f.Add([]byte{3, 2, 7, 200, 3, 2, 7, 200, 4, 2, 7, 3, 5, 0, 7, 0, 6, 0, 0, 0})
	f.Fuzz(func(t *testing.T, script []byte) {
		p := newPair(t, 9)
		sysR := p.w.MustNode("r")
		rs, _ := sysR.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &rogue{} }), signalbus.ServerName)
		rc, _ := sysR.Spawn(actor.PropsFromProducer(func() actor.Actor { return &rogue{} }))
		ctx := context.Background()
		legit := newRecorder()
		h0, err := p.rs.Connect(ctx, legit.slot(nil))
		if err != nil {
			t.Fatal(err)
		}
		viaRogue, _ := signalbus.Remote[blockIO](p.busB, "r", "BlockIOEvent")
		other := newRecorder()
		h1, _ := viaRogue.Connect(signalbus.InActor(ctx), other.slot(nil))
		p.run(t, 50*time.Millisecond)
		st, err := p.busB.RemoteStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		epoch := func(x byte) uint64 {
			if x%2 == 0 {
				return st.Epoch
			}
			return uint64(x)
		}
		conn := func(y byte) string {
			if y%2 == 0 {
				return string(h1)
			}
			return fmt.Sprintf("c%d", y)
		}
		server := actor.NewPID("a", signalbus.ServerName)
		legitN := 0
		for i := 0; i+4 <= len(script) && i < 400; i += 4 {
			op, x, y, z := script[i]%8, script[i+1], script[i+2], script[i+3]
			var send *rogueSend
			switch op {
			case 0:
				m := &wire.SignalConnected{Epoch: epoch(x), Conn: conn(y), Name: fuzzTypes[z%3], Window: uint32(z)}
				if z%4 == 1 {
					m.Error, m.ErrorKind = "no", []string{"unknown-type", "closed", "stale", "x"}[x%4]
				}
				for j := 0; j < int(z%3); j++ {
					m.Args = append(m.Args, &wire.SignalArgInfo{Name: "device", Type: "str"})
				}
				send = &rogueSend{msg: m}
			case 1:
				m := &wire.SignalEvent{Epoch: epoch(x), Conn: conn(y), N: uint64(z % 8), Seq: uint64(z), Type: fuzzTypes[x%3], Data: fuzzData[y%4]}
				for j := 0; j < int(z%3); j++ {
					m.Args = append(m.Args, "a")
				}
				send = &rogueSend{msg: m}
			case 2:
				send = &rogueSend{msg: &wire.SignalDisconnected{Epoch: epoch(x), Conn: conn(y), Reason: fuzzReasons[z%3]}}
			case 3:
				send = &rogueSend{to: server, msg: &wire.SignalConnect{Epoch: uint64(x % 3), Started: int64(y % 3), Conn: fmt.Sprintf("r%d", z%5),
					Type: fuzzTypes[x%3], Limit: uint32(z) * 700, Policy: uint32(x % 3), Args: []*wire.SignalArg{{Name: "device", Value: "a"}}[:y%2]}}
			case 4:
				send = &rogueSend{to: server, msg: &wire.SignalAck{Epoch: uint64(x % 3), Conn: fmt.Sprintf("r%d", y%5), Received: uint64(z) << (x % 64), Acked: uint64(y) * uint64(z)}}
			case 5:
				if x%2 == 0 {
					send = &rogueSend{to: server, msg: &wire.SignalDisconnect{Epoch: uint64(x % 3), Conn: fmt.Sprintf("r%d", y%5)}}
				} else {
					send = &rogueSend{to: server, msg: &wire.SignalAudit{Epoch: uint64(x % 3), Conns: []string{fmt.Sprintf("r%d", y%5), "nope"}}}
				}
			case 6:
				legitN++
				_ = p.sig.Emit(blockIO{Device: "a", N: legitN}, "a")
			default:
				p.runBounded(t, time.Duration(z)*time.Millisecond)
			}
			if send != nil {
				target := rs
				if send.to != nil {
					target = rc
				}
				sysR.Send(target, send)
			}
		}
		for j := 0; j < 5; j++ {
			legitN++
			_ = p.sig.Emit(blockIO{Device: "a", N: legitN}, "a")
		}
		p.runBounded(t, 2*time.Second)
		got := legit.of(h0)
		if len(got) != legitN {
			t.Fatalf("the legitimate connection got %d of %d events: %v", len(got), legitN, got)
		}
		for i, s := range got {
			if s != fmt.Sprintf("a/%d", i+1) {
				t.Fatalf("the legitimate connection's event %d is %s", i, s)
			}
		}
		for _, s := range other.of(h1) {
			if s != "a/1" {
				t.Fatalf("the rogue's connection delivered %s", s)
			}
		}
		if fa, fb := p.busA.System().Stats().Failures, p.busB.System().Stats().Failures; fa != 0 || fb != 0 {
			t.Fatalf("actor failures: node a %d, node b %d", fa, fb)
		}
		p.close(t)
	})
}
