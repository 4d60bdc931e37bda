package props

import (
	"fmt"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/asynkron/protoactor-go/actor"
)

// The pingpong workload: a referee spawns players that pass balls around
// with random delays, asks an echo actor (answered) and a sink (never
// answers, so the ask times out), crashes a crasher once (supervised
// restart), poisons a victim it watches, and ticks a periodic timer. The
// same actors run on a real System and in the simulator.

// PingpongConfig sizes the workload.
type PingpongConfig struct {
	Players  int           // players passing balls (≥ 2)
	Balls    int           // balls served
	Hops     int           // passes per ball after the serve
	MaxDelay time.Duration // a player holds a ball up to this long
	AskLimit time.Duration // timeout of the ask that must time out
	Tick     time.Duration // period of the referee's ticker
}

// DefaultPingpong is the configuration simrun uses.
var DefaultPingpong = PingpongConfig{
	Players: 4, Balls: 6, Hops: 8,
	MaxDelay: 5 * time.Millisecond, AskLimit: 30 * time.Millisecond, Tick: 10 * time.Millisecond,
}

// PingpongReport is what the referee saw; the checkers read it once the
// referee has answered (AwaitPingpong).
type PingpongReport struct {
	Finished      bool
	BallsDone     map[int]int // ball → times it finished
	Deliveries    map[int]int // ball → deliveries to players
	OrderErrors   []string    // per-link FIFO violations seen by players
	EchoReply     any
	EchoErr       error
	SinkErr       error
	SinkAt        time.Duration // since the start, when the sink's ask failed
	CrasherStarts int
	CrasherCount  int // what the crasher counted after its restart
	VictimGone    int // Terminated messages about the victim
	VictimID      string
	TerminatedWho string
	Ticks         []time.Duration // since the start
	Stats         actors.Stats
}

type (
	ball struct {
		id, hopsLeft, delivered int
		from                    string
		seq                     int // per (from, to) link, from 1
	}
	ballDone    struct{ id, delivered int }
	orderError  struct{ text string }
	echoPing    struct{ n int }
	echoPong    struct{ n int }
	crash       struct{}
	countReq    struct{}
	countResp   struct{ n int }
	crasherUp   struct{}
	playerInit  struct{ peers []*actor.PID }
	refTick     struct{}
	release     struct{ id int }
	awaitReport struct{}
	reportReady struct{}
)

// echoProbe is the number the referee sends the echo actor.
const echoProbe = 7

// NewReferee returns the props of the referee, which records what it sees
// in rep.
func NewReferee(cfg PingpongConfig, rep *PingpongReport) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return &referee{cfg: cfg, rep: rep} })
}

type referee struct {
	cfg     PingpongConfig
	rep     *PingpongReport
	start   time.Time
	crasher *actor.PID
	victim  *actor.PID
	ticker  *actors.Timer
	waiters []*actor.PID
	pending int // things still to happen before the report is final
	seq     map[string]int
}

func (r *referee) Receive(c actor.Context) {
	if r.rep.Finished {
		if _, ok := c.Message().(*awaitReport); ok {
			c.Respond(&reportReady{})
		}
		return
	}
	switch m := c.Message().(type) {
	case *actor.Started:
		r.begin(c)
	case *ballDone:
		r.rep.BallsDone[m.id]++
		r.rep.Deliveries[m.id] = m.delivered
		if r.rep.BallsDone[m.id] == 1 {
			r.done(c)
		}
	case *orderError:
		r.rep.OrderErrors = append(r.rep.OrderErrors, m.text)
	case *crasherUp:
		r.rep.CrasherStarts++
		if r.rep.CrasherStarts == 2 {
			// Restarted: the fresh incarnation must count from zero.
			actors.Ask(c, r.crasher, &countReq{}, time.Second, func(reply any, err error) {
				if resp, ok := reply.(*countResp); ok {
					r.rep.CrasherCount = resp.n
				}
				r.done(c)
			})
		}
	case *actor.Terminated:
		if m.Who.Equal(r.victim) {
			r.rep.VictimGone++
			r.rep.TerminatedWho = m.Who.Id
			r.done(c)
		}
	case *refTick:
		r.rep.Ticks = append(r.rep.Ticks, r.since(c))
	case *awaitReport:
		r.waiters = append(r.waiters, c.Sender())
	}
}

func (r *referee) since(c actor.Context) time.Duration {
	return actors.FromContext(c).Now().Sub(r.start)
}

func (r *referee) begin(c actor.Context) {
	sys := actors.FromContext(c)
	rng := sys.Rand()
	r.start = sys.Now()
	r.rep.BallsDone, r.rep.Deliveries = map[int]int{}, map[int]int{}
	r.seq = map[string]int{}

	players := make([]*actor.PID, r.cfg.Players)
	for i := range players {
		players[i] = r.spawn(c, fmt.Sprintf("player%d", i), func() actor.Actor { return &player{cfg: r.cfg} })
	}
	for _, p := range players {
		c.Send(p, &playerInit{peers: players})
	}
	echo := r.spawn(c, "echo", func() actor.Actor { return echoActor{} })
	sink := r.spawn(c, "sink", func() actor.Actor { return sinkActor{} })
	r.crasher = r.spawn(c, "crasher", func() actor.Actor { return &crasher{} })
	// The victim is top-level: as a child it would also send its parent,
	// the referee, a Terminated of its own.
	victim, err := sys.SpawnNamed(actor.PropsFromFunc(sinkActor{}.Receive), "victim")
	if err != nil {
		panic(err)
	}
	r.victim = victim
	r.rep.VictimID = r.victim.Id
	r.pending = r.cfg.Balls + 4 // balls, echo ask, sink ask, crasher count, victim

	c.Watch(r.victim)
	c.Poison(r.victim)
	actors.Ask(c, echo, &echoPing{n: echoProbe}, time.Second, func(reply any, err error) {
		r.rep.EchoReply, r.rep.EchoErr = reply, err
		r.done(c)
	})
	actors.Ask(c, sink, &echoPing{n: 1}, r.cfg.AskLimit, func(_ any, err error) {
		r.rep.SinkErr, r.rep.SinkAt = err, r.since(c)
		r.done(c)
	})
	c.Send(r.crasher, &crash{})
	r.ticker = actors.Every(c, r.cfg.Tick, &refTick{})
	for id := 0; id < r.cfg.Balls; id++ {
		to := players[rng.IntN(len(players))]
		r.seq[to.Id]++
		c.Send(to, &ball{id: id, hopsLeft: r.cfg.Hops, from: c.Self().Id, seq: r.seq[to.Id]})
	}
}

func (r *referee) spawn(c actor.Context, name string, producer actor.Producer) *actor.PID {
	pid, err := c.SpawnNamed(actor.PropsFromProducer(producer), name)
	if err != nil {
		panic(err) // names are fixed and unique: a clash is a bug
	}
	return pid
}

// done counts one awaited thing; the last one finishes the report.
func (r *referee) done(c actor.Context) {
	r.pending--
	if r.pending > 0 {
		return
	}
	r.ticker.Stop()
	r.rep.Stats = actors.FromContext(c).Stats()
	r.rep.Finished = true
	for _, w := range r.waiters {
		c.Send(w, &reportReady{})
	}
	r.waiters = nil
}

// player passes balls to random peers after a random delay, and checks
// that each sender's balls arrive in the order they were sent.
type player struct {
	cfg     PingpongConfig
	peers   []*actor.PID
	lastSeq map[string]int
	nextSeq map[string]int
	held    map[int]*ball
}

func (p *player) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *playerInit:
		p.peers = m.peers
		p.lastSeq, p.nextSeq, p.held = map[string]int{}, map[string]int{}, map[int]*ball{}
	case *ball:
		if m.seq != p.lastSeq[m.from]+1 {
			c.Send(c.Parent(), &orderError{text: fmt.Sprintf("%s got seq %d from %s after %d", c.Self().Id, m.seq, m.from, p.lastSeq[m.from])})
		}
		p.lastSeq[m.from] = m.seq
		m.delivered++
		if m.hopsLeft == 0 {
			c.Send(c.Parent(), &ballDone{id: m.id, delivered: m.delivered})
			return
		}
		p.held[m.id] = m
		delay := time.Duration(actors.FromContext(c).Rand().Int64N(int64(p.cfg.MaxDelay) + 1))
		actors.After(c, delay, &release{id: m.id})
	case *release:
		b := p.held[m.id]
		delete(p.held, m.id)
		to := p.peers[actors.FromContext(c).Rand().IntN(len(p.peers))]
		p.nextSeq[to.Id]++
		c.Send(to, &ball{id: b.id, hopsLeft: b.hopsLeft - 1, delivered: b.delivered, from: c.Self().Id, seq: p.nextSeq[to.Id]})
	}
}

type echoActor struct{}

func (echoActor) Receive(c actor.Context) {
	if m, ok := c.Message().(*echoPing); ok {
		c.Respond(&echoPong{n: m.n})
	}
}

type sinkActor struct{}

func (sinkActor) Receive(actor.Context) {}

// crasher panics on crash; its count starts from zero in each incarnation.
type crasher struct{ count int }

func (k *crasher) Receive(c actor.Context) {
	switch c.Message().(type) {
	case *actor.Started:
		c.Send(c.Parent(), &crasherUp{})
	case *crash:
		panic("pingpong: planted crash")
	case *countReq:
		k.count++
		c.Respond(&countResp{n: k.count})
	}
}
