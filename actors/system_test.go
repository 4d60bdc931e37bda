package actors_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
)

// TestCloseStopsEveryActor: Close stops top-level actors and their
// children, in a real system, and waits for all of them.
func TestCloseStopsEveryActor(t *testing.T) {
	s := actors.New()
	var j journal
	child := func(name string) *actor.Props {
		return funcProps(func(c actor.Context) {
			if _, ok := c.Message().(*actor.Stopped); ok {
				j.add("stopped " + name)
			}
		})
	}
	for i := 0; i < 3; i++ {
		name := fmt.Sprintf("top%d", i)
		_, err := s.SpawnNamed(funcProps(func(c actor.Context) {
			switch c.Message().(type) {
			case *actor.Started:
				c.Spawn(child(name + "/child"))
			case *actor.Stopped:
				j.add("stopped " + name)
			}
		}), name)
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	got := j.all()
	if len(got) != 6 {
		t.Fatalf("got %d stops, want 6: %v", len(got), got)
	}
	// A parent stops only after its child.
	for i := 0; i < 3; i++ {
		c := indexOf(got, fmt.Sprintf("stopped top%d/child", i))
		p := indexOf(got, fmt.Sprintf("stopped top%d", i))
		if c < 0 || p < 0 || c > p {
			t.Errorf("top%d stopped before its child: %v", i, got)
		}
	}
	if s.Live() != 0 {
		t.Errorf("%d actors live after Close", s.Live())
	}
	if _, err := s.Spawn(child("late")); !errors.Is(err, actors.ErrClosed) {
		t.Errorf("spawn after close: %v, want ErrClosed", err)
	}
	if err := s.Close(ctxT(t)); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// TestCloseDrainsQueuedMessages: Close poisons, so messages already queued
// are handled first.
func TestCloseDrainsQueuedMessages(t *testing.T) {
	s := actors.New()
	var j journal
	pid, err := s.Spawn(funcProps(func(c actor.Context) {
		if n, ok := c.Message().(int); ok {
			j.add(fmt.Sprint(n))
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		s.Send(pid, i)
	}
	if err := s.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if n := len(j.all()); n != 100 {
		t.Fatalf("handled %d of 100 queued messages before stopping", n)
	}
}

// TestCloseAfterShortLivedActors: actors that stop themselves at once,
// possibly before their spawn returned (a connection refused on arrival),
// do not keep Close waiting for a Terminated that was sent before anyone
// watched.
func TestCloseAfterShortLivedActors(t *testing.T) {
	s := actors.New()
	for i := 0; i < 3000; i++ {
		if _, err := s.Spawn(funcProps(func(c actor.Context) {
			if _, ok := c.Message().(*actor.Started); ok {
				c.Stop(c.Self())
			}
		})); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestCloseReportsStuckActor: an actor that blocks in Receive cannot be
// stopped; Close returns when ctx ends and names it.
func TestCloseReportsStuckActor(t *testing.T) {
	s := actors.New()
	release := make(chan struct{})
	entered := make(chan struct{})
	_, err := s.SpawnNamed(funcProps(func(c actor.Context) {
		if _, ok := c.Message().(string); ok {
			close(entered)
			<-release // a bug under test: blocking inside Receive
		}
	}), "stuck")
	if err != nil {
		t.Fatal(err)
	}
	pid := actor.NewPID(s.ActorSystem().Address(), "stuck")
	s.Send(pid, "block")
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = s.Close(ctx)
	if err == nil || !strings.Contains(err.Error(), "stuck") || !errors.Is(err, context.Canceled) {
		t.Fatalf("Close = %v, want an error naming the stuck actor", err)
	}
	close(release)
	if err := s.Close(ctxT(t)); err != nil {
		t.Fatalf("Close after release: %v", err)
	}
}

// TestSpawnErrors: bad input gets errors, not panics.
func TestSpawnErrors(t *testing.T) {
	s := realSystem(t)
	if _, err := s.Spawn(nil); err == nil {
		t.Error("Spawn(nil) succeeded")
	}
	if _, err := s.SpawnNamed(funcProps(func(actor.Context) {}), "x"); err != nil {
		t.Fatal(err)
	}
	_, err := s.SpawnNamed(funcProps(func(actor.Context) {}), "x")
	if !errors.Is(err, actor.ErrNameExists) || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("duplicate name: %v", err)
	}
}

// TestChildrenGetTheEnv: children and grandchildren spawned with bare
// Props from inside actors still get the Env (here a mailbox producer that
// counts the mailboxes it makes).
func TestChildrenGetTheEnv(t *testing.T) {
	var made atomic.Int32
	mailbox := func() actor.Mailbox { made.Add(1); return actor.Unbounded()() }
	s := realSystem(t, actors.WithEnv(actors.Env{Mailbox: mailbox}))
	grandchild := make(chan *actor.PID, 1)
	_, err := s.Spawn(funcProps(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Started); ok {
			c.Spawn(funcProps(func(c actor.Context) {
				if _, ok := c.Message().(*actor.Started); ok {
					grandchild <- c.Spawn(funcProps(func(c actor.Context) {}))
				}
			}))
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	<-grandchild
	if got := made.Load(); got != 3 {
		t.Fatalf("the Env's mailbox producer made %d mailboxes, want 3 (parent, child, grandchild)", got)
	}
}

// TestWrapExistingSystem: a service's own protoactor system can be wrapped;
// actors spawned through the wrapper get timers and Close, the service's
// own actors are left alone.
func TestWrapExistingSystem(t *testing.T) {
	as := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return actors.DiscardLogger() }))
	theirs := as.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(string); ok {
			c.Respond("theirs")
		}
	}))
	s, err := actors.Wrap(as)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := actors.Wrap(as); err == nil {
		t.Error("wrapping twice succeeded")
	}
	if _, err := actors.Wrap(nil); err == nil {
		t.Error("wrapping nil succeeded")
	}
	if actors.FromActorSystem(as) != s {
		t.Error("FromActorSystem does not find the wrapper")
	}
	ticks := make(chan struct{}, 1)
	_, err = s.Spawn(funcProps(func(c actor.Context) {
		switch c.Message().(type) {
		case *actor.Started:
			actors.After(c, 0, "tick")
		case string:
			ticks <- struct{}{}
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	<-ticks
	if err := s.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	reply, err := as.Root.RequestFuture(theirs, "hi", testTimeout).Result()
	if err != nil || reply != "theirs" {
		t.Fatalf("the service's own actor after Close: %v, %v", reply, err)
	}
	as.Root.Stop(theirs)
}

// TestLoggingRoutedAndQuiet: protoactor's own logs go to our logger (here
// at Info, to see them), and the default logger keeps them quiet.
func TestLoggingRoutedAndQuiet(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	h := slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelInfo})
	s := actors.New(actors.WithLogger(slog.New(h)), actors.WithName("loud"))
	restarted := make(chan struct{})
	starts := 0
	pid, err := s.Spawn(funcProps(func(c actor.Context) {
		switch c.Message().(type) {
		case *actor.Started:
			if starts++; starts == 2 {
				close(restarted)
			}
		case string:
			panic("logged panic")
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	s.Send(pid, "boom")
	<-restarted
	if err := s.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	for _, want := range []string{"actor system started", "system=loud", "Recovering", "logged panic"} {
		if !strings.Contains(out, want) {
			t.Errorf("our logger did not get protoactor's %q:\n%s", want, out)
		}
	}
	if actors.QuietLogger().Enabled(context.Background(), slog.LevelInfo) {
		t.Error("the default logger is not quiet at Info")
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestPropsProducerField guards the producer field prepare reads by
// reflection to put each actor inside its stateActor.
func TestPropsProducerField(t *testing.T) {
	f, ok := reflect.TypeOf(actor.Props{}).FieldByName("producer")
	if !ok || f.Type != reflect.TypeOf(actor.ProducerWithActorSystem(nil)) {
		t.Fatal("actor.Props has no producer field of type ProducerWithActorSystem")
	}
}

// TestPropsFields guards the protoactor fields actors reads by reflection
// (hasField): a protoactor upgrade that renames one must fail here.
func TestPropsFields(t *testing.T) {
	for name, typ := range map[string]reflect.Type{
		"supervisionStrategy": reflect.TypeOf((*actor.SupervisorStrategy)(nil)).Elem(),
		"dispatcher":          reflect.TypeOf((*actor.Dispatcher)(nil)).Elem(),
		"mailboxProducer":     reflect.TypeOf(actor.MailboxProducer(nil)),
		"spawner":             reflect.TypeOf(actor.SpawnFunc(nil)),
	} {
		f, ok := reflect.TypeOf(actor.Props{}).FieldByName(name)
		if !ok || f.Type != typ {
			t.Errorf("actor.Props has no %s field of type %v", name, typ)
		}
	}
}

// TestCompactRegistryKeepsEverything: a fresh protoactor system holds only
// the processes compactRegistry moves to the smaller table, so none is lost.
func TestCompactRegistryKeepsEverything(t *testing.T) {
	as := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))
	var ids []string
	for _, bucket := range as.ProcessRegistry.LocalPIDs.LocalPIDs {
		ids = append(ids, bucket.Keys()...)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"deadletter", "eventstream"}) {
		t.Fatalf("a fresh protoactor system registers %q; compactRegistry moves only [deadletter eventstream]", ids)
	}
	sys := actors.New()
	defer sys.Close(context.Background())
	for _, id := range ids {
		if _, ok := sys.ActorSystem().ProcessRegistry.Get(actor.NewPID("nonhost", id)); !ok {
			t.Fatalf("process %q is not in the compacted table", id)
		}
	}
}
