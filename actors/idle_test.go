package actors_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
)

// TestIdleTimeout: the idle timeout fires d after the last message, is
// pushed back by messages, repeats while idle, and stops when cleared.
func TestIdleTimeout(t *testing.T) {
	w, s := simSystem(t, 1)
	var got []string
	pid, err := s.Spawn(funcProps(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			actors.SetIdleTimeout(c, 10*time.Millisecond)
		case *actors.IdleTimeout:
			got = append(got, fmt.Sprintf("idle@%v", since(c)))
		case string:
			got = append(got, fmt.Sprintf("%s@%v", m, since(c)))
			if m == "clear" {
				actors.SetIdleTimeout(c, 0)
			}
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	// Messages at 4ms and 12ms push the first timeout to 22ms; it then
	// repeats at 32ms; "clear" at 35ms ends it.
	for _, at := range []time.Duration{4, 12} {
		if _, err := w.Run(sim.Until(at * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		s.Send(pid, "msg")
	}
	if _, err := w.Run(sim.Until(35 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	s.Send(pid, "clear")
	res, err := w.Run()
	if err != nil {
		t.Fatal(err)
	}
	want := "[msg@4ms msg@12ms idle@22ms idle@32ms clear@35ms]"
	if fmt.Sprint(got) != want {
		t.Fatalf("got %v\nwant %s", got, want)
	}
	if res.Reason != sim.Quiescent {
		t.Fatalf("cleared idle timeout still pending: %v", res.Reason)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
