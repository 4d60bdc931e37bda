package sim

import (
	"fmt"
	"time"
)

// Partitions and clogs of the socket network. While a partition between
// two hosts lasts, stream segments sent across are held until it mends
// (TCP retransmits: nothing is lost, order is kept, the bytes just stall),
// and so are a connect's handshake segments (the connect completes, or is
// refused, only after the partition mends); UDP datagrams sent across are
// lost; a clog delays segments and UDP datagrams until it clears (unix
// sockets are local: neither touches them). Traffic already in flight
// when a cut begins passed before it. Partitions can be one-way. The
// heal ends them all: what they held arrives at once, in order.

// Partition cuts a → b (and b → a unless oneWay) for d of virtual time.
func (n *Network) Partition(a, b string, oneWay bool, d time.Duration) {
	until := n.w.clock.now + d
	kind := "symmetric"
	if oneWay {
		kind = "one-way"
	}
	n.w.Note(fmt.Sprintf("net: partition %s %s|%s for %v", kind, a, b, d))
	n.Link(a, b).cutUntil = max(n.Link(a, b).cutUntil, until)
	if !oneWay {
		n.Link(b, a).cutUntil = max(n.Link(b, a).cutUntil, until)
	}
}

// Clog delays everything from a to b for d of virtual time.
func (n *Network) Clog(a, b string, d time.Duration) {
	until := n.w.clock.now + d
	n.w.Note(fmt.Sprintf("net: clog %s>%s for %v", a, b, d))
	n.Link(a, b).clogUntil = max(n.Link(a, b).clogUntil, until)
}

// mend ends every partition and clog (at the heal).
func (n *Network) mend() {
	for _, k := range sortedLinkKeys(n.links) {
		l := n.links[k]
		l.cutUntil, l.clogUntil = 0, 0
	}
	n.w.clock.release(holder{net: n}, n.w.clock.now)
}

// hold returns when traffic from → to sent now may first arrive: after a
// clog or partition on the link, and at the latest at the World's heal.
func (n *Network) hold(from, to string) time.Duration {
	l := n.links[[2]string{from, to}]
	if l == nil {
		return 0
	}
	return n.w.releaseBy(max(l.cutUntil, l.clogUntil))
}

// cut reports until when from → to is partitioned (0: it is not now).
func (n *Network) cut(from, to string) time.Duration {
	if l := n.links[[2]string{from, to}]; l != nil && l.cutUntil > n.w.clock.now {
		return l.cutUntil
	}
	return 0
}

// startFaults runs the profile's partitions and clogs between the hosts
// seen so far: every tick, each ordered pair may be cut or clogged (one
// World.Decide opportunity each), for a duration drawn from a stream of
// its own (so a shrunk plan keeps the durations of the faults it keeps).
func (n *Network) startFaults(f SocketFaults) {
	if f.PartitionRate <= 0 && f.ClogRate <= 0 {
		return
	}
	const tick = 10 * time.Millisecond
	perTick := func(rate float64) float64 { return rate * tick.Seconds() }
	var arm func()
	arm = func() {
		n.w.clock.afterFunc(tick, nil, func() {
			if n.healed || n.w.healed {
				return
			}
			for _, a := range n.hosts {
				for _, b := range n.hosts {
					if a == b {
						continue
					}
					pair := a + ">" + b
					if n.w.Decide("socket/partition", pair, perTick(f.PartitionRate)) {
						rng := n.w.faultStream("socket/partition", pair)
						n.Partition(a, b, rng.Float64() < f.OneWay, between(rng, time.Millisecond, f.PartitionMax.D()))
					}
					if n.w.Decide("socket/clog", pair, perTick(f.ClogRate)) {
						rng := n.w.faultStream("socket/clog", pair)
						n.Clog(a, b, between(rng, time.Millisecond, f.ClogMax.D()))
					}
				}
			}
			arm()
		})
	}
	arm()
}

func sortedLinkKeys(m map[[2]string]*Link) [][2]string {
	keys := make([][2]string, 0, len(m))
	for k := range m { //detguard:unordered sorted just below
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && (keys[j][0] < keys[j-1][0] || keys[j][0] == keys[j-1][0] && keys[j][1] < keys[j-1][1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
