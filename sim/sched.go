package sim

import (
	"math/rand/v2"

	"github.com/asynkron/protoactor-go/actor"
)

// Task is something the scheduler can run: one step of one actor's
// mailbox, or a function handed to the dispatcher by protoactor itself.
type Task struct {
	// Key identifies the task's actor across steps (a hash of node and
	// actor id); it is 0 for anonymous dispatcher functions.
	Key uint64

	run func()
}

// Strategy picks which runnable task runs next. It is given the runnable
// tasks in a deterministic order and returns an index into them.
// Strategies draw their randomness from the World's "sched" stream.
type Strategy interface {
	// Name names the strategy in reports.
	Name() string
	// Pick returns the index of the task to run next.
	Pick(runnable []*Task) int
}

// Random is the uniform random strategy: every runnable task is equally
// likely to run next.
type Random struct{ rng *rand.Rand }

// NewRandom returns a uniform random strategy drawing from rng.
func NewRandom(rng *rand.Rand) *Random { return &Random{rng: rng} }

// Name implements Strategy.
func (*Random) Name() string { return "random" }

// Pick implements Strategy.
func (r *Random) Pick(runnable []*Task) int { return r.rng.IntN(len(runnable)) }

// scheduler holds the runnable tasks. A mailbox is in the set at most once:
// it adds itself when it gets work and re-adds itself after each step while
// it has more.
type scheduler struct {
	runnable []*Task
	strategy Strategy
}

func (s *scheduler) add(t *Task) { s.runnable = append(s.runnable, t) }

// take removes the task the strategy picks. Removal moves the last task
// into the hole, which keeps the order deterministic.
func (s *scheduler) take() (*Task, int, int) {
	n := len(s.runnable)
	i := 0
	if n > 1 {
		i = s.strategy.Pick(s.runnable)
	}
	t := s.runnable[i]
	s.runnable[i] = s.runnable[n-1]
	s.runnable[n-1] = nil
	s.runnable = s.runnable[:n-1]
	return t, i, n
}

// dispatcher is the actor.Dispatcher of a simulated node: Schedule queues
// the function as an anonymous task on the World's loop. Step mailboxes
// bypass it and queue themselves, with their actor's identity.
type dispatcher struct{ n *node }

var _ actor.Dispatcher = dispatcher{}

// Schedule implements actor.Dispatcher.
func (d dispatcher) Schedule(fn func()) {
	w := d.n.w
	if !w.onLoop() {
		w.escaped("Dispatcher.Schedule", funcName(fn))
		return
	}
	w.sched.add(&Task{run: fn})
}

// Throughput implements actor.Dispatcher. It is irrelevant on one
// goroutine, so it is large enough that protoactor's mailbox never yields.
func (dispatcher) Throughput() int { return 1 << 30 }
