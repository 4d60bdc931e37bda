package actors_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testTimeout bounds waits in real-mode tests. It is never asserted on:
// tests check the order of events, not durations.
const testTimeout = 10 * time.Second

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// realSystem returns a real System that is closed when the test ends.
func realSystem(t *testing.T, opts ...actors.Option) *actors.System {
	t.Helper()
	s := actors.New(opts...)
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// simSystem returns a node of a fresh World.
func simSystem(t *testing.T, seed uint64) (*sim.World, *actors.System) {
	t.Helper()
	w := sim.New(seed)
	s, err := w.Node("n")
	if err != nil {
		t.Fatal(err)
	}
	return w, s
}

// journal is a goroutine-safe list of strings.
type journal struct {
	mu    sync.Mutex
	lines []string
}

func (j *journal) add(s string) {
	j.mu.Lock()
	j.lines = append(j.lines, s)
	j.mu.Unlock()
}

func (j *journal) all() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.lines...)
}

// funcProps builds Props from a receive function.
func funcProps(f func(c actor.Context)) *actor.Props { return actor.PropsFromFunc(f) }
