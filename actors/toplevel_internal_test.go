package actors

import (
	"context"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// waitFor fails the test if ch is not closed within a minute.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatalf("timed out waiting until %s", what)
	}
}

// closeMustWait starts s.Close and checks that it has not returned after
// 200 ms, while release is still open; it then closes release and waits
// for Close. The 200 ms bound cannot fail a correct Close: it only gives
// a wrong one time to return too early.
func closeMustWait(t *testing.T, s *System, release chan struct{}, stoppedRan *bool) {
	t.Helper()
	closed := make(chan struct{})
	go func() {
		s.Close(context.Background())
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close returned while a top-level actor's Stopped handler had not run")
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	waitFor(t, closed, "Close returns")
	if !*stoppedRan {
		t.Fatal("Close returned before the Stopped handler ran")
	}
}

// TestCloseWaitsForActorStoppedDuringSpawn: an actor that stops while it
// is being spawned, before the tracker watches it, still counts until its
// Stopped handler has run.
//
// Found in review: protoactor frees an actor's name before its Stopped
// handler runs, so the tracker found no process to watch and forgot the
// actor at once; Close could return while its Stopped handler still ran.
func TestCloseWaitsForActorStoppedDuringSpawn(t *testing.T) {
	s := New()
	entered, release := make(chan struct{}), make(chan struct{})
	stoppedRan := false
	afterSpawnHook = func(*actor.PID) { waitFor(t, entered, "the actor's Stopped handler starts") }
	defer func() { afterSpawnHook = nil }()
	_, err := s.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch c.Message().(type) {
		case *actor.Started:
			c.Stop(c.Self())
		case *actor.Stopped:
			close(entered)
			<-release
			stoppedRan = true
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	closeMustWait(t, s, release, &stoppedRan)
}

// TestCloseWaitsForActorWatchedWhileStopping: a Watch that reaches a
// top-level actor already stopping (waiting for a child to stop) gets an
// immediate Terminated from protoactor, before the actor's Stopped
// handler runs; Close still waits for that handler.
func TestCloseWaitsForActorWatchedWhileStopping(t *testing.T) {
	s := New()
	childStopping, release := make(chan struct{}), make(chan struct{})
	stoppedRan := false
	afterSpawnHook = func(*actor.PID) { waitFor(t, childStopping, "the child's Stopping handler starts") }
	defer func() { afterSpawnHook = nil }()
	child := actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Stopping); ok {
			close(childStopping)
			<-release
		}
	})
	_, err := s.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch c.Message().(type) {
		case *actor.Started:
			c.Spawn(child)
			c.Stop(c.Self())
		case *actor.Stopped:
			stoppedRan = true
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	closeMustWait(t, s, release, &stoppedRan)
}
