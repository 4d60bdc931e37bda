package node_test

import (
	"bufio"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/internal/childproc"
	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func init() {
	lifeModes["life-stopwatched"] = lifeStopWatched
	lifeModes["life-peergone"] = lifePeerGone
}

// watchedBy is what a watcher of a peer's actors got: every Terminated,
// in order.
type watchedBy struct {
	pid *actor.PID
	got chan *actor.Terminated
}

// watchAll spawns an actor of l's System that watches each of who and
// then asks the first with a StringValue (so its Watches have reached
// the peer, over the same connection, when the answer comes), and
// returns it once answered (ok false if no answer came in 10s).
func (l *life) watchAll(who ...*actor.PID) (w watchedBy, ok bool) {
	w.got = make(chan *actor.Terminated, 16)
	answered := make(chan struct{})
	pid, err := l.sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			for _, p := range who {
				c.Watch(p)
			}
			c.Request(who[0], wrapperspb.String("watching"))
		case *wrapperspb.StringValue:
			close(answered)
		case *actor.Terminated:
			w.got <- m
		}
	}))
	if !l.check(err == nil, "spawn a watcher: %v", err) {
		return w, false
	}
	w.pid = pid
	select {
	case <-answered:
		return w, true
	case <-time.After(10 * time.Second):
		return w, l.check(false, "watcher %v: no answer from %v", pid, who[0])
	}
}

// terminatedOnce checks that w gets exactly one Terminated{why} for
// each of who (in any order) and nothing more for quiet.
func (l *life) terminatedOnce(what string, w watchedBy, why actor.TerminatedReason, who ...*actor.PID) {
	want := make(map[string]bool, len(who))
	for _, p := range who {
		want[p.String()] = true
	}
	for len(want) > 0 {
		select {
		case m := <-w.got:
			if !l.check(want[m.Who.String()], "%s: %v got an unexpected or second Terminated %v", what, w.pid, m) {
				continue
			}
			delete(want, m.Who.String())
			l.check(m.Why == why, "%s: %v got %v, want %v", what, w.pid, m, why)
		case <-time.After(20 * time.Second):
			l.check(false, "%s: %v got no Terminated for %v", what, w.pid, want)
			return
		}
	}
	select {
	case m := <-w.got:
		l.check(false, "%s: %v got a second Terminated %v", what, w.pid, m)
	case <-time.After(quiet):
	}
}

// lifeStopWatched: actors of a node that watch actors of a live peer
// ($ACTORIO_PEER_TARGET) each get one Terminated{AddressTerminated} per
// watch when their own node stops (the System still runs).
func lifeStopWatched() {
	l := newLife()
	target := os.Getenv("ACTORIO_PEER_TARGET")
	echo, sink := actor.NewPID(target, "echo"), actor.NewPID(target, "sink")
	var ws []watchedBy
	for i := 0; i < 3; i++ {
		w, ok := l.watchAll(echo, sink)
		if !ok {
			fmt.Println("DONE")
			return
		}
		ws = append(ws, w)
	}
	l.stop(5 * time.Second)
	for i, w := range ws {
		l.terminatedOnce(fmt.Sprintf("watcher %d after its node stopped", i), w, actor.TerminatedReason_AddressTerminated, echo, sink)
	}
	l.noLeaks()
	fmt.Println("DONE")
}

// TestStopTerminatesWatchesOfPeers: see lifeStopWatched.
//
// Found by reading: Stop stopped protoactor's endpoint watchers without
// telling them the endpoint had ended (it unsubscribed them from the
// endpoint events first), so a live watch of a peer's actor got no
// Terminated at all when the watcher's own node stopped.
func TestStopTerminatesWatchesOfPeers(t *testing.T) {
	p, _ := startPeer(t, "serve")
	runLife(t, "life-stopwatched", nil, "ACTORIO_PEER_TARGET="+p.addr)
}

// lifePeerGone: actors watching actors of a peer ($ACTORIO_PEER_TARGET)
// over a connection that is then idle are told Terminated{AddressTerminated}
// once the peer is gone without a word (the test makes it so when told
// "CONNECTED" and answers "GONE"): killed, or hung (SIGSTOP, as a
// partitioned or frozen host looks), which only keepalive notices.
func lifePeerGone() {
	l := newLife()
	target := os.Getenv("ACTORIO_PEER_TARGET")
	echo, sink := actor.NewPID(target, "echo"), actor.NewPID(target, "sink")
	w, ok := l.watchAll(echo, sink)
	if !ok {
		fmt.Println("DONE")
		return
	}
	fmt.Println("CONNECTED")
	if sc := bufio.NewScanner(os.Stdin); !sc.Scan() || sc.Text() != "GONE" {
		l.check(false, "no GONE on stdin")
	}
	start := time.Now()
	l.terminatedOnce("watcher of a peer that is gone", w, actor.TerminatedReason_AddressTerminated, echo, sink)
	fmt.Println("TERMINATED after", (time.Since(start) - quiet).Round(time.Millisecond))
	l.stop(5 * time.Second)
	l.noLeaks()
	fmt.Println("DONE")
}

// TestWatchOfPeerThatIsGone: see lifePeerGone; the peer is killed, or
// hung (its process stopped) and then killed once the watcher has heard.
func TestWatchOfPeerThatIsGone(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGSTOP} {
		t.Run(sig.String(), func(t *testing.T) {
			p, _ := startPeer(t, "serve")
			runLife(t, "life-peergone", func(line string, c *childproc.Proc) {
				if line == "CONNECTED" {
					if err := p.Process().Signal(sig); err != nil {
						t.Fatal(err)
					}
					c.Send(t, "GONE")
				}
			}, "ACTORIO_PEER_TARGET="+p.addr)
			p.Kill(t)
			<-p.Done()
		})
	}
}
