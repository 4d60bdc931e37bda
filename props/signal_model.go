package props

import (
	"sort"
	"time"

	"github.com/actorio/actorio/signalbus"
	"github.com/pkg/errors"
)

// SigModel is the reference model of a signal bus: what every connection
// must receive, written as plainly as possible and independently of
// signalbus's core (a connection's backlog is one list of unacknowledged
// events of which the first `shown` were handed to the slot; throttling is
// QEMU's algorithm on explicit times). The rapid state machines drive it
// and the real thing with the same operations and compare the
// per-connection transcripts.
type SigModel struct {
	Signals []ModelSignal
	now     time.Duration
	conns   []*modelConn // connect order
	keys    map[modelKeyID]*modelKey
	armSeq  int
	emitted []ModelEmit
	// Transcripts: what each connection's slot was handed, in order.
	Transcripts map[signalbus.Handle][]ModelDelivery
}

// ModelSignal describes one signal of the model.
type ModelSignal struct {
	Name     string
	Args     int           // accessor arguments
	Throttle time.Duration // 0: not throttled
}

// ModelEmit is one emission.
type ModelEmit struct {
	ID     int
	Signal int
	Args   []string
	Key    string
	Exempt bool
	At     time.Duration
}

// ModelDelivery is one event handed to a slot.
type ModelDelivery struct {
	Emit    int // ModelEmit.ID
	Dropped uint64
	At      time.Duration // when it fanned out
}

// ModelConn describes a connection.
type ModelConn struct {
	Handle  signalbus.Handle
	Owner   uint64
	Signal  int
	Filter  map[int]string
	Default bool
	Window  int
	Limit   int
	Policy  signalbus.Policy
}

type modelConn struct {
	ModelConn
	pending []ModelDelivery // accepted, not acknowledged; the first `shown` were handed over
	shown   int
	dropped uint64
}

type modelKeyID struct {
	signal int
	key    string
}

type modelKey struct {
	due     time.Duration
	seq     int
	pending *ModelEmit
}

// NewSigModel returns a model of the given signals.
func NewSigModel(signals []ModelSignal) *SigModel {
	return &SigModel{Signals: signals, keys: map[modelKeyID]*modelKey{}, Transcripts: map[signalbus.Handle][]ModelDelivery{}}
}

// Now returns the model's clock.
func (m *SigModel) Now() time.Duration { return m.now }

// Emits returns every emission so far.
func (m *SigModel) Emits() []ModelEmit { return m.emitted }

// Connect adds a connection: it sees events fanned out from now on.
func (m *SigModel) Connect(c ModelConn) {
	if c.Window < 1 {
		c.Window = 1
	}
	m.conns = append(m.conns, &modelConn{ModelConn: c})
	if _, ok := m.Transcripts[c.Handle]; !ok {
		m.Transcripts[c.Handle] = nil
	}
}

// ErrModelUnknown is the model's answer to a disconnect of a handle the
// caller does not own.
var ErrModelUnknown = errors.New("model: unknown handle")

// Disconnect removes h if owner owns it.
func (m *SigModel) Disconnect(h signalbus.Handle, owner uint64) error {
	for i, c := range m.conns {
		if c.Handle == h && c.Owner == owner {
			m.conns = append(m.conns[:i], m.conns[i+1:]...)
			return nil
		}
	}
	return ErrModelUnknown
}

// CloseOwner removes every connection of a session.
func (m *SigModel) CloseOwner(owner uint64) {
	kept := m.conns[:0]
	for _, c := range m.conns {
		if c.Owner != owner {
			kept = append(kept, c)
		}
	}
	m.conns = kept
}

// Open reports whether h is connected.
func (m *SigModel) Open(h signalbus.Handle) bool {
	for _, c := range m.conns {
		if c.Handle == h {
			return true
		}
	}
	return false
}

// Emit takes one emission at the current time and returns its id.
func (m *SigModel) Emit(signal int, args []string, key string, exempt bool) int {
	e := ModelEmit{ID: len(m.emitted) + 1, Signal: signal, Args: args, Key: key, Exempt: exempt, At: m.now}
	m.emitted = append(m.emitted, e)
	p := m.Signals[signal].Throttle
	if p == 0 || exempt {
		m.fanout(&e)
		return e.ID
	}
	id := modelKeyID{signal, key}
	if k := m.keys[id]; k != nil {
		k.pending = &e // latest wins
		return e.ID
	}
	m.armSeq++
	m.keys[id] = &modelKey{due: m.now + p, seq: m.armSeq}
	m.fanout(&e)
	return e.ID
}

// Advance moves the clock by d, ending throttle periods on the way, in
// the order they were due (ties: the order they were armed).
func (m *SigModel) Advance(d time.Duration) {
	end := m.now + d
	for {
		var ids []modelKeyID
		for id, k := range m.keys { //detguard:unordered sorted below
			if k.due <= end {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			break
		}
		sort.Slice(ids, func(i, j int) bool {
			a, b := m.keys[ids[i]], m.keys[ids[j]]
			return a.due < b.due || (a.due == b.due && a.seq < b.seq)
		})
		id := ids[0]
		k := m.keys[id]
		m.now = k.due
		if k.pending == nil {
			delete(m.keys, id)
			continue
		}
		e := k.pending
		k.pending = nil
		m.armSeq++
		k.due, k.seq = m.now+m.Signals[id.signal].Throttle, m.armSeq
		m.fanout(e)
	}
	m.now = end
}

// Held returns the emission a key holds back, if any.
func (m *SigModel) Held(signal int, key string) *ModelEmit {
	if k := m.keys[modelKeyID{signal, key}]; k != nil {
		return k.pending
	}
	return nil
}

func (m *SigModel) fanout(e *ModelEmit) {
	for _, c := range m.conns {
		if c.Signal != e.Signal || !matches(c.Filter, e.Args) {
			continue
		}
		m.accept(c, ModelDelivery{Emit: e.ID, At: m.now})
	}
}

func matches(filter map[int]string, args []string) bool {
	for i, v := range filter { //detguard:unordered every entry must hold
		if i >= len(args) || args[i] != v {
			return false
		}
	}
	return true
}

// accept puts d in c's backlog, applying the overflow policy when the
// backlog (window + queue) is full, then hands over what the window allows.
func (m *SigModel) accept(c *modelConn, d ModelDelivery) {
	if len(c.pending) >= c.Window+c.Limit {
		c.dropped++
		if c.Policy == signalbus.DropNewest || c.shown >= len(c.pending) {
			return
		}
		c.pending = append(c.pending[:c.shown], c.pending[c.shown+1:]...)
	}
	c.pending = append(c.pending, d)
	m.show(c)
}

func (m *SigModel) show(c *modelConn) {
	for c.shown < len(c.pending) && c.shown < c.Window {
		d := &c.pending[c.shown]
		d.Dropped, c.dropped = c.dropped, 0
		m.Transcripts[c.Handle] = append(m.Transcripts[c.Handle], *d)
		c.shown++
	}
}

// Ack acknowledges the n oldest deliveries handed to h's slot (at most
// those handed over) and returns how many it acknowledged.
func (m *SigModel) Ack(h signalbus.Handle, n int) int {
	for _, c := range m.conns {
		if c.Handle != h {
			continue
		}
		n = min(n, c.shown)
		c.pending = c.pending[n:]
		c.shown -= n
		m.show(c)
		return n
	}
	return 0
}

// Backlog returns h's unacknowledged events and how many were handed over.
func (m *SigModel) Backlog(h signalbus.Handle) (pending, shown int) {
	for _, c := range m.conns {
		if c.Handle == h {
			return len(c.pending), c.shown
		}
	}
	return 0, 0
}
