package props

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// SignalConfig sizes the signal scenario.
type SignalConfig struct {
	Sessions  int           // recorder sessions (the first opts out of its defaults)
	Emitters  int           // emitter actors
	Duration  time.Duration // how long emitters emit and subscribers churn
	MaxGap    time.Duration // an emitter waits up to this between emissions
	Churn     time.Duration // the director acts this often
	QueueSize int           // backlog bound of every connection
}

// DefaultSignal is the configuration simrun uses.
var DefaultSignal = SignalConfig{Sessions: 3, Emitters: 2, Duration: 4 * time.Second, MaxGap: 120 * time.Millisecond, Churn: 150 * time.Millisecond, QueueSize: 6}

// SignalReport is what the signal scenario saw.
type SignalReport struct {
	Finished  bool
	Emitted   int
	Last      map[string]int // "signal/dev" → the last emission's id
	EmitIndex map[int]int    // id → position in emission order
	Conns     map[string]*ScenarioConn
	Recorders []*Recorder
	Clock     int // orders deliveries and disconnects across the run
}

// ScenarioConn is one connection the director made.
type ScenarioConn struct {
	Key       string
	Signal    int
	Filter    string
	Session   int
	Watermark int  // emissions before it was made
	Open      bool // still connected at the end
	Held      bool // its slot stalled at some point
	OffAt     int  // when (in SignalReport.Clock's order) the director's Disconnect returned
}

type (
	emitTick    struct{}
	churnTick   struct{}
	endPhase    struct{}
	awaitSignal struct{}
	signalDone  struct{}
)

// Signal is the signal scenario: emitters emit on a plain and a throttled
// signal at random times, while a director connects, disconnects (from
// outside and from inside the slots), stalls and releases subscribers in
// three sessions (one without default connections); then everything is
// released and the throttles drain. CheckSignal checks the invariants.
func Signal(cfg SignalConfig) sim.Scenario {
	return sim.Scenario{
		Name:        "signal",
		Description: "emitters on a plain and a throttled signal; subscribers connect, disconnect (also from their own slot), stall and resume, in sessions with and without default connections",
		Run: func(w *sim.World) error {
			sys, err := w.Node("n1")
			if err != nil {
				return err
			}
			rep, err := RunSignal(context.Background(), sys, cfg)
			if err != nil {
				return err
			}
			return CheckSignal(cfg, rep)
		},
	}
}

// RunSignal runs the workload on sys and returns its report.
func RunSignal(ctx context.Context, sys *actors.System, cfg SignalConfig) (*SignalReport, error) {
	if cfg.Sessions < 1 || cfg.Emitters < 1 || cfg.Duration <= 0 || cfg.MaxGap <= 0 || cfg.Churn <= 0 || cfg.QueueSize < 1 {
		return nil, errors.Errorf("signal: bad config %+v", cfg)
	}
	bus := signalbus.New(sys)
	defer bus.Close()
	sigs, err := NewSigSignals(bus)
	if err != nil {
		return nil, err
	}
	rep := &SignalReport{Last: map[string]int{}, EmitIndex: map[int]int{}, Conns: map[string]*ScenarioConn{}}
	d := &director{cfg: cfg, bus: bus, sigs: sigs, rep: rep}
	pid, err := sys.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return d }), "signal-director")
	if err != nil {
		return nil, err
	}
	if _, err := sys.Request(ctx, pid, &awaitSignal{}); err != nil {
		return nil, errors.Wrap(err, "signal: waiting for the director")
	}
	return rep, nil
}

type director struct {
	cfg      SignalConfig
	bus      *signalbus.Bus
	sigs     *SigSignals
	rep      *SignalReport
	sessions []*signalbus.Session
	recPIDs  []*actor.PID
	churn    *actors.Timer
	waiters  []*actor.PID
	ending   bool
}

func (d *director) Receive(c actor.Context) {
	switch c.Message().(type) {
	case *actor.Started:
		d.start(c)
	case *churnTick:
		if !d.ending {
			d.act(c)
		}
	case *endPhase:
		d.end(c)
	case *awaitSignal:
		if d.rep.Finished {
			c.Respond(&signalDone{})
			return
		}
		d.waiters = append(d.waiters, c.Sender())
	}
}

func (d *director) start(c actor.Context) {
	for i := 0; i < d.cfg.Sessions; i++ {
		rec, pid := spawnRecorder(c, d.bus, &d.rep.Clock, i, d.cfg.QueueSize)
		s := rec.Session
		if i == 0 {
			_ = s.DisconnectDefaults(signalbus.InActor(context.Background()))
		}
		_ = s.Start()
		d.sessions, d.recPIDs = append(d.sessions, s), append(d.recPIDs, pid)
		d.rep.Recorders = append(d.rep.Recorders, rec)
		if i > 0 {
			for sig, info := range simSignals {
				key := DefaultKey(s.ID(), info.Name)
				d.rep.Conns[key] = &ScenarioConn{Key: key, Signal: sig, Session: i, Open: true}
			}
		}
	}
	for i := 0; i < d.cfg.Emitters; i++ {
		e := &emitter{id: i, cfg: d.cfg, sigs: d.sigs, rep: d.rep}
		if _, err := c.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return e }), fmt.Sprintf("emitter%d", i)); err != nil {
			panic(err)
		}
	}
	d.churn = actors.Every(c, d.cfg.Churn, &churnTick{})
	actors.After(c, d.cfg.Duration, &endPhase{})
}

// act does one random thing to the subscribers.
func (d *director) act(c actor.Context) {
	rng := actors.FromContext(c).Rand()
	ctx := signalbus.InActor(context.Background())
	open := d.openExplicit()
	switch op := rng.IntN(5); {
	case op <= 1 || len(open) == 0: // connect
		i := rng.IntN(len(d.sessions))
		sig := rng.IntN(2)
		opts := []signalbus.ConnectOption{signalbus.InSession(d.sessions[i]), signalbus.Queue(d.cfg.QueueSize, signalbus.Policy(rng.IntN(2)))}
		filter := ""
		if rng.IntN(2) == 0 {
			filter = []string{"a", "b"}[rng.IntN(2)]
			opts = append(opts, signalbus.Arg("dev", filter))
		}
		h, err := d.sigs.Of(sig).Connect(ctx, signalbus.ActorSlot[SigEvent](d.recPIDs[i]), opts...)
		if err != nil {
			panic(err)
		}
		d.rep.Conns[string(h)] = &ScenarioConn{Key: string(h), Signal: sig, Filter: filter, Session: i, Watermark: d.rep.Emitted, Open: true}
	case op == 2: // disconnect from here
		k := open[rng.IntN(len(open))]
		_ = d.sessions[k.Session].Disconnect(ctx, signalbus.Handle(k.Key))
		d.rep.Clock++
		k.OffAt = d.rep.Clock
		k.Open = false
	case op == 3: // disconnect from inside the slot, on its next delivery
		k := open[rng.IntN(len(open))]
		c.Send(d.recPIDs[k.Session], SelfDisconnect(k.Key, signalbus.Handle(k.Key)))
		k.Open = false
	default: // stall or resume
		k := open[rng.IntN(len(open))]
		if k.Held {
			c.Send(d.recPIDs[k.Session], Release(k.Key, 1+rng.IntN(4)))
		} else {
			k.Held = true
			c.Send(d.recPIDs[k.Session], Hold(k.Key))
		}
	}
}

func (d *director) openExplicit() []*ScenarioConn {
	var out []*ScenarioConn
	for _, k := range actors.SortedKeys(d.rep.Conns) {
		if c := d.rep.Conns[k]; c.Open && !strings.HasPrefix(k, "s") {
			out = append(out, c)
		}
	}
	return out
}

// end releases every stalled slot and waits for the throttles to drain.
func (d *director) end(c actor.Context) {
	if !d.ending {
		d.ending = true
		d.churn.Stop()
		for _, k := range actors.SortedKeys(d.rep.Conns) {
			if conn := d.rep.Conns[k]; conn.Held {
				c.Send(d.recPIDs[conn.Session], Release(k, 1<<30))
			}
		}
		actors.After(c, 3*SlowPeriod, &endPhase{})
		return
	}
	d.rep.Finished = true
	for _, w := range d.waiters {
		c.Send(w, &signalDone{})
	}
	d.waiters = nil
}

type emitter struct {
	id   int
	n    int
	cfg  SignalConfig
	sigs *SigSignals
	rep  *SignalReport
	end  time.Time
}

func (e *emitter) Receive(c actor.Context) {
	sys := actors.FromContext(c)
	switch c.Message().(type) {
	case *actor.Started:
		e.end = sys.Now().Add(e.cfg.Duration)
		actors.After(c, time.Duration(sys.Rand().Int64N(int64(e.cfg.MaxGap))), &emitTick{})
	case *emitTick:
		if !sys.Now().Before(e.end) {
			return
		}
		rng := sys.Rand()
		e.n++
		id := (e.id+1)*1_000_000 + e.n
		sig, dev := rng.IntN(2), []string{"a", "b"}[rng.IntN(2)]
		action := "report"
		if sig == 1 && rng.IntN(5) == 0 {
			action = "stop"
		}
		if err := e.sigs.Of(sig).Emit(SigEvent{Dev: dev, Action: action, ID: id}, dev); err != nil {
			panic(err)
		}
		e.rep.Emitted++
		e.rep.EmitIndex[id] = e.rep.Emitted
		e.rep.Last[fmt.Sprintf("%d/%s", sig, dev)] = id
		actors.After(c, 1+time.Duration(rng.Int64N(int64(e.cfg.MaxGap))), &emitTick{})
	}
}

// CheckSignal checks a finished report: the model-free invariants
// (CheckSignalLog) on every connection, and that no connection that stayed
// open and kept up lost the last emission of any key it matched (I17
// liveness after healing).
func CheckSignal(cfg SignalConfig, rep *SignalReport) error {
	if !rep.Finished {
		return errors.New("signal: report not final")
	}
	if rep.Emitted == 0 {
		return errors.New("signal: nothing was emitted")
	}
	l := &SignalLog{Conns: map[string]*ConnLog{}, Order: rep.EmitIndex}
	for _, k := range actors.SortedKeys(rep.Conns) {
		c := rep.Conns[k]
		rec := rep.Recorders[c.Session]
		off := c.OffAt
		if at := rec.OffAt[k]; at > 0 && (off == 0 || at < off) {
			off = at
		}
		l.Conns[k] = &ConnLog{Explicit: !strings.HasPrefix(k, "s"), Filter: c.Filter, Signal: simSignals[c.Signal].Name, KeptUp: !c.Held, Seen: rec.Got[k], OffAt: off}
	}
	if err := CheckSignalLog(l, SlowPeriod); err != nil {
		return err
	}
	var errs []string
	for _, k := range actors.SortedKeys(rep.Conns) {
		c := rep.Conns[k]
		if !c.Open {
			continue
		}
		got := map[int]bool{}
		for _, s := range l.Conns[k].Seen {
			got[s.ID] = true
		}
		for _, dev := range []string{"a", "b"} {
			if c.Filter != "" && c.Filter != dev {
				continue
			}
			last, ok := rep.Last[fmt.Sprintf("%d/%s", c.Signal, dev)]
			if !ok || rep.EmitIndex[last] <= c.Watermark {
				continue
			}
			if !got[last] && !c.Held {
				errs = append(errs, fmt.Sprintf("I17: %s never got the last emission %d of %s/%s", k, last, simSignals[c.Signal].Name, dev))
			}
		}
	}
	if len(errs) > 0 {
		return errors.New("signal: " + strings.Join(errs, "; "))
	}
	return nil
}
