package props

import (
	"fmt"
	"strings"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/pkg/errors"
)

// The 30 invariants of research/qapi-events.md §5, and where each is
// checked. "model" means the per-connection transcripts of the real thing
// are compared with the reference model (SigModel), which holds the
// invariant by construction; "log" means CheckSignalLog checks it on what
// the slots saw, without a model (the simrun scenario uses it).
//
//	I1  handle uniqueness           model machine (every handle new) + signalbus tests
//	I2  handle scope                model machine: disconnect by another session → ErrUnknownHandle, nothing changes; QMP test (another session's tag)
//	I3  tag ↔ handle                log: explicit deliveries carry Tag == handle, default ones none; QMP tests (byte-exact lines)
//	I4  exactly once                model (no loss, no duplicate); log: no id twice on a connection
//	I5  filter soundness            model; log: a filtered connection sees only its dev, and only its signal
//	I6  filter completeness         model
//	I7  no delivery after Disconnect model machine: nothing recorded after a disconnect (blocking or from the slot) returned; log: no delivery ordered after its Disconnect returned (canary signal-after-disconnect)
//	I8  no retroactive delivery     model (connections see only later fan-outs)
//	I9  connect during dispatch     signalbus tests (TestReentrancy: connect from inside a slot sees only later events)
//	I10 per-connection FIFO         log: Seq strictly increasing on every connection
//	I11 one order per signal        log: an emission has the same Seq on every connection
//	I12 isolation                   model (each connection's transcript is computed alone, stalls included)
//	I13 duplicate policy            signalbus tests (two identical connects: two handles, two deliveries)
//	I14 negotiation silence         model: a session's default connections exist from Start on and get nothing emitted before it
//	                                (explicit connections of a session not yet started do deliver: the bus has no negotiation
//	                                mode of its own). Over QMP the endpoint starts the session at qmp_capabilities and
//	                                refuses every other command but disconnect-default-signals before it (differential test
//	                                vs qemu-storage-daemon); no QMP test emits during negotiation
//	I15 default connections         model (start, opt-out before and after start); QMP tests
//	I16 throttle spacing            log: deliveries of one throttled key (exempt excepted) ≥ period apart
//	I17 throttle last-not-lost      model (latest wins, delivered at the period's end)
//	I18 latest wins, key order      model; log: within a key, ids increase
//	I19 first event immediate       model: the actor machine compares after every step, so a first emission not handed over
//	                                at once is missing there; log: a key's first delivery on a slot that keeps up comes at most
//	                                one period after its emission (the connection may have been made inside a period)
//	I20 key independence, exempt    model
//	I21 window bound                follows from I16 (checked): deliveries ≥ P apart put at most ⌊W/P⌋+1 ≤ ⌈W/P⌉+1 in any W
//	I22 throttle before fan-out     model (one throttle per signal and key, shared by all connections)
//	I23 timestamp fidelity          log: Time is the emission time, ≤ the delivery time; QMP tests (seconds/microseconds)
//	I24 schema conformance          cmd/signalgen golden tests, internal/seedapi (typed decode of wire events); QMP query-qmp-schema test
//	I25 wire framing, correlation   signalbus/qmp: differential test vs qemu-storage-daemon, fuzzing, id echo tests
//	I26 causality                   signalbus/qmp: an application command's events are written before its return
//	I27 re-entrancy                 model machine (disconnect from inside the slot); signalbus TestReentrancy (emit/connect inside a slot)
//	I28 slow-consumer bound         model (bounded backlog, declared policy, Dropped marker): the core machine, and the actor
//	                                machine's bursts into stalled slots (both policies); core machine: queue ≤ limit
//	I29 cleanup                     model machine (closing a session removes its connections); signalbus
//	                                TestSessionCloseCleansUp (connections gone, executors stop), goleak
//	I30 determinism                 the signal scenario under sim.CheckDeterminism (TestSignalScenarioDeterministic)

// SignalLog is what the slots of a run saw, per connection key.
type SignalLog struct {
	Conns map[string]*ConnLog
	// Order gives an emission's position in emission order; nil: ids
	// are in emission order themselves.
	Order map[int]int
}

// ConnLog is one connection's deliveries.
type ConnLog struct {
	Explicit bool   // an explicit connection (its key is its handle)
	Filter   string // the dev it filters on, or ""
	Signal   string // the signal's name, if known
	KeptUp   bool   // its slot never held a delivery (so delivery time = fan-out time)
	Seen     []Seen
	OffAt    int // when, in the Seen Order, its Disconnect returned (0: never, or not ordered)
}

// CheckSignalLog checks the model-free invariants on a log; period is the
// Slow signal's throttle period.
func CheckSignalLog(l *SignalLog, period time.Duration) error {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	seqOf := map[string]map[int]uint64{} // signal → id → seq
	for _, key := range actors.SortedKeys(l.Conns) {
		c := l.Conns[key]
		ids := map[int]bool{}
		var lastSeq uint64
		lastKeyID := map[string]int{}
		lastKeyAt := map[string]time.Time{}
		for i, s := range c.Seen {
			if c.OffAt > 0 && s.Order > c.OffAt {
				fail("I7: %s got emission %d after its Disconnect returned", key, s.ID)
			}
			switch {
			case c.Explicit && string(s.Tag) != key:
				fail("I3: %s delivery %d carries tag %q", key, i, s.Tag)
			case !c.Explicit && s.Tag != "":
				fail("I3: default connection %s delivery %d carries tag %q", key, i, s.Tag)
			}
			if ids[s.ID] {
				fail("I4: %s got emission %d twice", key, s.ID)
			}
			ids[s.ID] = true
			if c.Filter != "" && s.Dev != c.Filter {
				fail("I5: %s filters %s, got dev %s", key, c.Filter, s.Dev)
			}
			if c.Signal != "" && s.Signal != c.Signal {
				fail("I5: %s is on %s, got %s", key, c.Signal, s.Signal)
			}
			if i > 0 && s.Seq <= lastSeq {
				fail("I10: %s got seq %d after %d", key, s.Seq, lastSeq)
			}
			lastSeq = s.Seq
			if seqOf[s.Signal] == nil {
				seqOf[s.Signal] = map[int]uint64{}
			}
			if q, ok := seqOf[s.Signal][s.ID]; ok && q != s.Seq {
				fail("I11: emission %d of %s has seq %d on %s and %d elsewhere", s.ID, s.Signal, s.Seq, key, q)
			}
			seqOf[s.Signal][s.ID] = s.Seq
			if s.At.Before(s.Emitted) {
				fail("I23: %s got emission %d at %v, before it was emitted at %v", key, s.ID, s.At, s.Emitted)
			}
			if s.Signal != "SlowEvent" || s.Action == "stop" {
				continue
			}
			pos := s.ID
			if l.Order != nil {
				pos = l.Order[s.ID]
			}
			if prev, ok := lastKeyID[s.Dev]; ok && pos < prev {
				fail("I18: %s got emission %d of key %s after a later one", key, s.ID, s.Dev)
			}
			lastKeyID[s.Dev] = pos
			if c.KeptUp {
				if prev, ok := lastKeyAt[s.Dev]; ok && s.At.Sub(prev) < period {
					fail("I16: %s got key %s at %v and %v, less than %v apart", key, s.Dev, prev, s.At, period)
				}
				if _, ok := lastKeyAt[s.Dev]; !ok && !s.At.Equal(s.Emitted) && s.At.Sub(s.Emitted) > period {
					fail("I19: %s got the first event of key %s %v after its emission", key, s.Dev, s.At.Sub(s.Emitted))
				}
				lastKeyAt[s.Dev] = s.At
			}
		}
	}
	if len(errs) > 0 {
		return errors.New("signal: " + strings.Join(errs, "; "))
	}
	return nil
}
