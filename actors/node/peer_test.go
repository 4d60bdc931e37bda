package node_test

// Every test process runs exactly one protoactor remote node: protoactor's
// remote.Start writes gRPC's global logger each time it runs, which races
// with the gRPC goroutines of any node already running in the process
// (a protoactor bug). Peers are therefore this test binary, run again as
// a child process in one of two modes:
//
//	serve  start a node ($ACTORIO_PEER_ADDR, $ACTORIO_PEER_ADVERTISE) with an
//	       "echo", a "sink" and a "spawner" actor, print
//	       "ADDR <address>", and serve until stdin closes (then close
//	       the System and stop the node, or the other way round with
//	       $ACTORIO_PEER_NODE_FIRST set)
//	ask    start a node, request a StringValue of the echo at
//	       $ACTORIO_PEER_TARGET, print "REPLY <value>" or "ERROR <error>"
//	life-* run a node through one of the lifecycles of lifecycle_test.go

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/actors/node"
	"github.com/actorio/actorio/internal/childproc"
	"github.com/actorio/actorio/internal/nodetest"
	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// peerMain runs a peer process and reports whether this process is one.
func peerMain() bool {
	mode := os.Getenv("ACTORIO_PEER")
	if mode == "" {
		return false
	}
	if life, ok := lifeModes[mode]; ok {
		life()
		return true
	}
	cfg := node.Config{Addr: os.Getenv("ACTORIO_PEER_ADDR"), Advertise: os.Getenv("ACTORIO_PEER_ADVERTISE")}
	if cert := os.Getenv("ACTORIO_PEER_CERT"); cert != "" {
		tlsCfg, err := node.LoadTLS(cert, os.Getenv("ACTORIO_PEER_KEY"), os.Getenv("ACTORIO_PEER_CA"))
		if err != nil {
			fmt.Println("ERROR", err)
			os.Exit(1)
		}
		cfg.TLS = tlsCfg
	}
	sys := actors.New()
	n, err := node.Start(sys, cfg)
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	switch mode {
	case "serve":
		serve(sys)
		fmt.Println("ADDR", n.Address())
		_, _ = io.Copy(io.Discard, os.Stdin)
	case "ask":
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		target := os.Getenv("ACTORIO_PEER_TARGET")
		reply, err := sys.Request(ctx, actor.NewPID(target, "echo"), wrapperspb.String("from "+n.Address()))
		if err != nil {
			fmt.Println("ERROR", err)
		} else {
			fmt.Println("REPLY", reply.(*wrapperspb.StringValue).Value)
		}
	}
	if os.Getenv("ACTORIO_PEER_NODE_FIRST") != "" {
		n.Stop() // its actors' watchers elsewhere hear only of the node
	}
	_ = sys.Close(context.Background())
	n.Stop()
	return true
}

// serve spawns the peer's actors: echo answers a StringValue with its text
// and the number of BytesValues the sink counted so far (or, to an ask
// peer, with how many requests it has had); spawner, asked a StringValue
// name, spawns a mortal actor of that name and answers its name: a mortal
// answers a StringValue with its text, and stops when told "stop".
func serve(sys *actors.System) {
	mortal := actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*wrapperspb.StringValue); ok {
			if m.Value == "stop" {
				c.Stop(c.Self())
				return
			}
			c.Respond(wrapperspb.String(m.Value))
		}
	})
	_, _ = sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*wrapperspb.StringValue); ok {
			pid, err := c.SpawnNamed(mortal, m.Value)
			if err != nil {
				c.Respond(wrapperspb.String("ERROR " + err.Error()))
				return
			}
			c.Respond(wrapperspb.String(pid.Id))
		}
	}), "spawner")
	var mu sync.Mutex
	count, asks := 0, 0
	_, _ = sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*wrapperspb.StringValue); ok {
			mu.Lock()
			n := count
			mu.Unlock()
			asks++
			if strings.HasPrefix(m.Value, "from ") {
				c.Respond(wrapperspb.String(fmt.Sprintf("echo (asks %d)", asks)))
				return
			}
			c.Respond(wrapperspb.String(fmt.Sprintf("echo %s (sink %d)", m.Value, n)))
		}
	}), "echo")
	_, _ = sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*wrapperspb.BytesValue); ok {
			mu.Lock()
			if int(m.Value[0])|int(m.Value[1])<<8 == count { // in order
				count++
			}
			mu.Unlock()
		}
	}), "sink")
}

// peer is a child process running a node.
type peer struct {
	*childproc.Proc
	addr string
}

// startPeer runs this test binary as a peer in mode with extra
// environment, and reads its first line.
func startPeer(t *testing.T, mode string, env ...string) (*peer, string) {
	t.Helper()
	p := &peer{Proc: childproc.Start(t, nil, append([]string{"ACTORIO_PEER=" + mode}, env...)...)}
	first, ok := p.Next(t, time.Minute)
	if !ok {
		t.Fatalf("peer %s printed nothing; stderr:\n%s", mode, p.Stderr())
	}
	if rest, ok := strings.CutPrefix(first, "ADDR "); ok {
		p.addr = rest
	}
	return p, first
}

// local returns this process's one node (started on first use).
func local(t *testing.T) *node.Node {
	t.Helper()
	return nodetest.Local(t, node.Config{MaxMessage: 1 << 20, MaxFrame: 16 << 20})
}
