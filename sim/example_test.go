package sim_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
)

// ExampleNew builds a World from a seed, adds a node, spawns an ordinary
// actor on it and runs the World to quiescence. The actor's timers run on
// the virtual clock: the run takes three virtual seconds and no real
// time, because the clock jumps to the next timer whenever nothing is
// runnable. A Request from outside the actors runs the World until the
// reply arrives.
func ExampleNew() {
	w := sim.New(42)
	sys := w.MustNode("n1")

	ticks := 0
	pid, err := sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
		switch c.Message().(type) {
		case *actor.Started:
			actors.After(c, time.Second, "tick")
		case string:
			ticks++
			fmt.Printf("tick %d at %v\n", ticks, w.Now())
			if ticks < 3 {
				actors.After(c, time.Second, "tick")
			}
		case int:
			c.Respond(ticks * 100)
		}
	}), "ticker")
	if err != nil {
		fmt.Println(err)
		return
	}

	res, err := w.Run()
	fmt.Printf("run: %v at %v, err=%v\n", res.Reason, res.Now, err)

	reply, err := sys.Request(context.Background(), pid, 0)
	fmt.Println("reply:", reply, err)

	fmt.Println("close:", w.Close())
	// Output:
	// tick 1 at 1s
	// tick 2 at 2s
	// tick 3 at 3s
	// run: quiescent at 3s, err=<nil>
	// reply: 300 <nil>
	// close: <nil>
}

// interleave runs two actors, a and b, that each receive three messages,
// in a World for seed, and returns the order in which the seed's
// scheduler delivered the messages and the run's fingerprint.
func interleave(seed uint64) (string, uint64) {
	w := sim.New(seed)
	sys := w.MustNode("n1")
	var order []string
	spawn := func(name string) *actor.PID {
		pid, _ := sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
			if n, ok := c.Message().(int); ok {
				order = append(order, fmt.Sprintf("%s%d", name, n))
			}
		}), name)
		return pid
	}
	a, b := spawn("a"), spawn("b")
	for i := 1; i <= 3; i++ {
		sys.Send(a, i)
		sys.Send(b, i)
	}
	if _, err := w.Run(); err != nil {
		return "run: " + err.Error(), 0
	}
	if err := w.Close(); err != nil {
		return "close: " + err.Error(), 0
	}
	return strings.Join(order, " "), w.Fingerprint()
}

// Example_sameSeedSameRun shows the simulator's promise: the seed alone
// decides the interleaving. Each actor sees its own messages in order,
// but which actor goes next is the seeded scheduler's choice; running
// the same seed again gives the same order and the same fingerprint,
// while another seed explores another interleaving.
func Example_sameSeedSameRun() {
	order1, fp1 := interleave(1)
	again, fpAgain := interleave(1)
	order6, fp6 := interleave(6)

	fmt.Println("seed 1:      ", order1)
	fmt.Println("seed 1 again:", again)
	fmt.Println("seed 6:      ", order6)
	fmt.Println("seed 1 twice, same fingerprint:", fp1 == fpAgain)
	fmt.Println("seeds 1 and 6, same fingerprint:", fp1 == fp6)
	// Output:
	// seed 1:       a1 a2 b1 b2 b3 a3
	// seed 1 again: a1 a2 b1 b2 b3 a3
	// seed 6:       b1 b2 a1 b3 a2 a3
	// seed 1 twice, same fingerprint: true
	// seeds 1 and 6, same fingerprint: false
}

// ExampleCheckDeterminism packages a workload and its invariant as a
// Scenario. RunScenario runs one seed of it in a fresh World and closes
// the World; CheckDeterminism runs a seed twice, recording every event,
// and would return a *Divergence naming the first event where the two
// runs parted if the scenario were not deterministic.
func ExampleCheckDeterminism() {
	sc := sim.Scenario{
		Name: "counter",
		Run: func(w *sim.World) error {
			sys, err := w.Node("n1")
			if err != nil {
				return err
			}
			sum := 0
			pid, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
				if n, ok := c.Message().(int); ok {
					sum += n
				}
			}))
			if err != nil {
				return err
			}
			for i := 1; i <= 10; i++ {
				sys.Send(pid, i)
			}
			if _, err := w.Run(); err != nil {
				return err
			}
			if sum != 55 { // the invariant
				return fmt.Errorf("sum is %d, want 55", sum)
			}
			return nil
		},
	}

	out := sim.RunScenario(sc, 7)
	fmt.Printf("%s seed %d failed: %v\n", out.Scenario, out.Seed, out.Failed())

	first, div := sim.CheckDeterminism(sc, 7)
	fmt.Println("same fingerprint as before:", first.Fingerprint == out.Fingerprint)
	fmt.Println("divergence:", div)
	// Output:
	// counter seed 7 failed: false
	// same fingerprint as before: true
	// divergence: <nil>
}
