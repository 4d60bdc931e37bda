package props

import (
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// The retry-counter workload: a client on one node increments a counter on
// another, across a network that drops messages and partitions. Each
// increment carries an id; the client retries it until acknowledged. The
// correct server applies each id once; the planted bug (the "retry-dup"
// canary) applies every request, so a request that got through but whose
// acknowledgement was lost is counted twice after the retry.

// CounterConfig sizes the workload.
type CounterConfig struct {
	Increments int
	Timeout    time.Duration
	Bug        bool
}

// DefaultCounter is the configuration of the retry-counter scenario.
var DefaultCounter = CounterConfig{Increments: 30, Timeout: 40 * time.Millisecond}

type (
	incr       struct{ id int }
	incrAck    struct{ id int }
	readCount  struct{}
	countValue struct{ n int }
)

type counterServer struct {
	bug     bool
	applied map[int]bool
	count   int
}

func (s *counterServer) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *incr:
		if s.bug || !s.applied[m.id] {
			if s.applied == nil {
				s.applied = map[int]bool{}
			}
			s.applied[m.id] = true
			s.count++
		}
		c.Respond(&incrAck{id: m.id})
	case *readCount:
		c.Respond(&countValue{n: s.count})
	}
}

type counterReport struct {
	done    bool
	count   int
	retries int
}

type counterClient struct {
	cfg    CounterConfig
	rep    *counterReport
	server *actor.PID
	next   int
}

func (k *counterClient) Receive(c actor.Context) {
	if _, ok := c.Message().(*actor.Started); ok {
		k.send(c)
	}
}

func (k *counterClient) send(c actor.Context) {
	if k.next == k.cfg.Increments {
		actors.Ask(c, k.server, &readCount{}, k.cfg.Timeout, func(reply any, err error) {
			if v, ok := reply.(*countValue); ok && err == nil {
				k.rep.count, k.rep.done = v.n, true
				return
			}
			k.send(c) // lost: read again
		})
		return
	}
	id := k.next
	actors.Ask(c, k.server, &incr{id: id}, k.cfg.Timeout, func(reply any, err error) {
		if ack, ok := reply.(*incrAck); ok && err == nil && ack.id == id {
			k.next++
		} else {
			k.rep.retries++
		}
		k.send(c)
	})
}

// Counter is the retry-counter scenario (correct, or the canary with
// cfg.Bug).
func Counter(cfg CounterConfig) sim.Scenario {
	name := "retry-counter"
	if cfg.Bug {
		name = "canary-retry-dup"
	}
	return sim.Scenario{
		Name:        name,
		Description: "a client retries increments across a lossy, partitioned network; each must count once",
		Options:     []sim.Option{sim.WithRemote(sim.RemoteOptions{Loose: true})},
		Run: func(w *sim.World) error {
			server, err := w.Node("server")
			if err != nil {
				return err
			}
			if _, err := server.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &counterServer{bug: cfg.Bug} }), "counter"); err != nil {
				return err
			}
			client, err := w.Node("client")
			if err != nil {
				return err
			}
			rep := &counterReport{}
			pid := actor.NewPID("server", "counter")
			if _, err := client.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &counterClient{cfg: cfg, rep: rep, server: pid} }), "client"); err != nil {
				return err
			}
			if err := runUntilDone(w, "retry-counter client", func() bool { return rep.done }); err != nil {
				return err
			}
			// C1: every increment counted exactly once, retries or not.
			if rep.count != cfg.Increments {
				return errors.Errorf("C1: counter is %d after %d increments (%d retries)", rep.count, cfg.Increments, rep.retries)
			}
			return nil
		},
	}
}
