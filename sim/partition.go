package sim

import (
	"fmt"
	"time"

	"github.com/pkg/errors"
)

// Partition cuts the network between nodes a and b: messages sent across
// are lost, as are those in flight. With oneWay only a → b is cut. If the
// cut lasts RemoteOptions.Keepalive, the watchers on each side of actors on
// the other get Terminated{AddressTerminated}, as protoactor remote's
// keepalive would report (a TCP connection does not survive a one-way
// cut either).
func (w *World) Partition(a, b string, oneWay bool) error {
	if err := w.checkPair(a, b); err != nil {
		return err
	}
	dirs := [][2]string{{a, b}}
	kind := "one-way"
	if !oneWay {
		dirs = append(dirs, [2]string{b, a})
		kind = "symmetric"
	}
	w.Note(fmt.Sprintf("fault: partition %s %s %s", kind, a, b))
	for _, d := range dirs {
		l := w.net.link(d[0], d[1])
		if l.blocked {
			continue
		}
		l.blocked = true
		l.suspectedAt = w.clock.now
		w.armKeepalive(l)
	}
	return nil
}

func (w *World) armKeepalive(l *link) {
	ka := w.net.opts.Keepalive
	if ka == 0 {
		ka = 3 * time.Second
	}
	since := l.suspectedAt
	w.clock.afterFunc(ka, nil, func() {
		if !l.blocked || l.suspectedAt != since {
			return // mended (or cut again) meanwhile
		}
		w.Note(fmt.Sprintf("net: keepalive lost between %s and %s", l.from, l.to))
		w.addressTerminated(l.to, l.from)
		w.addressTerminated(l.from, l.to)
	})
}

// Mend restores the network between a and b in both directions; the
// messages a clog held pass at once (keeping their order).
func (w *World) Mend(a, b string) error {
	if err := w.checkPair(a, b); err != nil {
		return err
	}
	for _, d := range [][2]string{{a, b}, {b, a}} {
		l := w.net.link(d[0], d[1])
		if l.blocked || l.clogUntil > w.clock.now {
			w.Note(fmt.Sprintf("heal: mend %s → %s", d[0], d[1]))
		}
		if l.clogUntil > w.clock.now {
			// Only a clog holds messages (a partition loses them).
			w.clock.release(holder{link: l}, w.clock.now)
		}
		l.blocked = false
		l.clogUntil = 0
	}
	return nil
}

// Clog delays every message from a to b until virtual time until (they
// are not lost, and keep their order); until ≤ now unclogs. A clog made
// shorter lets the messages it held pass at its new end.
func (w *World) Clog(a, b string, until time.Duration) error {
	if err := w.checkPair(a, b); err != nil {
		return err
	}
	w.Note(fmt.Sprintf("fault: clog %s → %s until %v", a, b, until))
	l := w.net.link(a, b)
	if until < l.clogUntil && l.clogUntil > w.clock.now {
		// Shortened (or lifted): what it holds passes sooner.
		w.clock.release(holder{link: l}, until)
	}
	l.clogUntil = until
	return nil
}

// ClogNode clogs every link from and to node n until virtual time until.
func (w *World) ClogNode(n string, until time.Duration) error {
	if _, ok := w.byName[n]; !ok {
		return errors.Errorf("sim: clog node %q: no such node", n)
	}
	for _, other := range w.nodes {
		if other.name == n {
			continue
		}
		if err := w.Clog(n, other.name, until); err != nil {
			return err
		}
		if err := w.Clog(other.name, n, until); err != nil {
			return err
		}
	}
	return nil
}

// MendAll restores every link: no partition, no clog.
func (w *World) MendAll() {
	for _, a := range w.nodes {
		for _, b := range w.nodes {
			if a.name < b.name {
				_ = w.Mend(a.name, b.name)
			}
		}
	}
}

func (w *World) checkPair(a, b string) error {
	if _, ok := w.byName[a]; !ok {
		return errors.Errorf("sim: no node %q", a)
	}
	if _, ok := w.byName[b]; !ok {
		return errors.Errorf("sim: no node %q", b)
	}
	if a == b {
		return errors.Errorf("sim: %q and %q are the same node", a, b)
	}
	return nil
}
