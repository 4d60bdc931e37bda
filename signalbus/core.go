package signalbus

// The pure core of a signal: its connection table, accessor-argument
// filters, per-connection bounded queues with their overflow policy, the
// throttle, and the one order (sequence numbers) every connection sees.
// It has no goroutines, no clock and no actors: the signal actor feeds it
// inputs and carries out the effects it returns. Property tests drive it
// directly (props/signal_core_test.go).

import (
	"sort"

	"github.com/actorio/actorio/internal/fifo"
)

// Policy is what a connection does when its bounded queue is full.
type Policy uint8

const (
	// DropOldest discards the oldest queued event to make room; the next
	// event delivered on the connection carries the count (Event.Dropped).
	DropOldest Policy = iota
	// DropNewest discards the incoming event; the next event delivered
	// carries the count.
	DropNewest
)

// String returns the Policy in readable form.
func (p Policy) String() string {
	switch p {
	case DropOldest:
		return "drop-oldest"
	case DropNewest:
		return "drop-newest"
	}
	return "policy(?)"
}

// Item is one emission as the core sees it. Payload is opaque to the core
// (the signal actor's typed emission).
type Item struct {
	Seq     uint64   // set by the core at fan-out: one order per signal
	Args    []string // accessor argument values, in the signal's order
	Key     string   // throttle key (ignored when the signal is not throttled)
	Exempt  bool     // bypasses the throttle
	Payload any
}

// ConnSpec describes a new connection.
type ConnSpec struct {
	Handle Handle
	Owner  uint64     // session id (0: in-process, unscoped)
	Filter []ArgMatch // every match must hold; empty: all events
	Window int        // deliveries in flight to the slot before queueing (≥ 1)
	Limit  int        // queued events beyond the window (≥ 0)
	Policy Policy
	Link   *Link // the state shared with the slot side (acks, closed flag)
	Target any   // opaque to the core: where the shell sends deliveries
}

// ArgMatch is one accessor-argument filter: argument Index must equal Value.
type ArgMatch struct {
	Index int
	Value string
}

// Conn is a connection in the core.
type Conn struct {
	ConnSpec
	sent    uint64 // deliveries handed to the slot
	acked   uint64 // the slot's acknowledgements as last read (a lower bound)
	queue   fifo.Queue[*Item]
	dropped uint64 // since the last delivery; carried by the next one
	Total   ConnStats
}

// ConnStats counts what happened on one connection.
type ConnStats struct {
	Delivered uint64 // handed to the slot
	Dropped   uint64 // lost to the overflow policy
	MaxQueued int    // the largest queue length seen
}

// Matches reports whether the connection's filter accepts args.
func (c *Conn) Matches(args []string) bool { return matches(c.Filter, args) }

func matches(filter []ArgMatch, args []string) bool {
	for _, m := range filter {
		if m.Index >= len(args) || args[m.Index] != m.Value {
			return false
		}
	}
	return true
}

// Queued returns how many events wait in the core for window space.
func (c *Conn) Queued() int { return c.queue.Len() }

// HoldsUpTo reports whether an event fanned out at or before seq (see
// Core.Seq) still waits in the connection's queue: false once each of
// them was handed to the slot or dropped, or the connection was removed.
func (c *Conn) HoldsUpTo(seq uint64) bool {
	return c.queue.Len() > 0 && c.queue.Front().Seq <= seq
}

// inflight returns the deliveries the slot has not acknowledged yet, as
// far as the core knows: the shared counter is read again only when the
// window looks full, so a slot that keeps up costs the emitter no
// cross-core read per delivery.
func (c *Conn) inflight() uint64 {
	if c.sent-c.acked >= uint64(c.Window) {
		c.acked = c.Link.acked.Load()
	}
	return c.sent - c.acked
}

// EffectKind says what the shell must do.
type EffectKind uint8

// Effects.
const (
	// Deliver: send Item to Conn's target, with Dropped as the overflow
	// marker.
	Deliver EffectKind = iota + 1
	// ArmTimer: call Tick(Key) one throttle period from now.
	ArmTimer
	// Removed: Conn left the table (disconnect, session closed, slot
	// gone); the shell fences the slot and stops its executor.
	Removed
)

// Effect is one output of the core.
type Effect struct {
	Kind    EffectKind
	Conn    *Conn
	Item    *Item
	Dropped uint64
	N       uint64 // Deliver: the delivery's number on its connection, from 1
	Key     string
}

// Core is the state machine of one signal.
type Core struct {
	conns     []*Conn // in connect order
	throttled bool
	keys      map[string]*keyState
	seq       uint64
	out       []Effect
	Stats     CoreStats
}

// CoreStats counts what the core did.
type CoreStats struct {
	Emitted    uint64 // emissions accepted
	FannedOut  uint64 // emissions that reached fan-out (got a sequence number)
	Superseded uint64 // throttled emissions replaced by a later one
}

type keyState struct {
	pending *Item
}

// NewCore returns the core of a signal; throttled says whether the signal
// declares a throttle.
func NewCore(throttled bool) *Core {
	return &Core{throttled: throttled, keys: map[string]*keyState{}}
}

// Conns returns the connections in connect order. The slice is the core's.
func (c *Core) Conns() []*Conn { return c.conns }

// Seq returns the sequence number of the last emission fanned out (0:
// none yet).
func (c *Core) Seq() uint64 { return c.seq }

// Find returns the connection with handle h, or nil.
func (c *Core) Find(h Handle) *Conn {
	for _, k := range c.conns {
		if k.Handle == h {
			return k
		}
	}
	return nil
}

// Connect adds a connection. It sees only events fanned out after it.
func (c *Core) Connect(spec ConnSpec) *Conn {
	if spec.Window < 1 {
		spec.Window = 1
	}
	if spec.Limit < 0 {
		spec.Limit = 0
	}
	k := &Conn{ConnSpec: spec}
	c.conns = append(c.conns, k)
	return k
}

// Remove takes connection h out of the table; its queued events are
// discarded. It returns the Removed effect, or nothing if h is unknown.
func (c *Core) Remove(h Handle) []Effect {
	c.out = c.out[:0]
	for i, k := range c.conns {
		if k.Handle == h {
			c.removeAt(i)
			break
		}
	}
	return c.out
}

// RemoveOwner removes every connection of session owner.
func (c *Core) RemoveOwner(owner uint64) []Effect {
	c.out = c.out[:0]
	c.removeWhere(func(k *Conn) bool { return k.Owner == owner })
	return c.out
}

// RemoveIf removes every connection for which pred holds (for instance
// those whose slot stopped).
func (c *Core) RemoveIf(pred func(*Conn) bool) []Effect {
	c.out = c.out[:0]
	c.removeWhere(pred)
	return c.out
}

func (c *Core) removeWhere(f func(*Conn) bool) {
	for i := 0; i < len(c.conns); {
		if f(c.conns[i]) {
			c.removeAt(i)
			continue
		}
		i++
	}
}

func (c *Core) removeAt(i int) {
	k := c.conns[i]
	copy(c.conns[i:], c.conns[i+1:])
	c.conns[len(c.conns)-1] = nil
	c.conns = c.conns[:len(c.conns)-1]
	k.queue.Clear()
	c.out = append(c.out, Effect{Kind: Removed, Conn: k})
}

// Emit takes one emission. Unthrottled (or exempt) emissions fan out at
// once; a throttled one fans out at once if its key is idle, else it
// replaces the key's pending emission (latest wins) until Tick.
func (c *Core) Emit(it *Item) []Effect {
	c.out = c.out[:0]
	c.Stats.Emitted++
	if !c.throttled || it.Exempt {
		c.fanout(it)
		return c.out
	}
	st := c.keys[it.Key]
	if st == nil {
		c.keys[it.Key] = &keyState{}
		c.fanout(it)
		c.out = append(c.out, Effect{Kind: ArmTimer, Key: it.Key})
		return c.out
	}
	if st.pending != nil {
		c.Stats.Superseded++
	}
	st.pending = it
	return c.out
}

// Tick ends a throttle period of key: the pending emission, if any, fans
// out and a new period starts; otherwise the key becomes idle.
func (c *Core) Tick(key string) []Effect {
	c.out = c.out[:0]
	st := c.keys[key]
	if st == nil {
		return c.out
	}
	if st.pending == nil {
		delete(c.keys, key)
		return c.out
	}
	it := st.pending
	st.pending = nil
	c.fanout(it)
	c.out = append(c.out, Effect{Kind: ArmTimer, Key: key})
	return c.out
}

// Pending reports whether key has an emission waiting for its period to end.
func (c *Core) Pending(key string) bool {
	st := c.keys[key]
	return st != nil && st.pending != nil
}

// Wake drains connection h's queue as far as its window now allows (the
// slot acknowledged deliveries).
func (c *Core) Wake(h Handle) []Effect {
	c.out = c.out[:0]
	if k := c.Find(h); k != nil {
		c.drain(k)
	}
	return c.out
}

// WakeAll drains every connection's queue as far as its window allows
// (a restarted signal actor: an acknowledgement's wake-up may have been
// lost).
func (c *Core) WakeAll() []Effect {
	c.out = c.out[:0]
	for _, k := range c.conns {
		if k.queue.Len() > 0 {
			c.drain(k)
		}
	}
	return c.out
}

// Forfeit records that n deliveries the core handed out on connection h
// never reached its slot (the signal actor failed before sending them, or
// the slot's executor stopped with it before running them): they count
// as dropped, the connection's next delivery carries them in Dropped,
// and their window space is given back (as if the slot had acknowledged
// them). Drain with Wake or WakeAll.
func (c *Core) Forfeit(h Handle, n uint64) {
	if k := c.Find(h); k != nil {
		c.forfeit(k, n)
	}
}

func (c *Core) forfeit(k *Conn, n uint64) {
	if n == 0 {
		return
	}
	k.Link.acked.Add(n)
	k.Total.Delivered -= n
	c.missed(k, n)
}

// Missed records that n matching events fanned out while connection h
// should have been in the table, but was not (its connect request was
// lost in a failure of the signal actor), never reached it: they count
// as dropped, and its next delivery carries them in Dropped.
func (c *Core) Missed(h Handle, n uint64) {
	if k := c.Find(h); k != nil {
		c.missed(k, n)
	}
}

func (c *Core) missed(k *Conn, n uint64) {
	k.dropped += n
	k.Total.Dropped += n
}

// throttledItem returns the emission key holds back for the end of its
// period (nil: none).
func (c *Core) throttledItem(key string) *Item {
	if st := c.keys[key]; st != nil {
		return st.pending
	}
	return nil
}

// Keys returns the throttle keys in a period, sorted.
func (c *Core) Keys() []string {
	out := make([]string, 0, len(c.keys))
	for k := range c.keys { //detguard:unordered sorted below
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (c *Core) fanout(it *Item) {
	c.seq++
	it.Seq = c.seq
	c.Stats.FannedOut++
	for _, k := range c.conns {
		if k.Matches(it.Args) {
			c.offer(k, it)
		}
	}
}

// offer hands it to connection k: straight to the slot when the window
// allows and nothing is queued, else into the bounded queue.
func (c *Core) offer(k *Conn, it *Item) {
	if k.queue.Len() > 0 {
		c.drain(k) // window space the slot gave back since the last look
	}
	if k.queue.Len() == 0 && k.inflight() < uint64(k.Window) {
		c.deliver(k, it)
		return
	}
	if k.queue.Len() >= k.Limit {
		k.dropped++
		k.Total.Dropped++
		if k.Policy == DropNewest || k.Limit == 0 {
			c.park(k)
			return
		}
		k.queue.Pop()
	}
	k.queue.Push(it)
	if n := k.queue.Len(); n > k.Total.MaxQueued {
		k.Total.MaxQueued = n
	}
	c.park(k)
}

// park drains k as far as its window allows and, if events remain
// queued, asks the slot side for a wake-up at its next acknowledgement.
// The flag is set before the window is checked again, so an
// acknowledgement racing with it is never missed.
func (c *Core) park(k *Conn) { c.drain(k) }

func (c *Core) drain(k *Conn) {
	for {
		for k.queue.Len() > 0 && k.inflight() < uint64(k.Window) {
			c.deliver(k, k.queue.Pop())
		}
		if k.queue.Len() == 0 {
			return
		}
		k.Link.parked.Store(true)
		if k.inflight() >= uint64(k.Window) {
			return
		}
	}
}

func (c *Core) deliver(k *Conn, it *Item) {
	k.sent++
	k.Total.Delivered++
	c.out = append(c.out, Effect{Kind: Deliver, Conn: k, Item: it, Dropped: k.dropped, N: k.sent})
	k.dropped = 0
}
