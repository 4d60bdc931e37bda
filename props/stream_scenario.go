package props

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/streamactor"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// The stream scenario: producer and consumer actors move random extent
// lists through several streams at once: a clean transfer, one the
// producer aborts, one the consumer aborts, one whose consumer stalls for
// a long time (the window must hold), an upload into a simulated sparse
// file and a download from one, the files with injected faults. The plan
// is drawn from the seed; CheckStreamRun checks the outcome.

// StreamConfig sizes the scenario.
type StreamConfig struct {
	Gen        ExtentGen
	MaxSegment int
	MaxChunk   int
	MaxBuf     int
	StallMax   time.Duration // the workload actors' small pauses
	StallFor   time.Duration // the stalled consumer's long pause
	FileFaults float64       // the chance that a file case gets a fault
}

// DefaultStream is the configuration simrun uses.
var DefaultStream = StreamConfig{
	Gen:        ExtentGen{Max: 12, MaxData: 20000, MaxHole: 50000, HoleRatio: 0.4},
	MaxSegment: 4096,
	MaxChunk:   9000,
	MaxBuf:     7000,
	StallMax:   200 * time.Microsecond,
	StallFor:   50 * time.Millisecond,
	FileFaults: 0.5,
}

// StreamCaseKind names a case of the scenario.
type StreamCaseKind string

// The cases.
const (
	CaseClean         StreamCaseKind = "clean"
	CaseProducerAbort StreamCaseKind = "producer-abort"
	CaseConsumerAbort StreamCaseKind = "consumer-abort"
	CaseStall         StreamCaseKind = "stalled-consumer"
	CaseUpload        StreamCaseKind = "upload"
	CaseDownload      StreamCaseKind = "download"
)

// StreamPlan is one seed's workload.
type StreamPlan struct {
	Sparse, NonBlock bool
	Window           int64
	Cases            []StreamCase
}

// StreamCase is one stream of the plan.
type StreamCase struct {
	Kind    StreamCaseKind
	Payload Extents
	AbortAt int64 // producer- or consumer-abort: after this many bytes
	StallAt int64
	// File cases: the fault injected, if any ("" for none).
	Fault    string
	FaultArg int64
}

// DrawStreamPlan draws a plan; with files false it leaves out the file
// cases (a real System has no simulated files).
func DrawStreamPlan(cfg StreamConfig, rng *rand.Rand, files bool) StreamPlan {
	p := StreamPlan{Sparse: rng.IntN(3) != 0, NonBlock: rng.IntN(4) == 0}
	cost := int64(cfg.MaxSegment + streamactor.SegmentOverhead)
	p.Window = cost * (1 + rng.Int64N(4))
	gen := cfg.Gen
	if !p.Sparse {
		gen.HoleRatio = 0
	}
	kinds := []StreamCaseKind{CaseClean, CaseProducerAbort, CaseConsumerAbort, CaseStall}
	if files {
		kinds = append(kinds, CaseUpload, CaseDownload)
	}
	for _, k := range kinds {
		c := StreamCase{Kind: k, Payload: gen.Draw(rng), AbortAt: -1, StallAt: -1}
		size := c.Payload.Size()
		switch k {
		case CaseProducerAbort, CaseConsumerAbort:
			c.AbortAt = rng.Int64N(size + 1)
		case CaseStall:
			// Data only, and at least two windows of it after the stall
			// point, so that the producer fills the window meanwhile.
			c.Payload = nil
			for c.Payload.Size() < 3*p.Window {
				c.Payload = append(c.Payload, Extent{Data: randomBytes(rng, cfg.Gen.MaxData)})
			}
			c.StallAt = rng.Int64N(c.Payload.Size() - 2*p.Window)
		case CaseUpload, CaseDownload:
			if rng.Float64() < cfg.FileFaults {
				c.Fault, c.FaultArg = drawFileFault(rng, k, c.Payload)
			}
		}
		p.Cases = append(p.Cases, c)
	}
	return p
}

func randomBytes(rng *rand.Rand, n int) []byte {
	p := make([]byte, 1+rng.IntN(n))
	for i := range p {
		p[i] = byte(rng.Uint32())
	}
	return p
}

// drawFileFault picks a fault that the transfer must hit, or short I/O
// (which it must survive).
func drawFileFault(rng *rand.Rand, k StreamCaseKind, x Extents) (string, int64) {
	var dataOffs []int64
	var off int64
	for _, e := range x {
		if !e.Hole {
			dataOffs = append(dataOffs, off+rng.Int64N(int64(len(e.Data))))
		}
		off += e.Size()
	}
	choices := []string{"short"}
	if len(dataOffs) > 0 {
		choices = append(choices, "eio")
		if k == CaseUpload {
			choices = append(choices, "enospc")
		}
	}
	if k == CaseUpload {
		choices = append(choices, "sync")
	}
	f := choices[rng.IntN(len(choices))]
	switch f {
	case "eio":
		return f, dataOffs[rng.IntN(len(dataOffs))]
	case "enospc":
		return f, 0 // the capacity is set below the data's blocks
	}
	return f, 0
}

// StreamRun is what the workload produced, per case.
type StreamRun struct {
	Plan      StreamPlan
	Producers []*ProducerReport
	Consumers []*ConsumerReport
	// Stall: the stalled consumer's receiving end during the stall.
	StallStats  streamactor.Stats
	StallWindow int64
	// Files, for the file cases: the simulated file, and what was in it.
	Files []*sim.SparseFile
	// AfterCrash: the upload's file content after a crash (only what was
	// synced survives).
	AfterCrash Extents
	// FileBefore: the download's file content.
	FileBefore Extents
}

// Stream is the stream scenario.
func Stream(cfg StreamConfig) sim.Scenario {
	return sim.Scenario{
		Name:        "stream",
		Description: "producer/consumer actors move random extent lists through streams: finish, aborts, a stalled consumer, sparse file upload/download with faults",
		Run: func(w *sim.World) error {
			sys, err := w.Node("n1")
			if err != nil {
				return err
			}
			plan := DrawStreamPlan(cfg, w.Rand("stream/plan"), true)
			run, err := RunStreamWorkload(context.Background(), sys, cfg, plan, w)
			if err != nil {
				return err
			}
			return CheckStreamRun(run)
		},
	}
}

// RunStreamWorkload runs plan on sys. With a World, the file cases use
// simulated files; without one there must be none.
func RunStreamWorkload(ctx context.Context, sys *actors.System, cfg StreamConfig, plan StreamPlan, w *sim.World) (*StreamRun, error) {
	run := &StreamRun{Plan: plan}
	opts := []streamactor.Option{streamactor.Window(plan.Window), streamactor.MaxSegment(cfg.MaxSegment)}
	if plan.Sparse {
		opts = append(opts, streamactor.Sparse())
	}
	if plan.NonBlock {
		opts = append(opts, streamactor.NonBlock())
	}
	var producers, consumers []*actor.PID
	var stallEnd *streamactor.Stream
	var stallConsumer *actor.PID
	for i, c := range plan.Cases {
		prep, crep := &ProducerReport{}, &ConsumerReport{}
		run.Producers, run.Consumers = append(run.Producers, prep), append(run.Consumers, crep)
		run.Files = append(run.Files, nil)
		pcfg := ProducerConfig{Payload: c.Payload, MaxChunk: cfg.MaxChunk, StallMax: cfg.StallMax, AbortAt: -1}
		ccfg := ConsumerConfig{MaxBuf: cfg.MaxBuf, StopAtHole: plan.Sparse, StallMax: cfg.StallMax, StallAt: -1, AbortAt: -1, StallFor: cfg.StallFor}
		switch c.Kind {
		case CaseProducerAbort:
			pcfg.AbortAt = c.AbortAt
		case CaseConsumerAbort:
			ccfg.AbortAt = c.AbortAt
		case CaseStall:
			ccfg.StallAt = c.StallAt
			pcfg.StallMax = 0 // a producer as fast as it gets
		}
		switch c.Kind {
		case CaseUpload, CaseDownload:
			if w == nil {
				return nil, errors.Errorf("stream: case %s needs a simulated World", c.Kind)
			}
			f := sim.NewSparseFile(w, fmt.Sprintf("case%d-%s", i, c.Kind), sim.FileFaults{MaxLatency: 100 * time.Microsecond})
			run.Files[i] = f
			st, err := streamactor.New(sys, opts...)
			if err != nil {
				return nil, err
			}
			if c.Kind == CaseUpload {
				applyUploadFault(f, c)
				if err := streamactor.AttachFileSink(st, f, streamactor.FileOptions{}); err != nil {
					return nil, err
				}
				pid, err := sys.Spawn(NewProducer(st, pcfg, prep))
				if err != nil {
					return nil, err
				}
				producers = append(producers, pid)
				crep.Done = true // no consumer actor: the sink is the consumer
				continue
			}
			if err := fillFile(f, c.Payload); err != nil {
				return nil, err
			}
			run.FileBefore = fileExtents(f)
			applyDownloadFault(f, c)
			if err := streamactor.AttachFileSource(st, f, streamactor.FileOptions{}); err != nil {
				return nil, err
			}
			pid, err := sys.Spawn(NewConsumer(st, ccfg, crep))
			if err != nil {
				return nil, err
			}
			consumers = append(consumers, pid)
			prep.Done = true
			continue
		}
		wEnd, rEnd, err := streamactor.Pipe(sys, opts...)
		if err != nil {
			return nil, err
		}
		ppid, err := sys.Spawn(NewProducer(wEnd, pcfg, prep))
		if err != nil {
			return nil, err
		}
		cpid, err := sys.Spawn(NewConsumer(rEnd, ccfg, crep))
		if err != nil {
			return nil, err
		}
		producers, consumers = append(producers, ppid), append(consumers, cpid)
		if c.Kind == CaseStall {
			stallEnd, stallConsumer = rEnd, cpid
		}
	}
	if stallEnd != nil {
		// Wait for the stall, give the producer time to fill the window,
		// and look at what the receiving end holds.
		if _, err := sys.Request(ctx, stallConsumer, &awaitStall{}); err != nil {
			return nil, errors.Wrap(err, "stream: waiting for the stall")
		}
		if err := pause(ctx, sys, w, cfg.StallFor/2); err != nil {
			return nil, err
		}
		st, err := stallEnd.Stats(ctx)
		if err != nil {
			return nil, errors.Wrap(err, "stream: stats during the stall")
		}
		run.StallStats, run.StallWindow = st, plan.Window
	}
	for _, pid := range append(producers, consumers...) {
		if _, err := sys.Request(ctx, pid, &awaitDone{}); err != nil {
			return nil, errors.Wrap(err, "stream: waiting for the workload")
		}
	}
	for i, c := range plan.Cases {
		if c.Kind == CaseUpload && run.Producers[i].Finished {
			f := run.Files[i]
			f.Crash() // Finish said done: it must all be durable
			run.AfterCrash = fileExtents(f)
		}
	}
	return run, nil
}

// pause lets d of time pass: virtual time in a World, a real wait (through
// an actor timer) otherwise.
func pause(ctx context.Context, sys *actors.System, w *sim.World, d time.Duration) error {
	if w != nil {
		_, err := w.Run(w.For(d))
		return err
	}
	var waiter *actor.PID
	pid, err := sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch c.Message().(type) {
		case *awaitDone:
			waiter = c.Sender()
			actors.After(c, d, &resume{})
		case *resume:
			c.Send(waiter, &workDone{})
		}
	}))
	if err != nil {
		return err
	}
	defer sys.Stop(pid)
	_, err = sys.Request(ctx, pid, &awaitDone{})
	return err
}

func applyUploadFault(f *sim.SparseFile, c StreamCase) {
	switch c.Fault {
	case "eio":
		f.InjectWriteEIO(c.FaultArg)
	case "enospc":
		blocks := c.Payload.DataBytes() / f.BlockSize()
		f.SetCapacity(max(1, (blocks-1)*f.BlockSize()))
	case "sync":
		f.FailNextSyncs(1)
	case "short":
		fl := f.Faults()
		fl.ShortWrite = 0.5
		f.SetFaults(fl)
	}
}

func applyDownloadFault(f *sim.SparseFile, c StreamCase) {
	switch c.Fault {
	case "eio":
		f.InjectReadEIO(c.FaultArg)
	case "short":
		fl := f.Faults()
		fl.ShortRead = 0.5
		f.SetFaults(fl)
	}
}

// fillFile writes x into f (synced) as a sparse file.
func fillFile(f *sim.SparseFile, x Extents) error {
	var off int64
	for _, e := range x {
		if !e.Hole {
			for p := e.Data; len(p) > 0; {
				n, err := f.WriteAt(p, off)
				if err != nil {
					return err
				}
				p, off = p[n:], off+int64(n)
			}
			continue
		}
		off += e.Len
	}
	if err := f.Truncate(off); err != nil {
		return err
	}
	return f.Sync()
}

// fileExtents reads a simulated file back as extents: its data ranges as
// data, the rest as holes. It peeks at the file (no faults, no fault
// opportunities), since a checker must see what is really there.
func fileExtents(f *sim.SparseFile) Extents {
	f.Reopen()
	size, _ := f.Size()
	var x Extents
	var off int64
	for _, r := range f.DataRanges() {
		x.AddHole(r[0] - off)
		p := make([]byte, r[1]-r[0])
		f.Peek(p, r[0])
		x.AddData(p)
		off = r[1]
	}
	x.AddHole(size - off)
	return x
}
