package props

import (
	"bytes"
	"context"
	"io"
	"time"

	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/streamactor"
	"github.com/pkg/errors"
	"pgregory.net/rapid"
)

// ActorMachine is a rapid state machine over a stream's actors inside the
// simulator: rapid draws the World's seed (so the interleaving of every
// step), the configuration and the calls. The test's goroutine drives one
// end of a Pipe through the blocking face; a producer or consumer actor
// drives the other end through the message face. After every call it
// checks the invariants that hold at once (window, would-block, event
// truthfulness, bad input); at the end it completes the transfer and
// checks content, the Finish sync point, abort semantics, and that the
// callback's free ran exactly once, after its last invocation.
type ActorMachine struct {
	w        *sim.World
	cfg      streamactor.Config
	producer bool // the test goroutine sends; a consumer actor receives
	mine     *streamactor.Stream
	other    *streamactor.Stream

	prod     *ProducerReport
	cons     *ConsumerReport
	sent     Extents // producer role: what Send/SendHole accepted
	got      Extents // consumer role: what Recv/RecvHole returned
	eof      bool
	finished bool // our Finish returned nil
	closed   bool // we finished or aborted our end

	cb     bool
	events []streamactor.Event // delivered since the last call started
	regs   []*callbackReg
}

// callbackReg records one registration's invocations and frees.
type callbackReg struct {
	invoked, freed int
	afterFree      bool
}

// CheckActorMachine runs one ActorMachine.
func CheckActorMachine(t *rapid.T) {
	m := &ActorMachine{}
	m.init(t)
	t.Repeat(rapid.StateMachineActions(m))
	m.finish(t)
}

var bg = context.Background()

func (m *ActorMachine) init(t *rapid.T) {
	seed := rapid.Uint64().Draw(t, "seed")
	m.w = sim.New(seed)
	sys := m.w.MustNode("n1")
	maxSeg := rapid.SampledFrom([]int{512, 4096}).Draw(t, "maxSegment")
	window := int64(maxSeg+streamactor.SegmentOverhead) * rapid.Int64Range(1, 4).Draw(t, "windowSegments")
	opts := []streamactor.Option{streamactor.MaxSegment(maxSeg), streamactor.Window(window)}
	sparse := rapid.Bool().Draw(t, "sparse")
	if sparse {
		opts = append(opts, streamactor.Sparse())
	}
	if rapid.Bool().Draw(t, "nonBlock") {
		opts = append(opts, streamactor.NonBlock())
	}
	w, r, err := streamactor.Pipe(sys, opts...)
	if err != nil {
		t.Fatalf("pipe: %v", err)
	}
	m.cfg = w.Config()
	m.producer = rapid.Bool().Draw(t, "testSends")
	if m.producer {
		m.mine, m.other = w, r
		m.cons = &ConsumerReport{}
		ccfg := ConsumerConfig{MaxBuf: rapid.IntRange(1, 3*maxSeg).Draw(t, "consumerBuf"), StopAtHole: sparse,
			StallMax: time.Duration(rapid.IntRange(0, 100).Draw(t, "consumerStallUs")) * time.Microsecond, StallAt: -1, AbortAt: -1}
		if _, err := sys.Spawn(NewConsumer(r, ccfg, m.cons)); err != nil {
			t.Fatal(err)
		}
	} else {
		m.mine, m.other = r, w
		m.prod = &ProducerReport{}
		gen := ExtentGen{Max: 8, MaxData: 3 * maxSeg, MaxHole: 20000, HoleRatio: 0.4}
		if !sparse {
			gen.HoleRatio = 0
		}
		payload := drawExtents(t, gen)
		pcfg := ProducerConfig{Payload: payload, MaxChunk: rapid.IntRange(1, 3*maxSeg).Draw(t, "producerChunk"),
			StallMax: time.Duration(rapid.IntRange(0, 100).Draw(t, "producerStallUs")) * time.Microsecond, AbortAt: -1}
		if oneIn(t, "producerAborts", 5) {
			pcfg.AbortAt = rapid.Int64Range(0, payload.Size()).Draw(t, "abortAt")
		}
		if _, err := sys.Spawn(NewProducer(w, pcfg, m.prod)); err != nil {
			t.Fatal(err)
		}
	}
}

// drawExtents draws a payload with rapid (so that it shrinks).
func drawExtents(t *rapid.T, g ExtentGen) Extents {
	n := rapid.IntRange(0, g.Max).Draw(t, "extents")
	var x Extents
	for i := 0; i < n; i++ {
		if g.HoleRatio > 0 && rapid.Float64Range(0, 1).Draw(t, "holeDraw") < g.HoleRatio {
			x = append(x, Extent{Hole: true, Len: rapid.Int64Range(1, g.MaxHole).Draw(t, "holeLen")})
			continue
		}
		x = append(x, Extent{Data: rapid.SliceOfN(rapid.Byte(), 1, g.MaxData).Draw(t, "data")})
	}
	return x
}

// call marks the start of a call: events seen before it are checked by
// the caller, then forgotten.
func (m *ActorMachine) saw(ev streamactor.Event) bool {
	for _, e := range m.events {
		if e&ev != 0 {
			return true
		}
	}
	return false
}

// Check holds after every action.
func (m *ActorMachine) Check(t *rapid.T) {
	if err := m.w.Err(); err != nil {
		t.Fatalf("world: %v", err)
	}
	for i, r := range m.regs {
		if r.afterFree || r.freed > 1 {
			t.Fatalf("S23: registration %d: freed %d times, callback after free: %v", i, r.freed, r.afterFree)
		}
	}
	end := m.other
	if !m.producer {
		end = m.mine
	}
	if m.closed || m.finished {
		return
	}
	st, err := end.Stats(bg)
	if err != nil {
		if errors.Is(err, streamactor.ErrClosed) {
			return
		}
		t.Fatalf("stats: %v", err)
	}
	if st.Queued > m.cfg.Window || st.Outstanding > m.cfg.Window {
		t.Fatalf("S30: the receiving end holds %d (outstanding %d), window %d", st.Queued, st.Outstanding, m.cfg.Window)
	}
}

// Step runs the World a little.
func (m *ActorMachine) Step(t *rapid.T) {
	n := rapid.Int64Range(1, 200).Draw(t, "steps")
	if _, err := m.w.Run(sim.MaxSteps(m.w.Steps() + n)); err != nil {
		t.Fatal(err)
	}
}

// Callback registers, updates or removes the event callback on our end.
func (m *ActorMachine) Callback(t *rapid.T) {
	if m.closed || m.finished {
		t.Skip("closed")
	}
	mask := streamactor.EventReadable
	if m.producer {
		mask = streamactor.EventWritable
	}
	switch {
	case !m.cb:
		m.addCallback(t, mask)
	case rapid.Bool().Draw(t, "remove"):
		if err := m.mine.EventRemoveCallback(); err != nil {
			t.Fatalf("remove callback: %v", err)
		}
		m.cb = false
		if err := m.mine.EventRemoveCallback(); !errors.Is(err, streamactor.ErrNoCallback) {
			t.Fatalf("S22: remove with no callback: %v", err)
		}
		if err := m.mine.EventUpdateCallback(mask); !errors.Is(err, streamactor.ErrNoCallback) {
			t.Fatalf("S22: update with no callback: %v", err)
		}
	default:
		if err := m.mine.EventUpdateCallback(mask | streamactor.EventHangup); err != nil {
			t.Fatalf("S22: update with a callback: %v", err)
		}
	}
}

// addCallback registers a callback recording the events on our end.
func (m *ActorMachine) addCallback(t *rapid.T, mask streamactor.Event) {
	reg := &callbackReg{}
	err := m.mine.EventAddCallback(mask, func(_ *streamactor.Stream, ev streamactor.Event) {
		if reg.freed > 0 {
			reg.afterFree = true
		}
		reg.invoked++
		m.events = append(m.events, ev)
	}, func() { reg.freed++ })
	if err != nil {
		t.Fatalf("add callback: %v", err)
	}
	m.regs = append(m.regs, reg)
	m.cb = true
	if err := m.mine.EventAddCallback(mask, func(*streamactor.Stream, streamactor.Event) {}, nil); !errors.Is(err, streamactor.ErrCallbackRegistered) {
		t.Fatalf("S22: a second callback: %v", err)
	}
}

// Send sends data (producer role).
func (m *ActorMachine) Send(t *rapid.T) {
	if !m.producer || m.closed {
		t.Skip("not the sender")
	}
	p := rapid.SliceOfN(rapid.Byte(), 0, 3*m.cfg.MaxSegment).Draw(t, "data")
	writable := m.saw(streamactor.EventWritable)
	m.events = m.events[:0]
	n, err := m.mine.Send(bg, p)
	m.sent.AddData(p[:n])
	switch {
	case errors.Is(err, streamactor.ErrWouldBlock):
		if !m.cfg.NonBlock {
			t.Fatalf("S12: a blocking Send returned ErrWouldBlock")
		}
		if writable && len(p) > 0 && n == 0 {
			t.Fatalf("S25: WRITABLE was reported, then Send would block")
		}
	case err != nil:
		t.Fatalf("send: %v", err)
	case n != len(p) && !m.cfg.NonBlock:
		t.Fatalf("S9: a blocking Send took %d of %d", n, len(p))
	}
}

// SendHole sends a hole, or a bad one.
func (m *ActorMachine) SendHole(t *rapid.T) {
	if !m.producer || m.closed {
		t.Skip("not the sender")
	}
	n := rapid.Int64Range(1, 50000).Draw(t, "hole")
	if oneIn(t, "badHole", 8) {
		n = rapid.Int64Range(-1, 0).Draw(t, "badHoleLen")
	}
	m.events = m.events[:0]
	err := m.mine.SendHole(bg, n, 0)
	switch {
	case !m.cfg.Sparse:
		if !errors.Is(err, streamactor.ErrNotSparse) {
			t.Fatalf("S21: hole on a non-sparse stream: %v", err)
		}
	case n <= 0:
		if !errors.Is(err, streamactor.ErrBadHole) {
			t.Fatalf("S8: hole of %d: %v", n, err)
		}
	case errors.Is(err, streamactor.ErrWouldBlock) && m.cfg.NonBlock:
	case err != nil:
		t.Fatalf("send hole: %v", err)
	default:
		m.sent.AddHole(n)
	}
}

// Recv receives (consumer role).
func (m *ActorMachine) Recv(t *rapid.T) {
	if m.producer || m.closed || m.finished {
		t.Skip("not the receiver")
	}
	buf := make([]byte, rapid.IntRange(0, 2*m.cfg.MaxSegment).Draw(t, "buf"))
	var flags streamactor.RecvFlag
	if m.cfg.Sparse {
		flags = streamactor.RecvStopAtHole
	}
	readable := m.saw(streamactor.EventReadable)
	m.events = m.events[:0]
	n, err := m.mine.RecvFlags(bg, buf, flags)
	switch {
	case err == nil:
		if len(buf) > 0 && n == 0 {
			t.Fatalf("S9: recv returned 0 bytes and no error")
		}
		if m.eof && n > 0 {
			t.Fatalf("S10: data after EOF")
		}
		m.got.AddData(buf[:n])
	case err == io.EOF:
		m.eof = true
	case errors.Is(err, streamactor.ErrHole):
		h, err := m.mine.RecvHole(bg, 0)
		if errors.Is(err, streamactor.ErrAborted) {
			m.closed = true // the producer aborted in between
			return
		}
		if err != nil || h <= 0 {
			t.Fatalf("S5: after ErrHole, RecvHole returned %d, %v", h, err)
		}
		m.got.AddHole(h)
		// S6: an immediate second RecvHole never returns the same hole
		// again (it may find another one); the content check at the end
		// catches a duplicate.
		h2, err := m.mine.RecvHole(bg, 0)
		switch {
		case errors.Is(err, streamactor.ErrAborted):
			m.closed = true // the producer aborted in between (as above)
		case err != nil:
			t.Fatalf("S6: a second RecvHole: %v", err)
		case h2 > 0:
			m.got.AddHole(h2)
		}
	case errors.Is(err, streamactor.ErrWouldBlock):
		if !m.cfg.NonBlock {
			t.Fatalf("S12: a blocking Recv returned ErrWouldBlock")
		}
		if readable && len(buf) > 0 {
			t.Fatalf("S25: READABLE was reported, then Recv would block")
		}
	case errors.Is(err, streamactor.ErrAborted):
		m.closed = true
	default:
		t.Fatalf("recv: %v", err)
	}
}

// BadCalls makes calls that must fail and change nothing.
func (m *ActorMachine) BadCalls(t *rapid.T) {
	if m.closed || m.finished {
		t.Skip("closed")
	}
	m.events = m.events[:0]
	if m.producer {
		if _, err := m.mine.Recv(bg, make([]byte, 4)); !errors.Is(err, streamactor.ErrDirection) {
			t.Fatalf("recv on the sending end: %v", err)
		}
		if err := m.mine.SendHole(bg, 5, 7); !errors.Is(err, streamactor.ErrBadFlags) {
			t.Fatalf("send hole with flags: %v", err)
		}
	} else {
		if _, err := m.mine.Send(bg, []byte("x")); !errors.Is(err, streamactor.ErrDirection) {
			t.Fatalf("send on the receiving end: %v", err)
		}
		if _, err := m.mine.RecvFlags(bg, make([]byte, 4), 4); !errors.Is(err, streamactor.ErrBadFlags) {
			t.Fatalf("recv with bad flags: %v", err)
		}
		if !m.eof {
			// Finish before Recv said EOF: refused, even when everything
			// already arrived (libvirt: finish once Recv returned EOF).
			switch err := m.mine.Finish(bg); {
			case err == nil:
				t.Fatalf("the receiver's Finish succeeded before any Recv returned io.EOF")
			case errors.Is(err, streamactor.ErrNotAtEOF):
			case errors.Is(err, streamactor.ErrAborted):
				m.closed = true
			default:
				t.Fatalf("finish before EOF: %v", err)
			}
		}
	}
	if err := m.mine.EventUpdateCallback(64); !errors.Is(err, streamactor.ErrBadFlags) {
		t.Fatalf("update with unknown events: %v", err)
	}
}

// Abort aborts our end (rarely: after it every other call is skipped).
func (m *ActorMachine) Abort(t *rapid.T) {
	if m.closed || m.finished || !oneIn(t, "abortChance", 16) {
		t.Skip("not now")
	}
	if err := m.mine.Abort(bg); err != nil {
		t.Fatalf("S16: abort: %v", err)
	}
	if err := m.mine.Abort(bg); err != nil {
		t.Fatalf("S16: second abort: %v", err)
	}
	m.closed = true
	// S15: nothing moves after an abort: ErrClosed, or the error the
	// peer latched before.
	var n int
	var err error
	if m.producer {
		n, err = m.mine.Send(bg, []byte("x"))
	} else {
		n, err = m.mine.Recv(bg, make([]byte, 4))
	}
	if n != 0 || !(errors.Is(err, streamactor.ErrClosed) || errors.Is(err, streamactor.ErrAborted)) {
		t.Fatalf("S15: a call after abort: %d, %v", n, err)
	}
}

// finish completes the transfer and checks the end state.
func (m *ActorMachine) finish(t *rapid.T) {
	aborted := m.closed
	if m.producer {
		if !aborted {
			if err := m.mine.Finish(bg); err != nil {
				t.Fatalf("S14: finish: %v", err)
			}
		}
		m.await(t, func() bool { return m.cons.Done })
		if !aborted {
			if !m.cons.Finished || !m.cons.EOF {
				t.Fatalf("S14: the sender finished but the consumer did not (EOF %v, %v)", m.cons.EOF, m.cons.FinishErr)
			}
			if !m.same(m.sent, m.cons.Got) {
				t.Fatalf("S1/S2: the consumer got %v, sent %v: %s", m.cons.Got, m.sent, Diff(m.sent, m.cons.Got))
			}
		} else {
			if m.cons.EOF {
				t.Fatalf("S17: the consumer saw a clean end after the sender aborted")
			}
			if !m.same(m.sent.Prefix(m.cons.Got.Size()), m.cons.Got) {
				t.Fatalf("S1: the consumer got a non-prefix %v of %v", m.cons.Got, m.sent)
			}
		}
	} else {
		// The rest is read with a callback registered, so that every
		// READABLE it reports is checked against the next Recv (S25).
		if !m.cb && !m.closed && !m.eof {
			m.addCallback(t, streamactor.EventReadable)
		}
		for !m.closed && !m.eof {
			m.Recv(t)
			if m.cfg.NonBlock {
				// Let virtual time pass, or a retrying producer never runs.
				if _, err := m.w.Run(m.w.For(100 * time.Microsecond)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if m.eof && !m.closed {
			if !m.finished {
				if err := m.mine.Finish(bg); err != nil {
					t.Fatalf("finish at EOF: %v", err)
				}
			}
			m.await(t, func() bool { return m.prod.Done })
			if !m.prod.Finished || !m.same(m.prod.Sent, m.got) {
				t.Fatalf("S14/S1: producer finished %v (%v); got %v, sent %v", m.prod.Finished, m.prod.FinishErr, m.got, m.prod.Sent)
			}
			if m.prod.Aborted {
				t.Fatalf("S17: a clean EOF although the producer aborted")
			}
		} else {
			m.await(t, func() bool { return m.prod.Done })
			if !m.same(m.prod.Sent.Prefix(m.got.Size()), m.got) {
				t.Fatalf("S1: got a non-prefix %v of %v", m.got, m.prod.Sent)
			}
		}
	}
	if err := m.mine.Free(); err != nil {
		t.Fatalf("free: %v", err)
	}
	if err := m.mine.Free(); !errors.Is(err, streamactor.ErrFreed) {
		t.Fatalf("S26: a Free too many: %v", err)
	}
	if _, err := m.w.Run(); err != nil {
		t.Fatal(err)
	}
	for i, r := range m.regs {
		if r.freed != 1 || r.afterFree {
			t.Fatalf("S23: registration %d: free ran %d times; callback after free: %v", i, r.freed, r.afterFree)
		}
	}
	if err := m.w.Close(); err != nil {
		t.Fatal(err)
	}
}

func (m *ActorMachine) await(t *rapid.T, cond func() bool) {
	if _, err := m.w.Run(sim.UntilTrue(cond)); err != nil {
		t.Fatal(err)
	}
	if !cond() {
		t.Fatalf("the workload actor never finished (virtual time %v)", m.w.Now())
	}
}

func (m *ActorMachine) same(want, got Extents) bool {
	if m.cfg.Sparse {
		return want.Equal(got)
	}
	return want.Size() == got.Size() && bytes.Equal(want.Dense(), got.Dense())
}
