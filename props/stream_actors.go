package props

import (
	"io"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/streamactor"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// The stream workload's actors: a producer that sends a payload through a
// stream's sending end, and a consumer that drains a receiving end, both
// with the message face (SendAsync, RecvAsync, ...), both drawing chunk
// sizes and stalls from their node's seeded rand. The same actors run in
// the simulator and on a real System.

// retryDelay is how long the workload actors wait after ErrWouldBlock.
const retryDelay = 50 * time.Microsecond

// ProducerConfig is what a producer sends and how.
type ProducerConfig struct {
	Payload  Extents
	MaxChunk int           // largest Send (≥ 1)
	StallMax time.Duration // after each chunk, a pause of up to this long (0: none)
	// AbortAt, if ≥ 0, aborts the stream once that many payload bytes
	// (data and holes) were handed to the stream, instead of finishing.
	AbortAt int64
}

// ProducerReport is what the producer saw. Read it after Done.
type ProducerReport struct {
	Sent      Extents // what the stream accepted, in order
	Finished  bool    // Finish returned nil
	FinishErr error   // what Finish returned
	Aborted   bool    // the producer aborted (AbortAt)
	SendErr   error   // the first Send or SendHole error
	Done      bool
}

// NewProducer returns the props of a producer sending through st.
func NewProducer(st *streamactor.Stream, cfg ProducerConfig, rep *ProducerReport) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return &producer{st: st, cfg: cfg, rep: rep} })
}

type producer struct {
	st      *streamactor.Stream
	cfg     ProducerConfig
	rep     *ProducerReport
	ext     int   // current extent
	off     int64 // offset in it
	handed  int64
	waiters []*actor.PID
}

type (
	resume     struct{}
	awaitDone  struct{}
	awaitStall struct{}
	workDone   struct{}
	chunkTag   struct {
		data bool
		hole int64
	}
	consumerTag struct{}
)

func (p *producer) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		p.next(c)
	case *resume:
		p.next(c)
	case *streamactor.SendResult:
		tag, _ := m.Tag.(chunkTag)
		if tag.data && m.N > 0 {
			p.rep.Sent.AddData(p.cfg.Payload[p.ext].Data[p.off : p.off+int64(m.N)])
			p.advance(int64(m.N))
		}
		if tag.hole > 0 && m.Err == nil {
			p.rep.Sent.AddHole(tag.hole)
			p.advance(tag.hole)
		}
		switch {
		case errors.Is(m.Err, streamactor.ErrWouldBlock):
			actors.After(c, retryDelay, &resume{}) // non-blocking stream: try again later
			return
		case m.Err != nil:
			if p.rep.SendErr == nil {
				p.rep.SendErr = m.Err
			}
			p.finishOrAbort(c, false) // Finish reports the latched error
			return
		}
		p.pause(c)
	case *streamactor.CloseResult:
		p.rep.FinishErr = m.Err
		p.rep.Finished = m.Err == nil && !p.rep.Aborted
		p.done(c)
	case *awaitDone:
		if p.rep.Done {
			c.Respond(&workDone{})
		} else {
			p.waiters = append(p.waiters, c.Sender())
		}
	}
}

func (p *producer) advance(n int64) {
	p.off += n
	p.handed += n
	if p.ext < len(p.cfg.Payload) && p.off >= p.cfg.Payload[p.ext].Size() {
		p.ext++
		p.off = 0
	}
}

func (p *producer) pause(c actor.Context) {
	if p.cfg.StallMax > 0 {
		d := time.Duration(actors.FromContext(c).Rand().Int64N(int64(p.cfg.StallMax) + 1))
		actors.After(c, d, &resume{})
		return
	}
	p.next(c)
}

func (p *producer) next(c actor.Context) {
	if p.cfg.AbortAt >= 0 && p.handed >= p.cfg.AbortAt {
		p.finishOrAbort(c, true)
		return
	}
	if p.ext >= len(p.cfg.Payload) {
		p.finishOrAbort(c, false)
		return
	}
	e := p.cfg.Payload[p.ext]
	if e.Hole {
		p.st.SendHoleAsync(c, e.Len, chunkTag{hole: e.Len})
		return
	}
	n := 1 + actors.FromContext(c).Rand().IntN(max(1, p.cfg.MaxChunk))
	n = int(min(int64(n), e.Size()-p.off))
	p.st.SendAsync(c, e.Data[p.off:p.off+int64(n)], chunkTag{data: true})
}

func (p *producer) finishOrAbort(c actor.Context, abort bool) {
	if abort {
		p.rep.Aborted = true
		p.st.AbortAsync(c, nil, nil)
		return
	}
	p.st.FinishAsync(c, nil)
}

func (p *producer) done(c actor.Context) {
	p.rep.Done = true
	for _, w := range p.waiters {
		c.Send(w, &workDone{})
	}
	p.waiters = nil
}

// ConsumerConfig is how a consumer drains its stream.
type ConsumerConfig struct {
	MaxBuf     int           // largest Recv buffer (≥ 1)
	StopAtHole bool          // RecvStopAtHole + RecvHole (sparse streams)
	StallMax   time.Duration // after each read, a pause of up to this long
	// StallAt, if ≥ 0, makes the consumer stop reading for StallFor once
	// it has that many bytes (a stalled consumer).
	StallAt  int64
	StallFor time.Duration
	// AbortAt, if ≥ 0, aborts the stream once that many bytes arrived.
	AbortAt int64
}

// ConsumerReport is what the consumer saw. Read it after Done.
type ConsumerReport struct {
	Got       Extents
	EOF       bool  // Recv returned io.EOF
	Finished  bool  // its Finish returned nil
	FinishErr error // what its Finish returned
	RecvErr   error // the error that ended the reads, if not EOF
	Aborted   bool
	Stalled   bool // the long stall happened
	Done      bool
}

// NewConsumer returns the props of a consumer draining st.
func NewConsumer(st *streamactor.Stream, cfg ConsumerConfig, rep *ConsumerReport) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return &consumer{st: st, cfg: cfg, rep: rep} })
}

type consumer struct {
	st           *streamactor.Stream
	cfg          ConsumerConfig
	rep          *ConsumerReport
	buf          []byte
	waiters      []*actor.PID
	stallWaiters []*actor.PID
}

func (k *consumer) tell(c actor.Context, ws *[]*actor.PID) {
	for _, w := range *ws {
		c.Send(w, &workDone{})
	}
	*ws = nil
}

func (k *consumer) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		k.buf = make([]byte, max(1, k.cfg.MaxBuf))
		k.read(c)
	case *resume:
		k.read(c)
	case *streamactor.RecvResult:
		k.onRecv(c, m)
	case *streamactor.CloseResult:
		if !k.rep.Aborted {
			k.rep.FinishErr = m.Err
			k.rep.Finished = m.Err == nil
		}
		k.done(c)
	case *awaitDone:
		if k.rep.Done {
			c.Respond(&workDone{})
		} else {
			k.waiters = append(k.waiters, c.Sender())
		}
	case *awaitStall:
		if k.rep.Stalled || k.rep.Done {
			c.Respond(&workDone{})
		} else {
			k.stallWaiters = append(k.stallWaiters, c.Sender())
		}
	}
}

func (k *consumer) read(c actor.Context) {
	got := k.rep.Got.Size()
	if k.cfg.AbortAt >= 0 && got >= k.cfg.AbortAt {
		k.rep.Aborted = true
		k.st.AbortAsync(c, nil, nil)
		return
	}
	if k.cfg.StallAt >= 0 && got >= k.cfg.StallAt && !k.rep.Stalled {
		k.rep.Stalled = true
		k.tell(c, &k.stallWaiters)
		actors.After(c, k.cfg.StallFor, &resume{})
		return
	}
	var flags streamactor.RecvFlag
	if k.cfg.StopAtHole {
		flags = streamactor.RecvStopAtHole
	}
	n := 1 + actors.FromContext(c).Rand().IntN(len(k.buf))
	k.st.RecvAsync(c, k.buf[:n], flags, consumerTag{})
}

func (k *consumer) onRecv(c actor.Context, m *streamactor.RecvResult) {
	switch {
	case m.Err == io.EOF:
		k.rep.EOF = true
		k.st.FinishAsync(c, nil)
		return
	case errors.Is(m.Err, streamactor.ErrHole):
		k.st.RecvHoleAsync(c, nil)
		return
	case errors.Is(m.Err, streamactor.ErrWouldBlock):
		actors.After(c, retryDelay, &resume{}) // non-blocking stream: try again later
		return
	case m.Err != nil:
		k.rep.RecvErr = m.Err
		k.done(c)
		return
	}
	if m.Buf == nil { // a RecvHole result
		k.rep.Got.AddHole(m.Hole)
	} else {
		k.rep.Got.AddData(m.Buf[:m.N])
	}
	if k.cfg.StallMax > 0 {
		d := time.Duration(actors.FromContext(c).Rand().Int64N(int64(k.cfg.StallMax) + 1))
		actors.After(c, d, &resume{})
		return
	}
	k.read(c)
}

func (k *consumer) done(c actor.Context) {
	k.rep.Done = true
	k.tell(c, &k.waiters)
	k.tell(c, &k.stallWaiters)
}
