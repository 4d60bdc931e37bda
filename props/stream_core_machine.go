package props

import (
	"bytes"
	"fmt"
	"io"

	"github.com/actorio/actorio/streamactor"
	"github.com/pkg/errors"
	"pgregory.net/rapid"
)

// CoreMachine is a rapid state machine over two pure stream cores, a
// sending one (S) and a receiving one (R), joined by two FIFO links whose
// delivery rapid controls. It draws the configuration (sparse or not,
// window, segment size, blocking or not, lending), issues every call with
// good and bad arguments, and checks the invariants of research §4 (see
// StreamInvariants) after every step against the extent-list model.
// Run it with rapid.Check(t, CheckCoreMachine).
type CoreMachine struct {
	cfg            streamactor.Config
	sNB, rNB       bool
	borrow, strict bool

	s, r   *streamactor.Core
	sr, rs []any // links: S→R and R→S

	sendOp, recvOp, sFin, rFin *streamactor.Op

	sent, got   Extents // what left S (segments) and what R's consumer got
	sentEOF     bool
	gotEOF      bool
	sAborted    bool // S aborted (locally or by R)
	sAbortFirst bool // ... before emitting EOF
	holePending int64
	closes      [2]int
	sFinished   bool
	endDrawn    bool // end drew whether S aborts its parked Finish
	canary      string
	fuzzing     bool // under the fuzzer: see skip
}

// coreCanary plants a fault in the S→R link for the canary test, which
// proves that the machine's checks catch a broken stream: "dup" delivers
// a data segment twice, "drop" loses one, "flip" corrupts a byte, "swap"
// reorders two segments.
var coreCanary string

// CheckCoreMachine runs one CoreMachine, then ends its transfer (end).
func CheckCoreMachine(t *rapid.T) {
	m := &CoreMachine{canary: coreCanary}
	m.init(t)
	t.Repeat(rapid.StateMachineActions(m))
	m.end(t)
}

// CheckCoreMachineFuzz is CheckCoreMachine for the fuzzer
// (rapid.MakeFuzz): an action that cannot run now does nothing instead of
// asking rapid for another (see skip).
func CheckCoreMachineFuzz(t *rapid.T) {
	m := &CoreMachine{canary: coreCanary, fuzzing: true}
	m.init(t)
	t.Repeat(rapid.StateMachineActions(m))
	m.end(t)
}

// skip ends an action that cannot run now. Under rapid's own generator it
// asks for another action (t.Skip). Under the fuzzer, whose input may draw
// the same impossible action a hundred times in a row (rapid then fails
// the run: "can't find a valid (non-skipped) action"), the action does
// nothing instead; the caller returns.
func (m *CoreMachine) skip(t *rapid.T, why string) {
	if !m.fuzzing {
		t.Skip(why)
	}
}

// recvFlags are the flags of a Recv: STOP_AT_HOLE in strict runs.
func (m *CoreMachine) recvFlags() uint32 {
	if m.strict {
		return uint32(streamactor.RecvStopAtHole)
	}
	return 0
}

func (m *CoreMachine) init(t *rapid.T) {
	maxSeg := rapid.SampledFrom([]int{512, 1024, 4096}).Draw(t, "maxSegment")
	cost := int64(maxSeg + streamactor.SegmentOverhead)
	window := rapid.Int64Range(cost, 5*cost).Draw(t, "window")
	sparse := rapid.Bool().Draw(t, "sparse")
	var err error
	m.cfg, err = streamactor.NewConfig(streamactor.MaxSegment(maxSeg), streamactor.Window(window), func(c *streamactor.Config) error { c.Sparse = sparse; return nil })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	m.sNB = rapid.Bool().Draw(t, "senderNonBlock")
	m.rNB = rapid.Bool().Draw(t, "receiverNonBlock")
	m.borrow = rapid.Bool().Draw(t, "borrow")
	m.strict = sparse && rapid.Bool().Draw(t, "stopAtHoles")
	m.s, m.r = streamactor.NewCore(m.cfg), streamactor.NewCore(m.cfg)
	if err := m.s.Attach(streamactor.RoleSender); err != nil {
		t.Fatal(err)
	}
	if err := m.r.Attach(streamactor.RoleReceiver); err != nil {
		t.Fatal(err)
	}
	if err := m.r.Attach(streamactor.RoleReceiver); !errors.Is(err, streamactor.ErrAttached) {
		t.Fatalf("attach twice: %v", err)
	}
	m.drain(t)
}

// oneIn reports true about once in n draws. rapid draws the ends of a
// range far more often than the rest (IntRange(0, 15) is 0 in about one
// draw in eight), so the test is for a value in the middle.
func oneIn(t *rapid.T, label string, n int) bool {
	return rapid.IntRange(0, n-1).Draw(t, label) == n/2
}

// drain moves both cores' output into the links and handles completions.
func (m *CoreMachine) drain(t *rapid.T) {
	for _, side := range []struct {
		c    *streamactor.Core
		link *[]any
		idx  int
	}{{m.s, &m.sr, 0}, {m.r, &m.rs, 1}} {
		out := side.c.Output()
		for _, msg := range out.ToPeer {
			if side.idx == 0 {
				m.onSenderEmit(t, msg)
			}
			if _, ok := msg.(*streamactor.Close); ok {
				m.closes[side.idx]++
			}
			*side.link = append(*side.link, msg)
		}
		for _, op := range out.Completed {
			m.completed(t, op)
		}
		side.c.ResetOutput()
	}
}

// onSenderEmit records what leaves S: the ground truth of "sent".
func (m *CoreMachine) onSenderEmit(t *rapid.T, msg any) {
	seg, ok := msg.(*streamactor.Segment)
	if !ok {
		return
	}
	switch seg.Kind {
	case streamactor.SegData:
		m.sent.AddData(seg.Data)
	case streamactor.SegHole:
		if !m.cfg.Sparse {
			t.Fatalf("S21: hole segment on a non-sparse stream")
		}
		if seg.Hole <= 0 {
			t.Fatalf("S8: hole segment of %d", seg.Hole)
		}
		m.sent.AddHole(seg.Hole)
	case streamactor.SegEOF:
		m.sentEOF = true
	}
}

func (m *CoreMachine) completed(t *rapid.T, op *streamactor.Op) {
	switch op {
	case m.sendOp:
		m.sendOp = nil
		if op.N < 0 || op.N > len(op.Buf) {
			t.Fatalf("S9: send of %d returned %d", len(op.Buf), op.N)
		}
		if errors.Is(op.Err, streamactor.ErrWouldBlock) && !op.NonBlock {
			t.Fatalf("S12: a blocking send returned ErrWouldBlock")
		}
	case m.recvOp:
		m.recvOp = nil
		m.recvDone(t, op)
	case m.sFin:
		m.sFin = nil
		if op.Err == nil {
			m.sFinished = true
			if !m.same(m.sent, m.got) || m.r.State() != streamactor.StateFinished {
				t.Fatalf("S14: finish succeeded but the receiver got %v of %v (state %v)", m.got, m.sent, m.r.State())
			}
		}
	case m.rFin:
		m.rFin = nil
	}
}

func (m *CoreMachine) recvDone(t *rapid.T, op *streamactor.Op) {
	if op.Kind == streamactor.OpRecvHole {
		if op.Err == nil && op.Hole < 0 {
			t.Fatalf("S8: RecvHole returned %d", op.Hole)
		}
		if m.holePending > 0 && op.Err == nil && op.Hole != m.holePending {
			t.Fatalf("S5: ErrHole announced a hole of %d, RecvHole returned %d", m.holePending, op.Hole)
		}
		m.holePending = 0
		if op.Err == nil {
			m.got.AddHole(op.Hole)
		}
		return
	}
	m.holePending = 0
	switch {
	case op.Err == nil:
		if len(op.Buf) > 0 && (op.N <= 0 || op.N > len(op.Buf)) {
			t.Fatalf("S9: recv into %d returned %d", len(op.Buf), op.N)
		}
		if m.gotEOF && op.N > 0 {
			t.Fatalf("S10: data after the end of the stream")
		}
		if m.strict {
			// S7: a read never spans a hole: what it got is data in the
			// model, all of it.
			at := m.got.Size()
			for _, e := range m.sent.Prefix(at + int64(op.N))[len(m.sent.Prefix(at)):] {
				if e.Hole {
					t.Fatalf("S7: a read of %d at %d spans a hole", op.N, at)
				}
			}
		}
		m.got.AddData(op.Buf[:op.N])
	case op.Err == io.EOF:
		if !m.sentEOF || m.got.Size() != m.sent.Size() {
			t.Fatalf("S11: EOF after %d of %d bytes (EOF sent: %v)", m.got.Size(), m.sent.Size(), m.sentEOF)
		}
		if m.sAbortFirst {
			t.Fatalf("S17: clean EOF after the sender aborted")
		}
		m.gotEOF = true
	case errors.Is(op.Err, streamactor.ErrHole):
		if op.N != 0 {
			t.Fatalf("S5: ErrHole with %d bytes", op.N)
		}
		seg, used := m.r.HeadSegment()
		if seg == nil || seg.Kind != streamactor.SegHole || seg.Hole-used <= 0 {
			t.Fatalf("S5: ErrHole but the head is %v", seg)
		}
		m.holePending = seg.Hole - used
	case errors.Is(op.Err, streamactor.ErrWouldBlock):
		if !op.NonBlock {
			t.Fatalf("S12: a blocking recv returned ErrWouldBlock")
		}
	}
}

// same compares payloads: as extents when every Recv stopped at holes,
// as dense bytes otherwise (holes then arrive as zeros).
func (m *CoreMachine) same(want, got Extents) bool {
	if m.strict {
		return want.Equal(got)
	}
	return want.Size() == got.Size() && bytes.Equal(want.Dense(), got.Dense())
}

// Check is run after every action: the invariants that hold at all times.
func (m *CoreMachine) Check(t *rapid.T) {
	st := m.r.Stats()
	if st.Queued > m.cfg.Window || st.Outstanding > m.cfg.Window {
		t.Fatalf("S30: receiver holds %d (outstanding %d), window %d", st.Queued, st.Outstanding, m.cfg.Window)
	}
	// S1–S4, S20, S31: what R's consumer got is a prefix of what S sent.
	want := m.sent.Prefix(m.got.Size())
	if m.strict {
		if d := Diff(want, m.got); d != "" {
			t.Fatalf("S2/S3: received extents differ from the sent prefix: %s", d)
		}
	} else if !bytes.Equal(want.Dense(), m.got.Dense()) {
		t.Fatalf("S1: received bytes differ from the sent prefix: %s", Diff(want, m.got))
	}
	if m.got.HoleBytes() > m.sent.HoleBytes() || m.got.DataBytes() > m.sent.Size() {
		t.Fatalf("S4: got %d data and %d hole bytes of %d and %d", m.got.DataBytes(), m.got.HoleBytes(), m.sent.DataBytes(), m.sent.HoleBytes())
	}
	for _, c := range []*streamactor.Core{m.s, m.r} {
		if errors.Is(c.Err(), streamactor.ErrProtocol) {
			t.Fatalf("S20: protocol error between two correct ends (gap, duplicate or credit overrun): %v", c.Err())
		}
	}
	if m.closes[0] > 1 || m.closes[1] > 1 {
		t.Fatalf("S18: Close messages: sender %d, receiver %d", m.closes[0], m.closes[1])
	}
}

// DeliverToReceiver delivers the next message from S to R.
func (m *CoreMachine) DeliverToReceiver(t *rapid.T) {
	if len(m.sr) == 0 {
		m.skip(t, "nothing in flight to R")
		return
	}
	msg := m.sr[0]
	m.sr = m.sr[1:]
	if seg, ok := msg.(*streamactor.Segment); ok && m.canary != "" && seg.Kind == streamactor.SegData && !seg.Borrowed {
		switch m.canary {
		case "dup":
			cp := *seg
			cp.Data = append([]byte(nil), seg.Data...)
			m.sr = append([]any{&cp}, m.sr...)
		case "drop":
			return
		case "flip":
			seg.Data[0] ^= 0x40
		case "swap":
			if len(m.sr) > 0 {
				if next, ok := m.sr[0].(*streamactor.Segment); ok {
					m.sr[0], msg = seg, next
				}
			}
		}
	}
	closing := m.r.State() == streamactor.StateOpen || m.r.State() == streamactor.StateEOF
	if c, ok := msg.(*streamactor.Close); ok && !c.Finished && !m.sentEOF {
		m.sAbortFirst = true
	}
	m.r.Deliver(msg)
	m.drain(t)
	if c, ok := msg.(*streamactor.Close); ok && !c.Finished && closing {
		m.latched(t, m.r, &streamactor.Op{Kind: streamactor.OpRecv, Buf: make([]byte, 8)}, &streamactor.Op{Kind: streamactor.OpRecvHole})
	}
}

// latched checks S13 on end c, which its peer just aborted: the next
// call of every data or close kind fails with the peer's error (and
// changes nothing).
func (m *CoreMachine) latched(t *rapid.T, c *streamactor.Core, data, hole *streamactor.Op) {
	before := c.Stats()
	for _, op := range []*streamactor.Op{data, hole, {Kind: streamactor.OpFinish}} {
		if op.Kind == hole.Kind && !m.cfg.Sparse {
			continue
		}
		c.Submit(op)
		if !op.Done || !errors.Is(op.Err, streamactor.ErrAborted) || op.N != 0 || op.Hole != 0 {
			t.Fatalf("S13: after the peer aborted, %v returned %d, %v (done %v), want ErrAborted", op.Kind, op.N, op.Err, op.Done)
		}
		c.ResetOutput()
	}
	if after := c.Stats(); fmt.Sprint(before) != fmt.Sprint(after) {
		t.Fatalf("S13: calls on an end its peer aborted changed it: %+v → %+v", before, after)
	}
}

// DeliverToSender delivers the next message from R to S.
func (m *CoreMachine) DeliverToSender(t *rapid.T) {
	if len(m.rs) == 0 {
		m.skip(t, "nothing in flight to S")
		return
	}
	msg := m.rs[0]
	m.rs = m.rs[1:]
	closing := m.s.State() == streamactor.StateOpen || m.s.State() == streamactor.StateEOF
	m.s.Deliver(msg)
	if m.s.State() == streamactor.StateAborted {
		m.sAborted = true
	}
	m.drain(t)
	if c, ok := msg.(*streamactor.Close); ok && !c.Finished && closing {
		m.latched(t, m.s, &streamactor.Op{Kind: streamactor.OpSend, Buf: []byte("x")}, &streamactor.Op{Kind: streamactor.OpSendHole, Len: 5})
	}
}

// Send sends random data.
func (m *CoreMachine) Send(t *rapid.T) {
	if m.sendOp != nil {
		m.skip(t, "a send is pending")
		return
	}
	p := rapid.SliceOfN(rapid.Byte(), 0, 3*m.cfg.MaxSegment).Draw(t, "data")
	op := &streamactor.Op{Kind: streamactor.OpSend, Buf: p, NonBlock: m.sNB, Borrow: m.borrow}
	m.sendOp = op
	open := m.s.State() == streamactor.StateOpen && m.s.Err() == nil
	m.submit(t, m.s, op, func(before streamactor.Stats) {
		if len(p) == 0 && open && (!op.Done || op.Err != nil || op.N != 0 || m.s.Stats().SentData != before.SentData) {
			t.Fatalf("S32: a zero-length send did something: %d %v", op.N, op.Err)
		}
	})
}

// SendHole sends a hole, sometimes a bad one.
func (m *CoreMachine) SendHole(t *rapid.T) {
	if m.sendOp != nil {
		m.skip(t, "a send is pending")
		return
	}
	n := rapid.Int64Range(1, 3*int64(m.cfg.MaxSegment)).Draw(t, "hole")
	if oneIn(t, "badHole", 8) {
		n = rapid.Int64Range(-2, 0).Draw(t, "badHoleLen")
	}
	op := &streamactor.Op{Kind: streamactor.OpSendHole, Len: n, NonBlock: m.sNB}
	m.sendOp = op
	m.submit(t, m.s, op, func(before streamactor.Stats) {
		if !op.Done {
			return
		}
		switch {
		case !m.cfg.Sparse && m.s.State() == streamactor.StateOpen && m.s.Err() == nil:
			if !errors.Is(op.Err, streamactor.ErrNotSparse) {
				t.Fatalf("S21: hole on a non-sparse stream: %v", op.Err)
			}
		case n <= 0 && m.s.State() == streamactor.StateOpen && m.s.Err() == nil:
			if !errors.Is(op.Err, streamactor.ErrBadHole) {
				t.Fatalf("S8: hole of %d: %v", n, op.Err)
			}
		}
		if op.Err != nil && !errors.Is(op.Err, streamactor.ErrWouldBlock) && m.s.Stats().SentHoles != before.SentHoles {
			t.Fatalf("bad input changed the stream")
		}
	})
}

// Recv receives with a random buffer and flags.
func (m *CoreMachine) Recv(t *rapid.T) {
	if m.recvOp != nil {
		m.skip(t, "a recv is pending")
		return
	}
	size := rapid.IntRange(0, 2*m.cfg.MaxSegment).Draw(t, "buf")
	flags := m.recvFlags()
	if !m.strict && m.cfg.Sparse && rapid.Bool().Draw(t, "stopAtHole") {
		flags = uint32(streamactor.RecvStopAtHole)
	}
	op := &streamactor.Op{Kind: streamactor.OpRecv, Buf: make([]byte, size), Flags: flags, NonBlock: m.rNB}
	m.recvOp = op
	m.submit(t, m.r, op, func(before streamactor.Stats) {
		if errors.Is(op.Err, streamactor.ErrWouldBlock) {
			after := m.r.Stats()
			if before.Queued != after.Queued || before.RecvData != after.RecvData || after.Queued != 0 {
				t.Fatalf("S12: would-block with %d queued, or it changed the stream", after.Queued)
			}
		}
	})
}

// RecvHole takes a hole.
func (m *CoreMachine) RecvHole(t *rapid.T) {
	if m.recvOp != nil {
		m.skip(t, "a recv is pending")
		return
	}
	op := &streamactor.Op{Kind: streamactor.OpRecvHole, NonBlock: m.rNB}
	m.recvOp = op
	m.submit(t, m.r, op, func(streamactor.Stats) {
		if !m.cfg.Sparse && op.Done && m.r.State() == streamactor.StateOpen && m.r.Err() == nil && !errors.Is(op.Err, streamactor.ErrNotSparse) {
			t.Fatalf("S21: RecvHole on a non-sparse stream: %v", op.Err)
		}
		if op.Done && op.Err == nil && op.Hole > 0 {
			// S6: the hole is gone: at once, another RecvHole does not
			// return it again (it may find a different, unmerged one).
			if seg, used := m.r.HeadSegment(); seg != nil && seg.Kind == streamactor.SegHole && seg.Hole-used == op.Hole && m.sent.HoleBytes() < m.got.HoleBytes()+op.Hole {
				t.Fatalf("S6: the same hole is still at the head")
			}
		}
	})
}

// BadCalls makes calls that must fail without changing anything.
func (m *CoreMachine) BadCalls(t *rapid.T) {
	before := [2]streamactor.Stats{m.s.Stats(), m.r.Stats()}
	calls := []struct {
		c    *streamactor.Core
		op   *streamactor.Op
		want error
	}{
		{m.r, &streamactor.Op{Kind: streamactor.OpSend, Buf: []byte("x")}, streamactor.ErrDirection},
		{m.s, &streamactor.Op{Kind: streamactor.OpRecv, Buf: make([]byte, 4)}, streamactor.ErrDirection},
		{m.r, &streamactor.Op{Kind: streamactor.OpRecv, Buf: make([]byte, 4), Flags: 2}, streamactor.ErrBadFlags},
		{m.r, &streamactor.Op{Kind: streamactor.OpRecvHole, Flags: 1}, streamactor.ErrBadFlags},
		{m.s, &streamactor.Op{Kind: streamactor.OpSendHole, Len: 5, Flags: 1}, streamactor.ErrBadFlags},
	}
	for _, c := range calls {
		c.c.Submit(c.op)
		if !c.op.Done || !errors.Is(c.op.Err, c.want) {
			t.Fatalf("%v: want %v, got done=%v %v", c.op.Kind, c.want, c.op.Done, c.op.Err)
		}
		c.c.ResetOutput()
	}
	if m.sendOp == nil {
		// A second pending send is ErrBusy only while one is parked.
	} else if op := (&streamactor.Op{Kind: streamactor.OpSend, Buf: []byte("y")}); true {
		m.s.Submit(op)
		if m.s.State() == streamactor.StateOpen && m.s.Err() == nil && !errors.Is(op.Err, streamactor.ErrBusy) {
			t.Fatalf("second pending send: %v", op.Err)
		}
		m.s.ResetOutput()
	}
	after := [2]streamactor.Stats{m.s.Stats(), m.r.Stats()}
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Fatalf("bad calls changed the stream: %+v → %+v", before, after)
	}
}

// FinishSender ends the stream from S.
func (m *CoreMachine) FinishSender(t *rapid.T) {
	if m.sendOp != nil || m.sFin != nil {
		m.skip(t, "send or finish pending")
		return
	}
	// Rarely: a finished sender sends nothing more (end finishes it).
	if !oneIn(t, "finishChance", 16) {
		m.skip(t, "not yet")
		return
	}
	m.submitFinish(t)
}

func (m *CoreMachine) submitFinish(t *rapid.T) {
	op := &streamactor.Op{Kind: streamactor.OpFinish}
	m.sFin = op
	wasFinal := m.s.State() == streamactor.StateFinished || m.s.State() == streamactor.StateAborted
	m.submit(t, m.s, op, nil)
	if wasFinal && (!op.Done || !errors.Is(op.Err, streamactor.ErrClosed) && m.s.Err() == nil) {
		t.Fatalf("S15: finish after close: %v", op.Err)
	}
}

// FinishReceiver confirms the end at R.
func (m *CoreMachine) FinishReceiver(t *rapid.T) {
	if m.recvOp != nil || m.rFin != nil {
		m.skip(t, "recv or finish pending")
		return
	}
	op := &streamactor.Op{Kind: streamactor.OpFinish}
	m.rFin = op
	atEOF := m.r.AtEOF()
	state := m.r.State()
	m.submit(t, m.r, op, nil)
	if !atEOF && state != streamactor.StateAborted && state != streamactor.StateFinished && m.r.Err() == nil {
		if !errors.Is(op.Err, streamactor.ErrNotAtEOF) || m.r.State() != state {
			t.Fatalf("finish before EOF: %v, state %v → %v", op.Err, state, m.r.State())
		}
	}
}

// Abort aborts one end (rarely: an aborted stream moves nothing more).
func (m *CoreMachine) Abort(t *rapid.T) {
	if !oneIn(t, "abortChance", 16) {
		m.skip(t, "not this time")
		return
	}
	c := m.s
	if rapid.Bool().Draw(t, "abortReceiver") {
		c = m.r
	}
	m.abort(t, c)
}

// abort aborts end c and checks S15, S16 and S18.
func (m *CoreMachine) abort(t *rapid.T, c *streamactor.Core) {
	state := c.State()
	parkedFinish := c == m.s && m.sFin != nil
	fin := m.sFin
	op := &streamactor.Op{Kind: streamactor.OpAbort}
	m.submit(t, c, op, nil)
	if parkedFinish && (!fin.Done || fin.Err == nil) {
		t.Fatalf("S18: Abort won over a pending Finish, but the Finish returned %v (done %v)", fin.Err, fin.Done)
	}
	if op.Err != nil {
		t.Fatalf("S16: abort returned %v", op.Err)
	}
	if (state == streamactor.StateFinished || state == streamactor.StateAborted) && c.State() != state {
		t.Fatalf("S16: abort changed a closed stream: %v → %v", state, c.State())
	}
	if c == m.s && state != streamactor.StateFinished {
		m.sAborted = true
	}
	// S15: after an abort, calls move nothing.
	probe := &streamactor.Op{Kind: streamactor.OpSend, Buf: []byte("z")}
	if c == m.r {
		probe = &streamactor.Op{Kind: streamactor.OpRecv, Buf: make([]byte, 8)}
	}
	if (c == m.s && m.sendOp == nil) || (c == m.r && m.recvOp == nil) {
		c.Submit(probe)
		if probe.Err == nil || probe.N != 0 {
			t.Fatalf("S15: %v after abort: %d %v", probe.Kind, probe.N, probe.Err)
		}
		c.ResetOutput()
	}
}

// submit runs op on c and drains; check runs right after.
func (m *CoreMachine) submit(t *rapid.T, c *streamactor.Core, op *streamactor.Op, check func(before streamactor.Stats)) {
	before := c.Stats()
	c.Submit(op)
	if check != nil {
		check(before)
	}
	if op.Done {
		// Completed at once: it is in the output; drain handles it.
	}
	m.drain(t)
}
