package props

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// The remote-stream scenario: streams between two simulated nodes, over
// the simulator's inter-node network (the same wire messages protoactor
// remote carries, no gRPC), under the run's faults: partitions, clogs,
// dropped, duplicated and reordered messages, and crashes of either
// node (both are booted). The client node dials the server node's
// stream service, case by case, at times spread over the fault phase:
// uploads and downloads, served on the server by a workload actor or by
// a simulated sparse file (sink or source), clean or aborted by the
// producer or the consumer. After the heal, one more upload and one more
// download must succeed. CheckRemoteStreamRun checks the outcome.

// RemoteStreamConfig sizes the scenario.
type RemoteStreamConfig struct {
	Cases      int
	Gen        ExtentGen
	MaxSegment int
	MaxChunk   int
	MaxBuf     int
	StallMax   time.Duration
	Options    remote.Options
	// DeathBound is how soon after its peer's node crashed a side must
	// have ended (with an error, or having finished already).
	DeathBound time.Duration
}

// DefaultRemoteStream is the configuration simrun uses.
var DefaultRemoteStream = RemoteStreamConfig{
	Cases:      6,
	Gen:        ExtentGen{Max: 8, MaxData: 12000, MaxHole: 50000, HoleRatio: 0.4},
	MaxSegment: 4096,
	MaxChunk:   9000,
	MaxBuf:     7000,
	StallMax:   2 * time.Millisecond,
	DeathBound: 5 * time.Second,
}

// The scenario's nodes and service.
const (
	rsClient  = "client"
	rsServer  = "server"
	rsService = "streams"
)

// RSCase is one stream of the plan.
type RSCase struct {
	Kind    StreamCaseKind // CaseClean, CaseProducerAbort, CaseConsumerAbort
	Upload  bool           // the client sends
	File    bool           // the server's end is a simulated file
	Sparse  bool
	Window  int64
	Payload Extents
	AbortAt int64
	Start   time.Duration
	// AfterHeal: started after the heal; it must succeed.
	AfterHeal bool
}

// RSSide is what one end of a case did: the client's, or one of the
// server's (a repeated open can reach a restarted server twice).
type RSSide struct {
	Node     string
	Producer *ProducerReport // the side sends
	Consumer *ConsumerReport // the side receives
	DialErr  error           // client: the dial failed
	Started  time.Duration
	Crashed  bool // its node crashed before it was done
	Done     bool
	DoneAt   time.Duration
	// A server file's sink or source.
	File      *sim.SparseFile
	Committed bool
	Content   Extents // the file after the run (uploads)
}

// RSRun is the outcome of a run.
type RSRun struct {
	Config  RemoteStreamConfig
	Cases   []RSCase
	Client  []*RSSide   // by case (nil: never started)
	Server  [][]*RSSide // by case, each acceptance
	Crashes map[string][]time.Duration
	Healed  time.Duration
}

// DrawRemoteStreamPlan draws the cases, started within [0, span).
func DrawRemoteStreamPlan(cfg RemoteStreamConfig, rng *rand.Rand, span time.Duration) []RSCase {
	var cases []RSCase
	for i := 0; i < cfg.Cases; i++ {
		c := RSCase{Upload: rng.IntN(2) == 0, File: rng.IntN(3) == 0, Sparse: rng.IntN(4) != 0, AbortAt: -1}
		c.Window = int64(1+rng.IntN(4)) * streamactor.SegmentCost(cfg.MaxSegment)
		gen := cfg.Gen
		if !c.Sparse {
			gen.HoleRatio = 0
		}
		c.Payload = gen.Draw(rng)
		c.Kind = CaseClean
		if !c.File {
			c.Kind = []StreamCaseKind{CaseClean, CaseClean, CaseProducerAbort, CaseConsumerAbort}[rng.IntN(4)]
		}
		if c.Kind != CaseClean {
			c.AbortAt = rng.Int64N(c.Payload.Size() + 1)
		}
		if span > 0 {
			c.Start = time.Duration(rng.Int64N(int64(span)))
		}
		cases = append(cases, c)
	}
	return cases
}

// RemoteStream is the remote-stream scenario.
func RemoteStream(cfg RemoteStreamConfig) sim.Scenario {
	return sim.Scenario{
		Name:        "remote-stream",
		Description: "streams between two crashing nodes over a lossy, partitioned network: content, holes, Finish, aborts, errors naming the peer, liveness after the heal",
		Run: func(w *sim.World) error {
			run, err := RunRemoteStream(w, cfg)
			if err != nil {
				return err
			}
			return CheckRemoteStreamRun(run)
		},
	}
}

// rsRunner drives a run.
type rsRunner struct {
	w   *sim.World
	run *RSRun
}

// RunRemoteStream runs the workload in w and returns what happened.
func RunRemoteStream(w *sim.World, cfg RemoteStreamConfig) (*RSRun, error) {
	r := &rsRunner{w: w, run: &RSRun{Config: cfg, Crashes: map[string][]time.Duration{}}}
	span := w.Profile().FaultTime.D()
	r.run.Cases = DrawRemoteStreamPlan(cfg, w.Rand("remote-stream/plan"), span)
	for _, up := range []bool{true, false} {
		r.run.Cases = append(r.run.Cases, RSCase{Kind: CaseClean, Upload: up, Sparse: true, AbortAt: -1, AfterHeal: true,
			Window: 2 * streamactor.SegmentCost(cfg.MaxSegment), Payload: cfg.Gen.Draw(w.Rand("remote-stream/after-heal"))})
	}
	r.run.Client = make([]*RSSide, len(r.run.Cases))
	r.run.Server = make([][]*RSSide, len(r.run.Cases))
	w.OnCrash(r.crashed)
	if _, err := w.Boot(rsServer, r.bootServer, actors.WithName(rsServer)); err != nil {
		return nil, err
	}
	if _, err := w.Boot(rsClient, func(*actors.System) error { return nil }, actors.WithName(rsClient)); err != nil {
		return nil, err
	}
	for i, c := range r.run.Cases {
		if c.AfterHeal {
			if err := r.runUntil("remote-stream heal", func() bool { return w.Healed() || span == 0 }); err != nil {
				return nil, err
			}
			r.run.Healed = w.Now()
		} else if _, err := w.Run(sim.UntilTrue(func() bool { r.observe(); return false }), sim.Until(c.Start)); err != nil {
			return nil, err
		}
		if err := r.runUntil("remote-stream client up", func() bool { return !w.Down(rsClient) }); err != nil {
			return nil, err
		}
		if err := r.startCase(i); err != nil {
			return nil, err
		}
	}
	if err := r.runUntil("remote-stream workload", r.allDone); err != nil {
		return r.run, err
	}
	for i, sides := range r.run.Server {
		for _, s := range sides {
			if s.File != nil && r.run.Cases[i].Upload {
				s.Content = fileExtents(s.File)
			}
		}
	}
	return r.run, nil
}

// runUntil runs the World until done holds (a liveness failure if it
// does not by LivenessBound after the heal), noting when sides end.
func (r *rsRunner) runUntil(what string, done func() bool) error {
	return runUntilDone(r.w, what, func() bool { r.observe(); return done() })
}

// observe notes the sides that ended since the last look.
func (r *rsRunner) observe() {
	for i := range r.run.Cases {
		for _, s := range r.sides(i) {
			if !s.Done && !s.Crashed && s.finished() {
				s.Done, s.DoneAt = true, r.w.Now()
			}
		}
	}
}

func (s *RSSide) finished() bool {
	switch {
	case s.DialErr != nil:
		return true
	case s.Producer != nil:
		return s.Producer.Done
	case s.Consumer != nil:
		return s.Consumer.Done
	}
	return false
}

func (r *rsRunner) sides(i int) []*RSSide {
	out := append([]*RSSide(nil), r.run.Server[i]...)
	if c := r.run.Client[i]; c != nil {
		out = append(out, c)
	}
	return out
}

// allDone: every side whose node did not crash under it has ended.
func (r *rsRunner) allDone() bool {
	for i := range r.run.Cases {
		if r.run.Client[i] == nil {
			return false
		}
		for _, s := range r.sides(i) {
			if !s.Done && !s.Crashed {
				return false
			}
		}
	}
	return true
}

// crashed marks the sides on node as lost with it.
func (r *rsRunner) crashed(node string) {
	r.observe()
	r.run.Crashes[node] = append(r.run.Crashes[node], r.w.Now())
	for i := range r.run.Cases {
		for _, s := range r.sides(i) {
			if s.Node == node && !s.Done {
				s.Crashed = true
			}
		}
		if node == rsServer {
			for _, s := range r.run.Server[i] {
				if s.File != nil {
					s.File.Crash() // unsynced writes are lost; committed ones must not be
				}
			}
		}
	}
}

func (r *rsRunner) streamOptions(c RSCase) []streamactor.Option {
	opts := []streamactor.Option{streamactor.Window(c.Window), streamactor.MaxSegment(r.run.Config.MaxSegment)}
	if c.Sparse {
		opts = append(opts, streamactor.Sparse())
	}
	return opts
}

func (r *rsRunner) producerConfig(c RSCase) ProducerConfig {
	p := ProducerConfig{Payload: c.Payload, MaxChunk: r.run.Config.MaxChunk, StallMax: r.run.Config.StallMax, AbortAt: -1}
	if c.Kind == CaseProducerAbort {
		p.AbortAt = c.AbortAt
	}
	return p
}

func (r *rsRunner) consumerConfig(c RSCase) ConsumerConfig {
	k := ConsumerConfig{MaxBuf: r.run.Config.MaxBuf, StopAtHole: c.Sparse, StallMax: r.run.Config.StallMax, StallAt: -1, AbortAt: -1}
	if c.Kind == CaseConsumerAbort {
		k.AbortAt = c.AbortAt
	}
	return k
}

// startCase spawns case i's dialer on the client.
func (r *rsRunner) startCase(i int) error {
	c := r.run.Cases[i]
	side := &RSSide{Node: rsClient, Started: r.w.Now()}
	r.run.Client[i] = side
	role := streamactor.RoleReceiver
	if c.Upload {
		role = streamactor.RoleSender
	}
	sys := r.w.System(rsClient)
	_, err := sys.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case *actor.Started:
			remote.DialAsync(ctx, actor.NewPID(rsServer, rsService), role, "case:"+strconv.Itoa(i), r.run.Config.Options, nil, r.streamOptions(c)...)
		case *remote.DialResult:
			if m.Err != nil {
				side.DialErr = m.Err
				return
			}
			props := r.spawnWorker(c, m.Stream, c.Upload, side)
			if _, err := actors.FromContext(ctx).Spawn(props); err != nil {
				side.DialErr = err
			}
		}
	}))
	return err
}

// spawnWorker returns the props of the workload actor of one side.
func (r *rsRunner) spawnWorker(c RSCase, st *streamactor.Stream, sends bool, side *RSSide) *actor.Props {
	if sends {
		side.Producer = &ProducerReport{}
		return NewProducer(st, r.producerConfig(c), side.Producer)
	}
	side.Consumer = &ConsumerReport{}
	return NewConsumer(st, r.consumerConfig(c), side.Consumer)
}

// bootServer starts the server's stream service (again after a crash).
func (r *rsRunner) bootServer(sys *actors.System) error {
	_, err := remote.Serve(sys, rsService, func(req *remote.Request) error {
		i, err := strconv.Atoi(strings.TrimPrefix(req.Meta, "case:"))
		if err != nil || i < 0 || i >= len(r.run.Cases) {
			return errors.Errorf("no case %q", req.Meta)
		}
		return r.accept(sys, req, i)
	}, r.run.Config.Options)
	return err
}

// accept serves case i on the server.
func (r *rsRunner) accept(sys *actors.System, req *remote.Request, i int) error {
	c := r.run.Cases[i]
	side := &RSSide{Node: rsServer, Started: r.w.Now()}
	if c.File {
		f := sim.NewSparseFile(r.w, fmt.Sprintf("case%d-%d", i, len(r.run.Server[i])), sim.FileFaults{MaxLatency: 100 * time.Microsecond})
		side.File = f
		if c.Upload {
			side.Consumer = &ConsumerReport{} // the sink: Done once it ends
			rep := side.Consumer
			err := req.AcceptFileSink(f, streamactor.FileOptions{
				Commit:  func() error { side.Committed, rep.EOF, rep.Finished, rep.Done = true, true, true, true; return nil },
				Discard: func() { rep.Done = true },
			})
			if err != nil {
				return err
			}
		} else {
			if err := fillFile(f, c.Payload); err != nil {
				return err
			}
			side.Producer = &ProducerReport{Sent: fileExtents(f)}
			if err := req.AcceptFileSource(f, streamactor.FileOptions{}); err != nil {
				return err
			}
			side.Producer.Done = true // a source has no report of its own: the client's side says how it went
		}
		r.run.Server[i] = append(r.run.Server[i], side)
		return nil
	}
	st, err := req.AcceptStream()
	if err != nil {
		return err
	}
	if _, err := sys.Spawn(r.spawnWorker(c, st, !c.Upload, side)); err != nil {
		return err
	}
	r.run.Server[i] = append(r.run.Server[i], side)
	return nil
}
