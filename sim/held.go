package sim

import (
	"cmp"
	"slices"
	"time"
)

// Traffic held by a partition or clog. A segment, handshake, datagram or
// message whose arrival a cut pushed back sits on a timer at the cut's
// end. When the cut is lifted early (the heal, World.Mend, a shorter
// World.Clog) the held traffic is released: each timer moves to when the
// traffic would have arrived without the hold, and no earlier than the
// release, keeping the order of its lane.

// wire marks a timer that delivers network traffic.
type wire struct {
	held holder        // what may release it
	base time.Duration // when it arrives without any partition or clog
	lane lane          // its FIFO lane; nil when it keeps no order
}

// holder names what holds traffic: the socket network (every link of
// it mends at once) or one directed link between nodes.
type holder struct {
	net  *Network
	link *link
}

// A lane is a FIFO channel of traffic (a connection's direction, a link
// between nodes, the datagrams of one socket to one address): released
// traffic keeps its order in it.
type lane interface {
	// released tells the lane the latest arrival time of its traffic
	// still on the wire, once a release moved it.
	released(last time.Duration)
}

// afterWire schedules f, delivering traffic held by h, at virtual time
// at (not before now); base is when it would arrive without the hold.
func (c *vclock) afterWire(at time.Duration, h holder, base time.Duration, ln lane, f func()) {
	t := c.afterFunc(at-c.now, nil, f)
	t.wire = &wire{held: h, base: base, lane: ln}
}

// release moves the traffic h holds to arrive at floor (or later, when
// it would arrive later without the hold, or when its lane's order
// requires), never later than it was due. Lanes whose traffic moved
// learn their new last arrival.
func (c *vclock) release(h holder, floor time.Duration) {
	floor = max(floor, c.now)
	var ts []*vtimer
	for _, t := range c.timers {
		if t.wire != nil && t.wire.held == h {
			ts = append(ts, t)
		}
	}
	slices.SortFunc(ts, func(a, b *vtimer) int {
		if a.when != b.when {
			return cmp.Compare(a.when, b.when)
		}
		return cmp.Compare(a.seq, b.seq)
	})
	last := map[lane]time.Duration{}
	var lanes []lane
	moved := false
	for _, t := range ts {
		at := max(floor, t.wire.base)
		ln := t.wire.lane
		if ln != nil {
			if prev, ok := last[ln]; ok {
				at = max(at, prev)
			} else {
				lanes = append(lanes, ln)
			}
		}
		if at < t.when {
			t.when = at
			moved = true
		}
		if ln != nil {
			last[ln] = t.when
		}
	}
	if !moved {
		return
	}
	for i := len(c.timers)/2 - 1; i >= 0; i-- {
		c.down(i)
	}
	for _, ln := range lanes {
		ln.released(last[ln])
	}
}

// timeLane is a lane whose only state is its last arrival time.
type timeLane struct{ last time.Duration }

func (l *timeLane) released(last time.Duration) { l.last = last }
