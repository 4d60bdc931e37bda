package props

import (
	"fmt"
	"time"

	"github.com/actorio/actorio/sim"
	"github.com/pkg/errors"
)

// The remote-signal scenario's own cut. A subscriber's connections are
// lost (ErrPeerGone) and made again (RemoteConn.Again) only when a
// partition between it and "a" outlasts the keepalive before the heal:
// with the swarm's partitions alone (a random pair of three nodes, often
// shorter than the keepalive, often after an early heal) that happened on
// about one seed in twenty. So a run whose profile has partitions also
// gets one cut of its own: a random subscriber from "a", long enough for
// the keepalive to end its connections, begun early enough for that to
// happen before the heal. The swarm's faults still come on top; a profile
// without partitions gets none from the scenario either. The cut is in
// the run's plan (CutFault): a replay makes it, a shrink can drop it.

// rsKeepalive is the scenario's keepalive: a partition that lasts this
// long ends the connections across it.
const rsKeepalive = 250 * time.Millisecond

// RemoteSignalCut is the cut a remote-signal run made of its own.
type RemoteSignalCut struct {
	Node   string        // the subscriber cut off from "a"
	At     time.Duration // virtual time of the cut
	For    time.Duration // how long it lasts (the heal may end it first)
	OneWay bool          // only "a" → Node is cut
	Made   bool          // the cut was made (not left out of a replayed plan)

	err error // the World refused the cut
}

// String returns the cut in readable form.
func (c *RemoteSignalCut) String() string {
	if c == nil {
		return "no cut"
	}
	kind := "symmetric"
	if c.OneWay {
		kind = "one-way"
	}
	return fmt.Sprintf("@%v cut %s a|%s for %v", c.At, kind, c.Node, c.For)
}

// planCut draws the run's cut (nil: none), from a stream of its own, so
// that no other draw of the run moves: none without partitions in the
// profile, or when the fault phase is too short for the keepalive to end
// a connection before the heal.
func planCut(w *sim.World, cfg RemoteSignalConfig) *RemoteSignalCut {
	p := w.Profile()
	last := p.FaultTime.D() - w.Now() - rsKeepalive - 10*time.Millisecond
	if p.Partitions == nil || last < 0 {
		return nil
	}
	rng := w.Rand("remote-signal/cut")
	return &RemoteSignalCut{
		Node:   fmt.Sprintf("b%d", 1+rng.IntN(cfg.Subscribers)),
		At:     w.Now() + time.Duration(rng.Int64N(int64(last)+1)),
		For:    rsKeepalive + 10*time.Millisecond + time.Duration(rng.Int64N(int64(500*time.Millisecond))),
		OneWay: rng.Float64() < p.Partitions.OneWay,
	}
}

// CutFault is the kind of fault the cut is in a run's plan (sim.Plan):
// a per-opportunity fault, offered once, at the cut's time, and taken in
// a run driven by a profile; a replayed plan takes it only if it lists
// it, so that shrinking can remove it as any other fault.
const CutFault = "remote-signal/cut"

// arm schedules the cut and its mend on w's clock. Neither acts after the
// heal (which mends every link).
func (c *RemoteSignalCut) arm(w *sim.World) {
	if c == nil {
		return
	}
	clock := w.Clock()
	clock.AfterFunc(c.At-w.Now(), func() {
		if !w.Decide(CutFault, "a|"+c.Node, 1) {
			return // healed, or a replayed plan without it
		}
		if err := w.Partition("a", c.Node, c.OneWay); err != nil {
			c.err = errors.Wrapf(err, "remote-signal: %v", c)
			return
		}
		c.Made = true
		clock.AfterFunc(c.For, func() {
			if !w.Healed() {
				_ = w.Mend("a", c.Node)
			}
		})
	})
}
