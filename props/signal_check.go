package props

import (
	"fmt"
	"strings"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/pkg/errors"
)

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
