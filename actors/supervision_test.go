package actors_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
)

// recorder is an actors.Observer that keeps what it is told.
type recorder struct {
	mu          sync.Mutex
	supervised  []string
	deadLetters []string
}

func (r *recorder) Supervised(system string, child *actor.PID, reason any, d actor.Directive) {
	r.mu.Lock()
	r.supervised = append(r.supervised, fmt.Sprintf("%s %s %v", child.Id, d, reason))
	r.mu.Unlock()
}

func (r *recorder) DeadLetter(system string, target *actor.PID, msg any, sender *actor.PID) {
	r.mu.Lock()
	r.deadLetters = append(r.deadLetters, fmt.Sprintf("%s %T", target.Id, msg))
	r.mu.Unlock()
}

func (r *recorder) snapshot() ([]string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.supervised...), append([]string(nil), r.deadLetters...)
}

var boom = funcProps(func(c actor.Context) {
	if _, ok := c.Message().(string); ok {
		panic("boom")
	}
})

// TestRestartBudgetOnVirtualClock: with a budget of 3 restarts per second
// on the virtual clock, five failures in one instant give three restarts
// and then a stop; five failures two seconds apart all restart.
func TestRestartBudgetOnVirtualClock(t *testing.T) {
	w := sim.New(5, sim.WithRecording())
	s, err := w.Node("n", actors.WithSupervisor(actors.OneForOne(w.Clock(), 3, time.Second, nil)))
	if err != nil {
		t.Fatal(err)
	}
	burst, _ := s.SpawnNamed(boom, "burst")
	spaced, _ := s.SpawnNamed(boom, "spaced")
	for i := 0; i < 5; i++ {
		s.Send(burst, "fail")
	}
	for i := 0; i < 5; i++ {
		s.Send(spaced, "fail")
		if _, err := w.Run(w.For(2 * time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Failures != 9 || st.Restarts != 8 || st.Stops != 1 {
		t.Fatalf("stats %+v, want 9 failures, 8 restarts, 1 stop", st)
	}
	if s.Live() != 1 {
		t.Fatalf("%d top-level actors live, want only spaced", s.Live())
	}
	decisions := map[string][]string{}
	for _, e := range w.Events() {
		if e.Kind == sim.EventSupervision {
			decisions[e.Actor] = append(decisions[e.Actor], strings.TrimSuffix(strings.Fields(e.What)[0], ":"))
		}
	}
	if got := strings.Join(decisions[burst.Id], " "); got != "RestartDirective RestartDirective RestartDirective StopDirective" {
		t.Errorf("burst's traced decisions: %s", got)
	}
	if got := strings.Join(decisions[spaced.Id], " "); got != strings.TrimSpace(strings.Repeat("RestartDirective ", 5)) {
		t.Errorf("spaced's traced decisions: %s", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestObserverAndDeadLetters: in a real system the Observer sees each
// supervision decision and dead letter; a Watch of a dead actor gets
// Terminated{NotFound}.
func TestObserverAndDeadLetters(t *testing.T) {
	rec := &recorder{}
	s := realSystem(t, actors.WithEnv(actors.Env{Observer: rec}))
	watcher := make(chan *actor.Terminated, 1)
	failing, _ := s.SpawnNamed(boom, "failing")
	s.Send(failing, "fail")
	ghost := actor.NewPID(s.ActorSystem().Address(), "ghost")
	_, err := s.Spawn(funcProps(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			c.Send(ghost, "into the void")
			c.Watch(ghost)
		case *actor.Terminated:
			watcher <- m
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	term := <-watcher
	if term.Why != actor.TerminatedReason_NotFound || term.Who.Id != "ghost" {
		t.Fatalf("Terminated %v", term)
	}
	if err := s.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	sup, dl := rec.snapshot()
	if len(sup) != 1 || sup[0] != "failing RestartDirective boom" {
		t.Errorf("supervised %v", sup)
	}
	if len(dl) < 1 || dl[0] != "ghost string" {
		t.Errorf("dead letters %v", dl)
	}
	if got := s.Stats(); got.DeadLetters < 1 || got.Restarts != 1 {
		t.Errorf("stats %+v", got)
	}
}

// TestEscalation: a child's failure, escalated by its parent, is decided
// by the guardian's decider; a guardian whose decider says Escalate has no
// one to escalate to, so it stops the parent (and with it the child).
func TestEscalation(t *testing.T) {
	w := sim.New(3)
	escalateAll := func(any) actor.Directive { return actor.EscalateDirective }
	s, err := w.Node("n", actors.WithSupervisor(actors.OneForOne(w.Clock(), 10, 0, escalateAll)))
	if err != nil {
		t.Fatal(err)
	}
	var child *actor.PID
	_, err = s.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Started); ok && child == nil {
			child = c.Spawn(boom)
		}
	}, actor.WithSupervisor(actor.NewOneForOneStrategy(10, 0, escalateAll))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Run(); err != nil {
		t.Fatal(err)
	}
	s.Send(child, "fail")
	if _, err := w.Run(); err != nil {
		t.Fatal(err)
	}
	if s.Live() != 0 {
		t.Fatal("the parent is still live after its escalated failure")
	}
	if st := s.Stats(); st.Stops != 1 || st.Failures != 1 {
		t.Fatalf("stats %+v, want one failure, decided by the guardian's stop", st)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
