package signalbus_test

// Tests with real nodes run one protoactor remote node per process (see
// actors/node's tests): this process is the signal's node, and the
// subscriber is this test binary run again as a child process, in mode
// "subscribe":
//
//	start a node and a bus, connect to BlockIOEvent on the node at
//	$ACTORIO_SIGNAL_ADDR (one func slot filtered on device vda, one
//	unfiltered), print "CONNECTED <h1> <h2>", then print one line per
//	event ("EV <tag> <device> <n> <dropped>") and obey stdin:
//	  disconnect <h>  Disconnect(h), then print "DISCONNECTED <h>"
//	  stall           connect an actor slot that never acknowledges, with
//	                  Queue(8), and print "STALLED <h>"
//	  unknown         connect to a signal the server does not have and
//	                  print "REFUSED <error>"

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/actors/node"
	"github.com/actorio/actorio/internal/childproc"
	"github.com/actorio/actorio/internal/nodetest"
	"github.com/actorio/actorio/signalbus"
	"github.com/asynkron/protoactor-go/actor"
)

// peerMain runs a peer process and reports whether this process is one.
func peerMain() bool {
	switch os.Getenv("ACTORIO_PEER") {
	case "subscribe":
	case "bench":
		benchPeer()
		return true
	default:
		return false
	}
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf(format+"\n", args...)
	}
	fail := func(err error) {
		say("ERROR %v", err)
		os.Exit(1)
	}
	sys := actors.New()
	n, err := node.Start(sys, node.Config{})
	if err != nil {
		fail(err)
	}
	bus := signalbus.New(sys)
	rs, err := signalbus.Remote[blockIO](bus, os.Getenv("ACTORIO_SIGNAL_ADDR"), "BlockIOEvent")
	if err != nil {
		fail(err)
	}
	ctx := context.Background()
	print := signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[blockIO]) {
		say("EV %s %s %d %d", ev.Tag, ev.Value.Device, ev.Value.N, ev.Dropped)
	})
	h1, err := rs.Connect(ctx, print, signalbus.Arg("device", "vda"))
	if err != nil {
		fail(err)
	}
	h2, err := rs.Connect(ctx, print)
	if err != nil {
		fail(err)
	}
	say("CONNECTED %s %s", h1, h2)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		cmd, arg, _ := strings.Cut(in.Text(), " ")
		switch cmd {
		case "disconnect":
			if err := rs.Disconnect(ctx, signalbus.Handle(arg)); err != nil {
				fail(err)
			}
			say("DISCONNECTED %s", arg)
		case "stall":
			slot, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
				if d, ok := c.Message().(signalbus.Delivery); ok && !d.Live() {
					d.Done()
				}
			}))
			if err != nil {
				fail(err)
			}
			h, err := rs.Connect(ctx, signalbus.ActorSlot[blockIO](slot), signalbus.Queue(8, signalbus.DropOldest))
			if err != nil {
				fail(err)
			}
			say("STALLED %s", h)
		case "unknown":
			other, _ := signalbus.Remote[blockIO](bus, os.Getenv("ACTORIO_SIGNAL_ADDR"), "NoSuchEvent")
			_, err := other.Connect(ctx, print)
			say("REFUSED %v", err)
		}
	}
	bus.Close()
	_ = sys.Close(context.Background())
	n.Stop()
	return true
}

// subscriber is the child process.
type subscriber struct{ *childproc.Proc }

func startSubscriber(t testing.TB, signalAddr string) *subscriber {
	return startSubscriberMode(t, signalAddr, "subscribe")
}

func startSubscriberMode(t testing.TB, signalAddr, mode string) *subscriber {
	t.Helper()
	return &subscriber{childproc.Start(t, nil, "ACTORIO_PEER="+mode, "ACTORIO_SIGNAL_ADDR="+signalAddr)}
}

// lineWait is how long the subscriber may take to print a line.
const lineWait = 20 * time.Second

// next returns the next line; the subscriber exiting or printing an
// ERROR line fails the test.
func (s *subscriber) next(t testing.TB) string {
	t.Helper()
	l, ok := s.Next(t, lineWait)
	if !ok {
		t.Fatalf("the subscriber exited; stderr:\n%s", s.Stderr())
	}
	if strings.HasPrefix(l, "ERROR") {
		t.Fatalf("subscriber: %s\nstderr:\n%s", l, s.Stderr())
	}
	return l
}

// until reads lines until one has prefix.
func (s *subscriber) until(t testing.TB, prefix string) string {
	t.Helper()
	return s.Until(t, prefix, 3*lineWait)
}

// localNode returns this process's one node (started on first use).
func localNode(t testing.TB) *node.Node {
	t.Helper()
	return nodetest.Local(t, node.Config{})
}
