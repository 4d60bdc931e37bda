package sim

import "fmt"

// Sockets and node crashes. A socket endpoint belongs to a node, as an
// fd belongs to a process: the node whose actor gave it its sink (Start,
// or Connect), or else the node whose actor or boot function opened it;
// a connection accepted but not yet started belongs to its listener's
// node. An endpoint opened and started outside any node (by a test
// driving the transport itself) belongs to none.
//
// When a node crashes, the dead process's kernel closes its endpoints,
// as Close does, except that nothing is reported to the dead actors: a
// connection's peer gets the bytes already sent, then a FIN (or a reset
// if bytes it sent were never read: Close's rule), connections still in
// their handshake are abandoned, connections in a listener's backlog are
// reset, and the addresses are free for the next incarnation. What is
// already on the wire from the crashed node arrives, as a message between
// nodes outlives its crashed sender, and what is on its way to the dead
// endpoints is lost (a stream's sender gets a reset; a datagram
// vanishes), never reaching the next incarnation's sockets. So the
// network's own timers belong to the network, not to the node of the
// actor that happened to make the call (which would die with that node).

// endpoint is a socket endpoint a crash can close.
type endpoint interface {
	// crash closes the endpoint as its process's death does: like
	// Close, with no event for the dead sink.
	crash()
}

// atWork returns the node on whose behalf the loop runs now: the node
// of the actor taking the current step, or the node whose boot function
// is running; nil for anything else (a device's timer, a test).
func (w *World) atWork() *node {
	if m := w.current; m != nil {
		return m.n
	}
	return w.booting
}

// own makes owner (if not nil) the owner of ep, whose owner field is at
// slot.
func (n *Network) own(ep endpoint, slot **node, owner *node) {
	if owner == nil || *slot == owner {
		return
	}
	n.disown(ep, *slot)
	*slot = owner
	if n.owned == nil {
		n.owned = map[*node][]endpoint{}
	}
	n.owned[owner] = append(n.owned[owner], ep)
}

// disown forgets that owner owns ep (it closed).
func (n *Network) disown(ep endpoint, owner *node) {
	if owner == nil {
		return
	}
	eps := n.owned[owner]
	for i, e := range eps {
		if e == ep {
			n.owned[owner] = append(eps[:i:i], eps[i+1:]...)
			return
		}
	}
}

// crashed closes the endpoints of node name, which just crashed, in the
// order it came to own them.
func (n *Network) crashed(name string) {
	nd := n.w.byName[name]
	eps := n.owned[nd]
	if len(eps) == 0 {
		return
	}
	delete(n.owned, nd)
	n.w.Note(fmt.Sprintf("net: the crash of %s closes its %d sockets", name, len(eps)))
	for _, ep := range eps {
		ep.crash()
	}
}

func (s *simStream) crash() {
	s.sink = nil
	s.Close()
}

func (l *simListener) crash() {
	l.sink = nil
	l.Close()
}

func (p *simPacket) crash() {
	p.sink = nil
	p.Close()
}
