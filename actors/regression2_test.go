package actors_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
)

// autoPing is a message protoactor answers by itself (an
// actor.AutoRespond) after the actor has handled it.
type autoPing struct{}

func (*autoPing) GetAutoResponse(actor.Context) any { return "auto-pong" }

// TestAskFromAutoRespondAnswersOnce: an actor that Asks while handling an
// actor.AutoRespond message has that message answered once, by
// protoactor, whatever becomes of the Ask: answered, timed out, or
// refused (a nil target, a timeout ≤ 0). The continuation runs once,
// with the AutoRespond message as the current one.
//
// Found in review: an Ask that got no reply ran its continuation by
// handing the original message to the actor's context again, and
// protoactor answered the AutoRespond message a second time: the
// requester got two answers to one request.
func TestAskFromAutoRespondAnswersOnce(t *testing.T) {
	cases := map[string]struct {
		target  func(sink, echo *actor.PID) *actor.PID
		timeout time.Duration
		want    string
	}{
		"timeout":    {func(sink, _ *actor.PID) *actor.PID { return sink }, 10 * time.Millisecond, "timeout"},
		"nil target": {func(*actor.PID, *actor.PID) *actor.PID { return nil }, time.Second, "noactor"},
		"bad":        {func(sink, _ *actor.PID) *actor.PID { return sink }, 0, "badtimeout"},
		"answered":   {func(_, echo *actor.PID) *actor.PID { return echo }, time.Second, "reply"},
	}
	for _, name := range []string{"timeout", "nil target", "bad", "answered"} {
		tc := cases[name]
		t.Run(name, func(t *testing.T) {
			w, s := simSystem(t, 3)
			sink, _ := s.Spawn(funcProps(func(actor.Context) {}))
			echo, _ := s.Spawn(funcProps(func(c actor.Context) {
				if m, ok := c.Message().(string); ok {
					c.Respond(m)
				}
			}))
			var conts []string
			asker, err := s.Spawn(funcProps(func(c actor.Context) {
				if _, ok := c.Message().(*autoPing); !ok {
					return
				}
				actors.Ask(c, tc.target(sink, echo), "?", tc.timeout, func(_ any, err error) {
					kind := "reply"
					switch {
					case errors.Is(err, actors.ErrTimeout):
						kind = "timeout"
					case errors.Is(err, actors.ErrNoActor):
						kind = "noactor"
					case errors.Is(err, actors.ErrBadTimeout):
						kind = "badtimeout"
					}
					if _, ok := c.Message().(*autoPing); !ok {
						kind += fmt.Sprintf(" (current message %T, want *autoPing)", c.Message())
					}
					conts = append(conts, kind)
				})
			}))
			if err != nil {
				t.Fatal(err)
			}
			var answers []any
			_, err = s.Spawn(funcProps(func(c actor.Context) {
				switch m := c.Message().(type) {
				case *actor.Started:
					c.Request(asker, &autoPing{})
				case string:
					answers = append(answers, m)
				}
			}))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Run(); err != nil {
				t.Fatal(err)
			}
			if len(conts) != 1 || conts[0] != tc.want {
				t.Errorf("continuations %v, want exactly [%s]", conts, tc.want)
			}
			if len(answers) != 1 {
				t.Errorf("the requester got %d answers %v to one AutoRespond request, want exactly 1", len(answers), answers)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestTerminatedFilter: a System's TerminatedFilter sees each Terminated
// on its way to an actor spawned through it, with the actor's PID, and
// what it returns is delivered instead (nothing when nil).
func TestTerminatedFilter(t *testing.T) {
	sys := actors.New()
	defer func() { _ = sys.Close(context.Background()) }()
	got := make(chan *actor.Terminated, 8)
	type seen struct{ watcher, who string }
	filtered := make(chan seen, 8)
	sys.SetTerminatedFilter(func(watcher *actor.PID, m *actor.Terminated) *actor.Terminated {
		filtered <- seen{watcher.Id, m.Who.Id}
		switch m.Who.Id {
		case "drop":
			return nil
		case "rewrite":
			return &actor.Terminated{Who: m.Who, Why: actor.TerminatedReason_NotFound}
		}
		return m
	})
	w, err := sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.PID:
			c.Watch(m)
		case *actor.Terminated:
			got <- m
		}
	}), "watcher")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		want actor.TerminatedReason
		told bool
	}{{"drop", 0, false}, {"rewrite", actor.TerminatedReason_NotFound, true}, {"keep", actor.TerminatedReason_Stopped, true}} {
		pid, err := sys.SpawnNamed(actor.PropsFromFunc(func(actor.Context) {}), tc.name)
		if err != nil {
			t.Fatal(err)
		}
		sys.Send(w, pid)
		// The watch is in place once the watcher has handled it: ask
		// the watcher something after it.
		if _, err := sys.Request(ctxT(t), w, &autoPing{}); err != nil {
			t.Fatal(err)
		}
		sys.Stop(pid)
		select {
		case s := <-filtered:
			if s != (seen{"watcher", tc.name}) {
				t.Fatalf("%s: the filter saw %+v", tc.name, s)
			}
		case <-ctxT(t).Done():
			t.Fatalf("%s: the filter saw nothing", tc.name)
		}
		if !tc.told {
			continue
		}
		select {
		case m := <-got:
			if m.Who.Id != tc.name || m.Why != tc.want {
				t.Errorf("%s: the watcher got %v, want Why %v", tc.name, m, tc.want)
			}
		case <-ctxT(t).Done():
			t.Fatalf("%s: the watcher got nothing", tc.name)
		}
	}
	select {
	case m := <-got:
		t.Errorf("a dropped Terminated was delivered: %v", m)
	default:
	}
}

// ctxFirstWaiter is a Waiter that reports an ended context before it
// looks at the channel, as a Waiter may (Go's select picks at random when
// both are ready, so the real one does so half the time).
type ctxFirstWaiter struct{}

func (ctxFirstWaiter) Wait(ctx context.Context, ready <-chan struct{}) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestCloseWithEndedContextAfterEverythingStopped: a Close whose context
// has ended, on a System whose actors have all stopped already (or that
// never had any), has nothing left to wait for: it succeeds. It used to
// return "0 actors still running []" whenever the Waiter reported the
// context first (half the time with the real Waiter), and left the
// worker pool running.
func TestCloseWithEndedContextAfterEverythingStopped(t *testing.T) {
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	s := actors.New(actors.WithEnv(actors.Env{Waiter: ctxFirstWaiter{}}))
	defer s.Close(context.Background()) //nolint:errcheck // only if the test fails
	if err := s.Close(ended); err != nil {
		t.Fatalf("Close of an empty system with an ended context: %v", err)
	}

	// With the real Waiter, on a system whose one actor has stopped.
	for i := 0; i < 64; i++ {
		s := actors.New()
		pid, err := s.Spawn(funcProps(func(actor.Context) {}))
		if err != nil {
			t.Fatal(err)
		}
		s.Stop(pid)
		for s.Live() != 0 {
			runtime.Gosched()
		}
		if err := s.Close(ended); err != nil {
			s.Close(context.Background()) //nolint:errcheck // the test fails anyway
			t.Fatalf("round %d: Close with an ended context after every actor stopped: %v", i, err)
		}
	}
}

// TestRequestPrefersTheReplyToAnEndedContext: a Request whose reply has
// arrived by the time its Waiter returns reports the reply, even if the
// context ended meanwhile.
func TestRequestPrefersTheReplyToAnEndedContext(t *testing.T) {
	s := realSystem(t, actors.WithEnv(actors.Env{Waiter: cancelOnWait{}}))
	pid, err := s.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(string); ok {
			c.Respond("pong") // the HotPath runs this on the sender's goroutine
		}
	}, actors.HotPath()...))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reply, err := s.Request(context.WithValue(ctx, cancelKey{}, cancel), pid, "ping")
	if err != nil || reply != "pong" {
		t.Fatalf("Request whose reply came before its context ended = %v, %v; want pong", reply, err)
	}
}

type cancelKey struct{}

// cancelOnWait ends the context it is given (see cancelKey) and then waits
// as ctxFirstWaiter does.
type cancelOnWait struct{}

func (cancelOnWait) Wait(ctx context.Context, ready <-chan struct{}) error {
	if cancel, ok := ctx.Value(cancelKey{}).(context.CancelFunc); ok {
		cancel()
	}
	return ctxFirstWaiter{}.Wait(ctx, ready)
}

// TestSpawnWithBadProducerFails: a producer that panics, returns no actor
// or is missing makes Spawn fail with an error saying so, instead of
// panicking in the caller's goroutine (protoactor runs the producer
// there); an error the producer panicked with is kept for errors.Is. A
// child spawn from inside an actor fails the same way, and the actor
// carries on.
func TestSpawnWithBadProducerFails(t *testing.T) {
	s := realSystem(t)
	errBoom := errors.New("boom")
	cases := []struct {
		name  string
		props *actor.Props
		want  string
	}{
		{"panics", actor.PropsFromProducer(func() actor.Actor { panic("boom") }), "boom"},
		{"panics with an error", actor.PropsFromProducer(func() actor.Actor { panic(errBoom) }), "boom"},
		{"returns nil", actor.PropsFromProducer(func() actor.Actor { return nil }), "no actor"},
		{"nil producer", actor.PropsFromProducer(nil), "producer"},
		{"empty props", &actor.Props{}, "producer"},
	}
	for _, tc := range cases {
		var pid *actor.PID
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("escaped panic: %v", r)
				}
			}()
			pid, err = s.SpawnNamed(tc.props, "bad")
		}()
		if err == nil || strings.HasPrefix(err.Error(), "escaped panic") ||
			!strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `"bad"`) {
			t.Errorf("%s: SpawnNamed = %v, %v; want an error naming %q and the actor", tc.name, pid, err, tc.want)
		}
	}
	if _, err := s.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { panic(errBoom) }), "x"); !errors.Is(err, errBoom) {
		t.Errorf("the producer's error is lost: %v", err)
	}
	if n := s.Live(); n != 0 {
		t.Errorf("%d actors live after failed spawns", n)
	}
	if _, err := s.SpawnNamed(funcProps(func(actor.Context) {}), "bad"); err != nil {
		t.Errorf("the name of a failed spawn stays taken: %v", err)
	}
	// Props with a spawner of their own (a router's) need no producer.
	spawner := (&actor.Props{}).Configure(actor.WithSpawnFunc(
		func(as *actor.ActorSystem, id string, _ *actor.Props, parent actor.SpawnerContext) (*actor.PID, error) {
			return actor.DefaultSpawner(as, id, funcProps(func(actor.Context) {}), parent)
		}))
	if _, err := s.Spawn(spawner); err != nil {
		t.Errorf("spawning Props with a spawner and no producer: %v", err)
	}

	got := make(chan error, 1)
	_, err := s.Spawn(funcProps(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Started); ok {
			_, err := c.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { panic("child boom") }), "child")
			got <- err
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err == nil || !strings.Contains(err.Error(), "child boom") {
			t.Errorf("child spawn with a panicking producer = %v", err)
		}
	case <-ctxT(t).Done():
		t.Fatal("the parent never got its spawn's result (it failed instead)")
	}
	if st := s.Stats(); st.Failures != 0 {
		t.Errorf("a failed child spawn failed the parent: %+v", st)
	}
}

// undeliverableProbe records its Undelivered calls.
type undeliverableProbe struct{ targets chan *actor.PID }

func (u *undeliverableProbe) Undelivered(_ *actors.System, target, _ *actor.PID) bool {
	u.targets <- target
	return false
}

// TestNilPIDFromOutside: Send to a nil PID is a dead letter (counted, and
// an Undeliverable is told), and Stop and Poison of a nil PID do nothing;
// all three used to panic in the caller (protoactor dereferences the
// PID).
func TestNilPIDFromOutside(t *testing.T) {
	s := realSystem(t)
	probe := &undeliverableProbe{targets: make(chan *actor.PID, 1)}
	for name, f := range map[string]func(){
		"Send":   func() { s.Send(nil, probe) },
		"Stop":   func() { s.Stop(nil) },
		"Poison": func() { s.Poison(nil) },
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s(nil) panicked: %v", name, r)
				}
			}()
			f()
		}()
	}
	if n := s.Stats().DeadLetters; n != 1 {
		t.Errorf("Send(nil) counted %d dead letters, want 1", n)
	}
	select {
	case target := <-probe.targets:
		if target != nil {
			t.Errorf("Undelivered told target %v, want nil", target)
		}
	default:
		t.Error("Send(nil) did not tell the Undeliverable message")
	}
}

// TestAskWithNilContinuation: an Ask with no continuation sends its
// request and ignores the outcome (a reply, a timeout, a refusal). It used
// to fail the asking actor when the outcome came, which restarted it.
func TestAskWithNilContinuation(t *testing.T) {
	w, s := simSystem(t, 3)
	fast, _ := s.SpawnNamed(answerer(0), "fast")
	slow, _ := s.SpawnNamed(answerer(time.Second), "slow")
	starts := 0
	_, err := s.Spawn(funcProps(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Started); ok {
			starts++
			if starts == 1 {
				actors.Ask(c, fast, &question{1}, time.Second, nil)
				actors.Ask(c, slow, &question{2}, time.Millisecond, nil)
				actors.Ask(c, nil, &question{3}, time.Second, nil)
				actors.Ask(c, fast, &question{4}, 0, nil)
			}
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Run(); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Failures != 0 || starts != 1 {
		t.Errorf("Asks with no continuation failed the asker: %+v, started %d times", st, starts)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSpawnNamedEmptyName: an empty name is refused with an error; it
// used to start an actor named "" (and refuse the next one as a
// duplicate).
func TestSpawnNamedEmptyName(t *testing.T) {
	s := realSystem(t)
	pid, err := s.SpawnNamed(funcProps(func(actor.Context) {}), "")
	if err == nil || !strings.Contains(err.Error(), "empty name") {
		t.Errorf("SpawnNamed with an empty name = %v, %v; want an error", pid, err)
	}
	if n := s.Live(); n != 0 {
		t.Errorf("%d actors live", n)
	}
}
