package props

import (
	"io"

	"github.com/actorio/actorio/streamactor"
	"pgregory.net/rapid"
)

// The end of a CoreMachine run: the transfer is driven to completion and
// the end-to-end invariants are checked.

// end completes the run's transfer: everything in flight is delivered, R
// reads until the end and finishes, S finishes. Unless an end aborted, S's
// Finish then returns nil and R's consumer got exactly what S sent, EOF
// last (S1–S4, S11, S14, S20); after an abort no clean EOF reached R's
// consumer (S17) and no Finish succeeded since (S14). The random steps
// alone rarely get that far: a Finish or an Abort ends the sending early.
func (m *CoreMachine) end(t *rapid.T) {
	for i := 0; ; i++ {
		if i == 100000 {
			t.Fatalf("S1/S14: the transfer does not end: S %v (send %v, finish %v), R %v (recv %v, finish %v), in flight %d and %d",
				m.s.State(), m.sendOp != nil, m.sFin != nil, m.r.State(), m.recvOp != nil, m.rFin != nil, len(m.sr), len(m.rs))
		}
		sOpen := m.s.State() == streamactor.StateOpen
		rDone := m.r.State() == streamactor.StateFinished || m.r.State() == streamactor.StateAborted
		switch {
		case len(m.sr) > 0:
			m.DeliverToReceiver(t)
		case len(m.rs) > 0:
			m.DeliverToSender(t)
		case m.sFin != nil && !m.endDrawn:
			// Sometimes S gives up on its parked Finish: the Abort wins
			// (S18), a second one changes nothing (S16).
			m.endDrawn = true
			if oneIn(t, "abortParkedFinish", 4) {
				m.abort(t, m.s)
				m.abort(t, m.s)
			}
		case sOpen && m.sendOp == nil && m.sFin == nil:
			m.submitFinish(t)
		case !rDone && m.gotEOF && m.recvOp == nil && m.rFin == nil:
			// S10: EOF is sticky.
			again := &streamactor.Op{Kind: streamactor.OpRecv, Buf: make([]byte, 8), Flags: m.recvFlags(), NonBlock: m.rNB}
			m.r.Submit(again)
			if again.Err != io.EOF || again.N != 0 {
				t.Fatalf("S10: a Recv after EOF returned %d, %v", again.N, again.Err)
			}
			m.r.ResetOutput()
			m.rFin = &streamactor.Op{Kind: streamactor.OpFinish}
			m.submit(t, m.r, m.rFin, nil)
		case !rDone && !m.gotEOF && m.recvOp == nil:
			m.recvOp = &streamactor.Op{Kind: streamactor.OpRecv, Buf: make([]byte, m.cfg.MaxSegment), Flags: m.recvFlags(), NonBlock: m.rNB}
			if m.holePending > 0 {
				m.recvOp = &streamactor.Op{Kind: streamactor.OpRecvHole, NonBlock: m.rNB}
			}
			m.submit(t, m.r, m.recvOp, nil)
		case m.sendOp != nil || m.recvOp != nil || m.sFin != nil || m.rFin != nil:
			t.Fatalf("S1/S14: the transfer is stuck (data or credit lost?): S %v (send %v, finish %v), R %v (recv %v, finish %v), nothing in flight",
				m.s.State(), m.sendOp != nil, m.sFin != nil, m.r.State(), m.recvOp != nil, m.rFin != nil)
		default:
			m.Check(t)
			m.ended(t)
			return
		}
		m.Check(t)
	}
}

// ended checks the end state of a transfer that end completed.
func (m *CoreMachine) ended(t *rapid.T) {
	if m.sAborted || m.s.State() == streamactor.StateAborted || m.r.State() == streamactor.StateAborted {
		if m.sAbortFirst && m.gotEOF {
			t.Fatalf("S17: a clean EOF reached the consumer after the sender aborted")
		}
		return
	}
	if !m.sFinished || m.s.State() != streamactor.StateFinished || m.r.State() != streamactor.StateFinished || !m.gotEOF {
		t.Fatalf("S14: neither end aborted, but S finished %v (%v), R %v, EOF %v", m.sFinished, m.s.State(), m.r.State(), m.gotEOF)
	}
	totals := !m.strict || (m.got.DataBytes() == m.sent.DataBytes() && m.got.HoleBytes() == m.sent.HoleBytes())
	if !m.same(m.sent, m.got) || !totals {
		t.Fatalf("S1/S2/S4: the consumer got %v, S sent %v: %s", m.got, m.sent, Diff(m.sent, m.got))
	}
}
