package props

import (
	"fmt"

	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// The handoff workload: a worker takes a long chain of steps, reporting a
// checkpoint halfway and its result at the end, to a coordinator that also
// needs a "ready" from a second, unrelated actor. The messages may arrive
// in any order. The correct coordinator waits for both ready and the
// result; the planted bug (the "reorder" canary, depth 2) takes a ready
// that arrives after the checkpoint but before the result as a torn
// handoff. Hitting that window needs ready held back past the checkpoint
// and then let through before the result: random scheduling almost never
// does both, PCT (one priority constraint and one change point) often.

// HandoffConfig sizes the workload.
type HandoffConfig struct {
	Chain   int  // steps the worker takes before its result
	Halfway int  // the step of the checkpoint
	Bug     bool // plant the reorder bug
}

// DefaultHandoff is the configuration of the handoff scenario.
var DefaultHandoff = HandoffConfig{Chain: 20, Halfway: 10}

type (
	handoffStep       struct{ i int }
	handoffCheckpoint struct{ i int }
	handoffResult     struct{ n int }
	handoffReady      struct{}
)

type handoffReport struct {
	done   bool
	result int
	err    string
}

type coordinator struct {
	cfg        HandoffConfig
	rep        *handoffReport
	ready      bool
	checkpoint int
	result     int
	got        bool
}

func (c *coordinator) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *handoffCheckpoint:
		c.checkpoint = m.i
	case *handoffReady:
		c.ready = true
		if c.cfg.Bug && c.checkpoint > 0 && !c.got {
			c.rep.err = fmt.Sprintf("ready arrived between checkpoint %d and the result: handoff torn", c.checkpoint)
			return
		}
	case *handoffResult:
		c.result, c.got = m.n, true
	}
	if c.ready && c.got && !c.rep.done {
		c.rep.done, c.rep.result = true, c.result
	}
}

// Handoff is the handoff scenario (correct, or the canary with cfg.Bug).
func Handoff(cfg HandoffConfig) sim.Scenario {
	name := "handoff"
	if cfg.Bug {
		name = "canary-reorder"
	}
	return sim.Scenario{
		Name:        name,
		Description: "a coordinator needs a result from a long worker chain and a ready from another actor, in either order",
		Run: func(w *sim.World) error {
			sys, err := w.Node("n1")
			if err != nil {
				return err
			}
			rep := &handoffReport{}
			coord, err := sys.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &coordinator{cfg: cfg, rep: rep} }), "coordinator")
			if err != nil {
				return err
			}
			_, err = sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
				switch m := c.Message().(type) {
				case *actor.Started:
					c.Send(c.Self(), &handoffStep{i: 1})
				case *handoffStep:
					if m.i == cfg.Halfway {
						c.Send(coord, &handoffCheckpoint{i: m.i})
					}
					if m.i < cfg.Chain {
						c.Send(c.Self(), &handoffStep{i: m.i + 1})
					} else {
						c.Send(coord, &handoffResult{n: m.i})
					}
				}
			}), "worker")
			if err != nil {
				return err
			}
			_, err = sys.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
				if _, ok := c.Message().(*actor.Started); ok {
					c.Send(coord, &handoffReady{})
				}
			}), "late")
			if err != nil {
				return err
			}
			if err := runUntilDone(w, "handoff", func() bool { return rep.done || rep.err != "" }); err != nil {
				return err
			}
			// H1: the coordinator completes with the worker's result.
			if rep.err != "" {
				return errors.New("H1: " + rep.err)
			}
			if rep.result != cfg.Chain {
				return errors.Errorf("H1: coordinator got result %d, want %d", rep.result, cfg.Chain)
			}
			return nil
		},
	}
}
