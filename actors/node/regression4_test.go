package node_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/actors/node"
	"github.com/actorio/actorio/internal/childproc"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"go.uber.org/goleak"
)

func init() {
	lifeModes["life-peerleft"] = lifePeerLeft
}

// logRecord is a log record as recordingHandler keeps it.
type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (r logRecord) String() string { return fmt.Sprintf("%v %q %v", r.level, r.msg, r.attrs) }

// recordingHandler keeps every record (protoactor's included).
type recordingHandler struct {
	mu      *sync.Mutex
	records *[]logRecord
	attrs   []slog.Attr
}

func newRecordingHandler() *recordingHandler {
	return &recordingHandler{mu: new(sync.Mutex), records: new([]logRecord)}
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	for _, a := range h.attrs {
		rec.attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	*h.records = append(*h.records, rec)
	h.mu.Unlock()
	return nil
}

func (h *recordingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &recordingHandler{mu: h.mu, records: h.records, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *recordingHandler) WithGroup(string) slog.Handler { return h }

func (h *recordingHandler) all() []logRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]logRecord(nil), *h.records...)
}

// lifePeerLeft: a peer ($ACTORIO_PEER_TARGET) talks to this node and then
// exits normally (closes its System and stops its node; the test closes
// its stdin when told "CONNECTED" and answers "LEFT" once it has exited).
// A peer's actor watched an actor of this node (sparsecopy's stream
// actors do), which stops once the peer has left, as they do.
//
// The peer's leaving is reported calmly, with its address: no record at
// Warn or above (protoactor logged "EndpointWriter lost connection" at
// Error for the EOF of a peer that hung up). The Terminated for the
// gone peer's watcher does not dial the peer again (it did, for
// DialTimeout, so a Stop meanwhile ended the dial, logged "EndpointWriter
// failed to connect" at Error, and waited 1s for the writer, which sleeps
// 2s after a failed dial, warning "node: stop EndpointSupervisor").
func lifePeerLeft() {
	h := newRecordingHandler()
	l := &life{base: goleak.IgnoreCurrent(), sys: actors.New(actors.WithLogger(slog.New(h)))}
	n, err := node.Start(l.sys, node.Config{})
	if !l.check(err == nil, "start: %v", err) {
		fmt.Println("DONE")
		return
	}
	l.n = n
	target := os.Getenv("ACTORIO_PEER_TARGET")
	left := make(chan struct{})
	var once sync.Once
	sub := l.sys.ActorSystem().EventStream.Subscribe(func(evt any) {
		if e, ok := evt.(*remote.EndpointTerminatedEvent); ok && e.Address == target {
			once.Do(func() { close(left) })
		}
	})
	defer l.sys.ActorSystem().EventStream.Unsubscribe(sub)
	if _, _, err := request(l.sys, target, 10*time.Second); !l.check(err == nil, "request: %v", err) {
		fmt.Println("DONE")
		return
	}
	// An actor of this node that an actor of the peer watches.
	watched, err := l.sys.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	if !l.check(err == nil, "spawn: %v", err) {
		fmt.Println("DONE")
		return
	}
	as := l.sys.ActorSystem()
	proc, _ := as.ProcessRegistry.Get(watched)
	proc.SendSystemMessage(watched, &actor.Watch{Watcher: actor.NewPID(target, "watcher")})
	fmt.Println("CONNECTED")
	if sc := bufio.NewScanner(os.Stdin); !sc.Scan() || sc.Text() != "LEFT" {
		l.check(false, "no LEFT on stdin")
	}
	select {
	case <-left:
	case <-time.After(10 * time.Second):
		l.check(false, "the peer's leaving was not noticed")
	}
	if os.Getenv("ACTORIO_STOP_WATCHED") != "" {
		// The watched actor stops: its Terminated is for the peer's
		// watcher.
		err = actor.NewRootContext(as, nil).StopFuture(watched).Wait()
		l.check(err == nil, "stop the watched actor: %v", err)
	}
	l.stop(10 * time.Second)
	calm, dials := false, 0
	for _, r := range h.all() {
		l.check(r.level < slog.LevelWarn, "logged at %v: %v", r.level, r)
		if r.attrs["address"] == target && r.level < slog.LevelWarn && strings.Contains(r.msg, "closed its connection") {
			calm = true
		}
		if r.msg == "Started EndpointWriter. connecting" && r.attrs["address"] == target {
			dials++
		}
	}
	l.check(calm, "no calm record of the peer %s closing its connection", target)
	l.check(dials == 1, "%d connections made to the peer, want 1 (none after it left)", dials)
	l.noLeaks()
	fmt.Println("DONE")
}

// runPeerLeft runs lifePeerLeft with extra environment.
func runPeerLeft(t *testing.T, env ...string) {
	p, _ := startPeer(t, "serve")
	runLife(t, "life-peerleft", func(line string, c *childproc.Proc) {
		if line == "CONNECTED" {
			p.Stop()
			c.Send(t, "LEFT")
		}
	}, append(env, "ACTORIO_PEER_TARGET="+p.addr)...)
}

// TestPeerLeftLoggedCalmly: see lifePeerLeft.
//
// Found running sparsecopy: its server logged "EndpointWriter lost
// connection ... EOF" at ERROR each time a client finished.
func TestPeerLeftLoggedCalmly(t *testing.T) { runPeerLeft(t) }

// TestPeerLeftNotDialled: see lifePeerLeft, with the watched actor
// stopping after the peer left.
//
// Found running sparsecopy: at SIGTERM its server logged "EndpointWriter
// failed to connect" errors for clients that had finished and a warning
// "node: stop EndpointSupervisor future: timeout", stopping 1s late.
func TestPeerLeftNotDialled(t *testing.T) { runPeerLeft(t, "ACTORIO_STOP_WATCHED=1") }
