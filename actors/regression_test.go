package actors_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
)

// TestForwardTimerMessage: an actor that forwards a message it got from a
// timer (After) forwards that message: the target receives "tick", and
// its own timer with the same id stays due in an hour.
//
// Found in review: the context the actor was handed for a timer's message
// overrode Message, Sender and MessageHeader but not Forward (nor Stash,
// nor ReenterAfter), so Forward sent actorio's internal *timerFired, which
// the target's stateActor took for one of its own timers: the target
// never received "tick", and its hourly timer fired at once instead.
func TestForwardTimerMessage(t *testing.T) {
	s := realSystem(t)
	got := make(chan any, 4)
	target, err := s.Spawn(funcProps(func(c actor.Context) {
		switch c.Message().(type) {
		case *actor.Started:
			// The target's own timer, due in an hour. A forwarded
			// *timerFired (the bug) carried the same id and
			// incarnation, and fired this timer at once.
			actors.After(c, time.Hour, "the target's own hourly timer")
		case *actor.Stopping, *actor.Stopped:
		default:
			got <- c.Message()
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Spawn(funcProps(func(c actor.Context) {
		switch c.Message().(type) {
		case *actor.Started:
			actors.After(c, time.Millisecond, "tick")
		case string:
			c.Forward(target) // a router passing its tick on
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m != "tick" {
			t.Fatalf("target got %T %v, want the forwarded \"tick\"", m, m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the forwarded timer message never reached the target (Forward sent actorio's internal *timerFired)")
	}
}

// TestTimerMessageContext: while an actor handles a message a timer
// delivered, its context holds that message for every method that reads
// it: Message, Sender (none), MessageHeader, Respond (no sender: a dead
// letter), Stash (replayed after a restart), and ReenterAfter (the
// continuation sees the timer's message). Found in review together with
// TestForwardTimerMessage: these read actorio's internal message.
func TestTimerMessageContext(t *testing.T) {
	s := realSystem(t)
	j := &journal{}
	done := make(chan struct{})
	restarted := false
	echo, err := s.Spawn(funcProps(func(c actor.Context) {
		if m, ok := c.Message().(string); ok {
			c.Respond(m + " echoed")
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Spawn(funcProps(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			if !restarted {
				actors.After(c, time.Millisecond, "stash me")
			} else {
				j.add("restarted")
			}
		case string:
			header := 0
			if h := c.MessageHeader(); h != nil { // nil for a bare message
				header = h.Length()
			}
			j.add(fmt.Sprintf("%s sender=%v header=%d", m, c.Sender(), header))
			switch {
			case m == "stash me" && !restarted:
				c.Stash()
				restarted = true
				panic("restart with the stash")
			case m == "stash me": // replayed from the stash
				actors.After(c, time.Millisecond, "reenter")
			case m == "reenter":
				f := c.RequestFuture(echo, "ping", -1)
				c.ReenterAfter(f, func(reply any, err error) {
					j.add(fmt.Sprintf("continuation of %v: %v %v", c.Message(), reply, err))
					close(done)
				})
			}
		}
	})); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(testTimeout):
		t.Fatalf("timed out; journal %q", j.all())
	}
	want := []string{
		"stash me sender=<nil> header=0",
		"restarted",
		"stash me sender=<nil> header=0",
		"reenter sender=<nil> header=0",
		"continuation of reenter: ping echoed <nil>",
	}
	if got := j.all(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("journal\n got %q\nwant %q", got, want)
	}
}

// TestCloseWaitsForRespawnedName: Close stops every top-level actor and
// waits until all have stopped (DESIGN.md actors/: "System.Close(ctx)
// stops all top-level actors and waits for them"), including one spawned
// under a name that a stopping actor has just released: it is tracked like
// any other, Live counts it, and Close stops it and waits for it.
//
// Found in review: the tracker keyed live actors by PID id only, so the
// old actor's Terminated, which comes after its Stopped handler ran (the
// name is free before that), erased the new actor's entry: Live() missed
// it and Close returned without stopping it.
func TestCloseWaitsForRespawnedName(t *testing.T) {
	s := actors.New()
	inStopped := make(chan struct{})
	release := make(chan struct{})
	old, err := s.SpawnNamed(funcProps(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Stopped); ok {
			close(inStopped)
			<-release // a Stopped handler that takes a moment (flushing, say)
		}
	}), "svc")
	if err != nil {
		t.Fatal(err)
	}
	// A second watcher of the old actor: it is told after the tracker
	// (watchers are told in the order they watched), so once it has heard
	// the Terminated the tracker has too.
	oldGone := make(chan struct{})
	watching := make(chan struct{})
	if _, err := s.Spawn(funcProps(func(c actor.Context) {
		switch c.Message().(type) {
		case *actor.Started:
			c.Watch(old)
			close(watching)
		case *actor.Terminated:
			close(oldGone)
		}
	})); err != nil {
		t.Fatal(err)
	}
	<-watching
	s.Stop(old)
	<-inStopped
	// The name is free again (protoactor unregisters before Stopped).
	newStopped := make(chan struct{})
	if _, err := s.SpawnNamed(funcProps(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Stopped); ok {
			close(newStopped)
		}
	}), "svc"); err != nil {
		t.Fatalf("respawn under the released name: %v", err)
	}
	close(release)
	<-oldGone
	if n := s.Live(); n != 2 { // the watcher and the new "svc"
		t.Errorf("Live() = %d after the old svc stopped, want 2 (the watcher and the new svc)", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-newStopped:
	default:
		t.Error("Close returned nil while the new top-level actor \"svc\" was still running")
		s.Stop(actor.NewPID(s.ActorSystem().Address(), "svc"))
		<-newStopped
	}
}

// TestCloseVersusConcurrentSpawn: once Close has returned nil, no
// top-level actor runs. A Spawn in progress when Close begins (here held
// in its actor's producer) is waited for by Close, and its actor stopped;
// a Spawn after that fails with ErrClosed.
//
// Found in review: a Spawn that had passed SpawnNamed's closed check
// before Close began, and whose actor was tracked only after Close found
// nothing live, returned a live PID with no error after Close returned
// nil, and its actor then ran (it handled Started and a message). The
// producer is held to make the window deterministic; any Spawn racing a
// Close from another goroutine could hit it.
func TestCloseVersusConcurrentSpawn(t *testing.T) {
	s := actors.New()
	inProducer := make(chan struct{})
	release := make(chan struct{})
	handled := make(chan any, 4)
	props := actor.PropsFromProducer(func() actor.Actor {
		close(inProducer)
		<-release // a constructor doing a little work
		return actor.ReceiveFunc(func(c actor.Context) {
			switch c.Message().(type) {
			case *actor.Started, string:
				handled <- c.Message()
			}
		})
	})
	type result struct {
		pid *actor.PID
		err error
	}
	spawned := make(chan result, 1)
	go func() {
		pid, err := s.Spawn(props)
		spawned <- result{pid, err}
	}()
	<-inProducer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	closeErr := make(chan error, 1)
	go func() { closeErr <- s.Close(ctx) }()
	var closed bool
	select {
	case err := <-closeErr:
		closed = true
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Second):
		// Close waits for the spawn in flight: the behaviour we want.
	}
	close(release)
	r := <-spawned
	if !closed {
		if err := <-closeErr; err != nil {
			t.Fatal(err)
		}
		return
	}
	// Close already returned nil: the spawn must have failed, and no
	// actor may run any more.
	if r.err == nil {
		s.Send(r.pid, "after close")
	}
	time.Sleep(200 * time.Millisecond)
	var ran []string
	for len(handled) > 0 {
		ran = append(ran, fmt.Sprintf("%T", <-handled))
	}
	if r.err == nil || len(ran) > 0 {
		t.Errorf("Close returned nil, then Spawn returned (%v, %v) and the actor handled %v", r.pid, r.err, ran)
	}
	if !errors.Is(r.err, actors.ErrClosed) && r.err != nil {
		t.Errorf("spawn error %v, want ErrClosed", r.err)
	}
}

// TestCloseWithPanickingStopping: an actor whose Stopping handler fails
// (a cleanup that panics) still stops: it was told to stop. Close returns
// nil once it has, and the failure is counted as a failure that stopped
// the actor.
//
// Found in review: the guardian decided Restart for a failure raised while
// stopping, and protoactor's restart set the actor alive again: the stop
// was lost, the actor kept running, and Close waited until its context
// ended and then returned an error.
func TestCloseWithPanickingStopping(t *testing.T) {
	s := actors.New()
	panicked := false
	stopped := make(chan struct{})
	if _, err := s.SpawnNamed(funcProps(func(c actor.Context) {
		switch c.Message().(type) {
		case *actor.Stopping:
			if !panicked {
				panicked = true
				panic("cleanup failed")
			}
		case *actor.Stopped:
			close(stopped)
		}
	}), "fragile"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err := s.Close(ctx)
	if err != nil {
		t.Errorf("Close: %v (the actor was restarted instead of stopped; stats %+v)", err, s.Stats())
		// Close stopped it once ctx ended; finish cleanly.
		if err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	<-stopped
	if st := s.Stats(); st.Failures != 1 || st.Stops != 1 || st.Restarts != 0 {
		t.Errorf("stats %+v, want one failure, stopped", st)
	}
}

// TestCloseWithPanickingStopped: an actor whose Stopped handler fails
// still stops for good: its watchers hear its Terminated, and Close
// returns nil. (A failure there escaped protoactor's finalizeStop before it
// told the watchers; found in review with TestCloseWithPanickingStopping.)
func TestCloseWithPanickingStopped(t *testing.T) {
	s := actors.New()
	if _, err := s.Spawn(funcProps(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Stopped); ok {
			panic("flush failed")
		}
	})); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctxT(t)); err != nil {
		t.Fatalf("Close: %v (stats %+v)", err, s.Stats())
	}
	if st := s.Stats(); st.Failures != 1 || st.Stops != 1 || st.Restarts != 0 {
		t.Errorf("stats %+v, want one failure, stopped", st)
	}
}

// TestSpawnThroughRootAfterClose: once Close has begun, a top-level spawn
// fails with ErrClosed whichever way it is made, protoactor's root
// context included (found in review with TestCloseVersusConcurrentSpawn:
// only System.SpawnNamed checked).
func TestSpawnThroughRootAfterClose(t *testing.T) {
	s := actors.New()
	if err := s.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{}, 1)
	props := funcProps(func(actor.Context) { ran <- struct{}{} })
	if _, err := s.Spawn(props); !errors.Is(err, actors.ErrClosed) {
		t.Errorf("System.Spawn after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Root().SpawnNamed(props, "late"); !errors.Is(err, actors.ErrClosed) {
		t.Errorf("Root().SpawnNamed after Close: %v, want ErrClosed", err)
	}
	if _, err := s.ActorSystem().Root.SpawnNamed(props, "late2"); !errors.Is(err, actors.ErrClosed) {
		t.Errorf("ActorSystem().Root.SpawnNamed after Close: %v, want ErrClosed", err)
	}
	time.Sleep(50 * time.Millisecond)
	if len(ran) > 0 {
		t.Error("an actor ran after Close")
	}
}

// TestAskTimeoutContinuationCanRespond: an actor that answers its own
// requester from an Ask continuation reaches that requester whether the
// Ask got a reply or timed out: on both paths the continuation runs with
// the message the actor was handling when it asked, as protoactor's
// ReenterAfter does ("with Message()/Sender() of the original message",
// research/protoactor.md §1).
//
// Found in review: the timeout path ran the continuation while the
// context held actorio's internal *askExpired, which has no sender, so
// c.Respond went to dead letters and the original caller never heard back
// (System.Request ran into its deadline).
func TestAskTimeoutContinuationCanRespond(t *testing.T) {
	s := realSystem(t)
	backend, err := s.Spawn(funcProps(func(c actor.Context) {
		if m, ok := c.Message().(string); ok && m == "answer" {
			c.Respond("backend says hi")
		} // "ignore" is never answered
	}))
	if err != nil {
		t.Fatal(err)
	}
	front, err := s.Spawn(funcProps(func(c actor.Context) {
		if m, ok := c.Message().(string); ok {
			actors.Ask(c, backend, m, 50*time.Millisecond, func(reply any, err error) {
				if err != nil {
					c.Respond("failed: " + err.Error())
					return
				}
				c.Respond(reply)
			})
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	// The reply path reaches the original caller.
	if r, err := s.Request(ctxT(t), front, "answer"); err != nil || r != "backend says hi" {
		t.Fatalf("reply path: %v, %v", r, err)
	}
	// The timeout path must too.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	r, err := s.Request(ctx, front, "ignore")
	if err != nil {
		t.Fatalf("timeout path: the continuation's Respond never reached the caller: %v (dead letters %d)", err, s.Stats().DeadLetters)
	}
	if str, _ := r.(string); !strings.Contains(str, "timed out") {
		t.Fatalf("timeout path: got %v", r)
	}
}

// TestAskRefusedContinuationSeesOriginal: an Ask refused outright (no
// target, timeout ≤ 0) runs its continuation like a timed-out one, with
// the original message, sender and header, in a simulation too (where
// the deadline is virtual). Found in review with
// TestAskTimeoutContinuationCanRespond.
func TestAskRefusedContinuationSeesOriginal(t *testing.T) {
	w, s := simSystem(t, 3)
	silent, err := s.SpawnNamed(funcProps(func(actor.Context) {}), "silent")
	if err != nil {
		t.Fatal(err)
	}
	front, err := s.SpawnNamed(funcProps(func(c actor.Context) {
		m, ok := c.Message().(string)
		if !ok {
			return
		}
		var target *actor.PID
		timeout := time.Second
		switch m {
		case "bad timeout":
			target, timeout = silent, 0
		case "timeout":
			target = silent
		}
		actors.Ask(c, target, m, timeout, func(_ any, err error) {
			c.Respond(fmt.Sprintf("%v header=%q: %v", c.Message(), c.MessageHeader().Get("trace"), errors.Unwrap(err)))
		})
	}), "front")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"nil target", "bad timeout", "timeout"} {
		var got any
		probe, err := s.Spawn(funcProps(func(c actor.Context) {
			switch r := c.Message().(type) {
			case *actor.Started:
				env := &actor.MessageEnvelope{Message: m, Sender: c.Self()}
				env.SetHeader("trace", "t1")
				c.Send(front, env)
			case string:
				got = r
			}
		}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Run(); err != nil {
			t.Fatal(err)
		}
		s.Stop(probe)
		want := map[string]string{
			"nil target":  `nil target header="t1": no such actor`,
			"bad timeout": `bad timeout header="t1": timeout must be positive`,
			"timeout":     `timeout header="t1": timed out`,
		}[m]
		if got != want {
			t.Errorf("%s: got %v, want %s", m, got, want)
		}
	}
}

// TestRequestQueuedBehindStop: a Request whose message is still queued
// when its target stops fails at once with ErrNoActor, as one sent after
// the stop does, instead of waiting for its context; the message is
// counted as a dead letter. Both with protoactor's default mailbox and
// with HotPath's.
//
// Found in review (signalbus, sockactor): protoactor drops the user
// messages a stopped actor's mailbox still holds, without a dead letter,
// so nothing ever answered the request.
func TestRequestQueuedBehindStop(t *testing.T) {
	for _, hot := range []bool{false, true} {
		t.Run(fmt.Sprintf("hotpath=%v", hot), func(t *testing.T) {
			s := realSystem(t)
			entered, release := make(chan struct{}), make(chan struct{})
			var posted atomic.Int32
			inner := actor.Unbounded()
			if hot {
				inner = actors.LeanMailbox()
			}
			opts := []actor.PropsOption{actor.WithMailbox(func() actor.Mailbox {
				return &countingMailbox{Mailbox: inner(), posted: &posted}
			})}
			if hot {
				opts = append(opts, actor.WithDispatcher(actors.InlineDispatcher()))
			}
			props := actor.PropsFromFunc(func(c actor.Context) {
				if c.Message() == "block" {
					close(entered)
					<-release
				}
			}, opts...)
			pid, err := s.Spawn(props)
			if err != nil {
				t.Fatal(err)
			}
			go s.Send(pid, "block") // HotPath runs the handler on the sender's goroutine
			<-entered
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := s.Request(ctx, pid, "ask")
				done <- err
			}()
			// The request is queued behind "block" once the mailbox
			// counts it; then the stop overtakes it (a system message).
			for posted.Load() < 1 { // the request
				time.Sleep(time.Millisecond)
			}
			before := s.Stats().DeadLetters
			s.Stop(pid)
			close(release)
			err = <-done
			if !errors.Is(err, actors.ErrNoActor) {
				t.Fatalf("request queued behind a stop: %v, want ErrNoActor", err)
			}
			if got := s.Stats().DeadLetters - before; got < 1 {
				t.Fatalf("%d dead letters counted, want the request's", got)
			}
		})
	}
}

// countingMailbox counts the user messages posted to it once they are
// queued ("block" is not counted: on an inline dispatcher, posting it
// runs its handler, which blocks).
type countingMailbox struct {
	actor.Mailbox
	posted *atomic.Int32
}

func (m *countingMailbox) PostUserMessage(message any) {
	m.Mailbox.PostUserMessage(message)
	if actor.UnwrapEnvelopeMessage(message) != "block" {
		m.posted.Add(1)
	}
}
