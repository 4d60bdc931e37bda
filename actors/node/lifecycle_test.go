package node_test

// A node's lifecycle (Stop, a peer that is down or dies, the address used
// again) is tested in child processes: this process's node is shared by
// the other tests and lives until the end, and a process may run one
// node at a time. Each child checks for itself, prints "FAIL <why>" for
// each failed check and "DONE" at the end, and exits 0 unless the race
// detector saw a race.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/actors/node"
	"github.com/actorio/actorio/internal/childproc"
	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

var lifeModes = map[string]func(){
	"life-stop":     lifeStop,
	"life-dead":     lifeDead,
	"life-peerdied": lifePeerDied,
}

// downWithin is how soon a message to a peer that is down must fail:
// the node's DialTimeout (3s), protoactor's pause after a failed dial
// (2s), and some slack. protoactor's defaults took 10s (5 dials).
const downWithin = 7 * time.Second

// stopWithin bounds a Stop while a peer that is down is being dialled:
// Stop ends the dial and does not wait for the writer (it waited 1s).
const stopWithin = 2 * time.Second

// life is a child's checks.
type life struct {
	base goleak.Option // the goroutines before any node
	sys  *actors.System
	n    *node.Node
}

func newLife(opts ...actors.Option) *life {
	l := &life{base: goleak.IgnoreCurrent(), sys: actors.New(opts...)}
	n, err := node.Start(l.sys, node.Config{})
	if err != nil {
		fmt.Println("FAIL start:", err)
		fmt.Println("DONE")
		os.Exit(0)
	}
	l.n = n
	return l
}

func (l *life) check(ok bool, format string, args ...any) bool {
	if !ok {
		fmt.Println("FAIL", fmt.Sprintf(format, args...))
	}
	return ok
}

// request asks target's echo with a timeout and says how long it took.
func request(sys *actors.System, target string, timeout time.Duration) (any, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	reply, err := sys.Request(ctx, actor.NewPID(target, "echo"), wrapperspb.String("hello"))
	return reply, time.Since(start), err
}

// watch watches who from a new actor of sys and returns its Terminated
// (nil if none came within timeout).
func watch(sys *actors.System, who *actor.PID, timeout time.Duration) *actor.Terminated {
	got := make(chan *actor.Terminated, 1)
	pid, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			c.Watch(who)
		case *actor.Terminated:
			select {
			case got <- m:
			default:
			}
		}
	}))
	if err != nil {
		return nil
	}
	defer sys.Stop(pid)
	select {
	case m := <-got:
		return m
	case <-time.After(timeout):
		return nil
	}
}

// stop stops the node, checking that it is done within limit.
func (l *life) stop(limit time.Duration) {
	start := time.Now()
	l.n.Stop()
	took := time.Since(start)
	fmt.Println("STOPPED in", took.Round(time.Millisecond))
	l.check(took < limit, "Stop took %v, want under %v", took, limit)
}

// leftWithin is how long after Stop a goroutine of the node may last: a
// writer whose dial Stop ended sleeps through protoactor's 2s pause.
const leftWithin = 3 * time.Second

// noLeaks closes the System and checks that no goroutine the node
// started is left, or lasts longer than leftWithin.
func (l *life) noLeaks() {
	_ = l.sys.Close(context.Background())
	deadline := time.Now().Add(leftWithin)
	err := goleak.Find(l.base)
	for ; err != nil && time.Now().Before(deadline); err = goleak.Find(l.base) {
		time.Sleep(100 * time.Millisecond)
	}
	l.check(err == nil, "goroutines left %v after Stop: %v", leftWithin, err)
}

// lifeStop: a node connected to a live peer ($ACTORIO_PEER_TARGET) is
// stopped while goroutines send to the peer. Stop drops its connections
// and goroutines; what is sent to peers afterwards is a dead letter (a
// Request fails at once), a watch of a peer's actor is answered
// AddressTerminated; Stop can be called again; the system cannot be made
// a node again; and the address can be listened on again.
func lifeStop() {
	l := newLife()
	target := os.Getenv("ACTORIO_PEER_TARGET")
	echo, sink := actor.NewPID(target, "echo"), actor.NewPID(target, "sink")
	if _, _, err := request(l.sys, target, 10*time.Second); !l.check(err == nil, "request before Stop: %v", err) {
		fmt.Println("DONE")
		return
	}

	// Senders racing Stop: plain sends, requests, and watchers that
	// watch the peer's echo and stop (unwatching it).
	quit := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-quit:
					return
				default:
				}
				switch i % 3 {
				case 0:
					l.sys.Send(sink, wrapperspb.Bytes([]byte{0xff, 0xff}))
				case 1:
					_, _, _ = request(l.sys, target, time.Second)
				case 2:
					if pid, err := l.sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
						if _, ok := c.Message().(*actor.Started); ok {
							c.Watch(echo)
						}
					})); err == nil {
						l.sys.Stop(pid)
					}
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	addr := l.n.Address()
	l.stop(5 * time.Second)
	close(quit)
	wg.Wait()
	l.n.Stop() // again: nothing more to do

	_, took, err := request(l.sys, target, 5*time.Second)
	l.check(errors.Is(err, actors.ErrNoActor) && took < time.Second, "request after Stop: %v after %v, want ErrNoActor at once", err, took)
	m := watch(l.sys, echo, 2*time.Second)
	l.check(m != nil && m.Why == actor.TerminatedReason_AddressTerminated, "watch after Stop: %v, want Terminated{AddressTerminated}", m)
	_, err = node.Start(l.sys, node.Config{})
	l.check(err != nil && strings.Contains(err.Error(), "node already"), "Start of the stopped node's system: %v", err)
	l.noLeaks()

	// The address is free again (a new node on it runs in a new
	// process: see TestStop).
	ln, err := net.Listen("tcp", addr)
	if l.check(err == nil, "listen on the stopped node's address: %v", err) {
		_ = ln.Close()
	}
	fmt.Println("ADDR", addr)
	fmt.Println("DONE")
}

// lifeDead: a request to a peer that is down ($ACTORIO_PEER_TARGET,
// where nothing listens) fails once the dial has, and leaves no gRPC
// channel redialling it; Stop while dialling it again ends that dial and
// returns without waiting for the endpoint writer, which holds no
// connection (it waited 1s for it, as protoactor's writer sleeps 2s
// after a failed dial, and warned "node: stop EndpointSupervisor future:
// timeout": sparsecopy's server did, 1 SIGTERM in 5, when a client's
// Terminated dialled the client that had just left). Nothing from Stop
// on is logged at Warn or above.
func lifeDead() {
	h := newRecordingHandler()
	l := newLife(actors.WithLogger(slog.New(h)))
	target := os.Getenv("ACTORIO_PEER_TARGET")
	_, took, err := request(l.sys, target, 20*time.Second)
	l.check(errors.Is(err, actors.ErrNoActor) && took < downWithin, "request to a peer that is down: %v after %v, want ErrNoActor within %v", err, took, downWithin)
	l.sys.Send(actor.NewPID(target, "echo"), wrapperspb.String("dial again"))
	time.Sleep(100 * time.Millisecond)
	before := len(h.all())
	l.stop(stopWithin)
	l.noLeaks()
	for _, r := range h.all()[before:] {
		l.check(r.level < slog.LevelWarn, "logged at %v from Stop on: %v", r.level, r)
	}
	fmt.Println("DONE")
}

// lifePeerDied: a node connected to a peer that is then killed (the
// test kills it when told "CONNECTED", and answers "KILLED") tells its
// watchers, fails requests to it once the dial to it has, and stops
// (while dialling it again) at once, without leaving gRPC channels
// redialling it.
func lifePeerDied() {
	l := newLife()
	target := os.Getenv("ACTORIO_PEER_TARGET")
	echo := actor.NewPID(target, "echo")
	if _, _, err := request(l.sys, target, 10*time.Second); !l.check(err == nil, "request before the kill: %v", err) {
		fmt.Println("DONE")
		return
	}
	terminated := make(chan *actor.Terminated, 1)
	_, _ = l.sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			c.Watch(echo)
			c.Request(echo, wrapperspb.String("watching"))
		case *wrapperspb.StringValue:
			fmt.Println("CONNECTED")
		case *actor.Terminated:
			terminated <- m
		}
	}))
	if sc := bufio.NewScanner(os.Stdin); !sc.Scan() || sc.Text() != "KILLED" {
		l.check(false, "no KILLED on stdin")
	}
	select {
	case m := <-terminated:
		l.check(m.Why == actor.TerminatedReason_AddressTerminated, "watcher got %v", m)
	case <-time.After(20 * time.Second):
		l.check(false, "no Terminated for the killed peer's actor")
	}
	_, took, err := request(l.sys, target, 20*time.Second)
	l.check(errors.Is(err, actors.ErrNoActor) && took < downWithin, "request to the killed peer: %v after %v, want ErrNoActor within %v", err, took, downWithin)
	l.sys.Send(echo, wrapperspb.String("dial again"))
	time.Sleep(100 * time.Millisecond)
	l.stop(stopWithin)
	l.noLeaks()
	fmt.Println("DONE")
}

// runLife runs a life-* child and fails the test on each of its FAILs,
// on its exit code and on any race it reports; at each line, on calls
// on with it.
func runLife(t *testing.T, mode string, on func(line string, p *childproc.Proc), env ...string) {
	t.Helper()
	p := childproc.Start(t, nil, append([]string{"ACTORIO_PEER=" + mode}, env...)...)
	for {
		line, ok := p.Next(t, 2*time.Minute)
		if !ok {
			t.Fatalf("%s ended before DONE; stderr:\n%s", mode, p.Stderr())
		}
		t.Log(line)
		if rest, failed := strings.CutPrefix(line, "FAIL "); failed {
			t.Error(rest)
		}
		if line == "DONE" {
			break
		}
		if on != nil {
			on(line, p)
		}
	}
	p.Stop()
	if code := p.Wait(t, time.Minute); code != 0 || strings.Contains(p.Stderr(), "DATA RACE") {
		t.Errorf("%s exited %d; stderr:\n%s", mode, code, p.Stderr())
	}
}

// TestStop: see lifeStop; then a new node on the stopped one's address
// (a restarted process) is answered by the peer, which had been talking
// to the old one.
func TestStop(t *testing.T) {
	p, _ := startPeer(t, "serve")
	var addr string
	runLife(t, "life-stop", func(line string, _ *childproc.Proc) {
		if rest, ok := strings.CutPrefix(line, "ADDR "); ok {
			addr = rest
		}
	}, "ACTORIO_PEER_TARGET="+p.addr)
	if addr == "" {
		t.Fatal("no ADDR from the stopped node")
	}
	_, got := startPeer(t, "ask", "ACTORIO_PEER_ADDR="+addr, "ACTORIO_PEER_TARGET="+p.addr)
	if !strings.HasPrefix(got, "REPLY echo (asks ") {
		t.Fatalf("a new node at the stopped one's address %s got %q", addr, got)
	}
}

// TestPeerDown: see lifeDead.
func TestPeerDown(t *testing.T) {
	runLife(t, "life-dead", nil, "ACTORIO_PEER_TARGET="+closedAddr())
}

// TestStopAfterPeerDied: see lifePeerDied.
func TestStopAfterPeerDied(t *testing.T) {
	p, _ := startPeer(t, "serve")
	runLife(t, "life-peerdied", func(line string, c *childproc.Proc) {
		if line == "CONNECTED" {
			p.Kill(t)
			<-p.Done()
			c.Send(t, "KILLED")
		}
	}, "ACTORIO_PEER_TARGET="+p.addr)
}
