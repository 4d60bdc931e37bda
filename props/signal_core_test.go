package props

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/actorio/actorio/signalbus"
	"pgregory.net/rapid"
)

// coreHarness runs signalbus.Core for two signals (one plain, one
// throttled) on a virtual clock of its own, recording what each
// connection's slot is handed.
type coreHarness struct {
	cores  []*signalbus.Core
	period []time.Duration
	now    time.Duration
	timers []coreTimer
	seq    int
	conns  map[signalbus.Handle]*signalbus.Conn
	sigOf  map[signalbus.Handle]int
	got    map[signalbus.Handle][]ModelDelivery
}

type coreTimer struct {
	due    time.Duration
	seq    int
	signal int
	key    string
}

var coreSignals = []ModelSignal{{Name: "Plain", Args: 1}, {Name: "Slow", Args: 1, Throttle: time.Second}}

func newCoreHarness() *coreHarness {
	h := &coreHarness{conns: map[signalbus.Handle]*signalbus.Conn{}, sigOf: map[signalbus.Handle]int{}, got: map[signalbus.Handle][]ModelDelivery{}}
	for _, s := range coreSignals {
		h.cores = append(h.cores, signalbus.NewCore(s.Throttle > 0))
		h.period = append(h.period, s.Throttle)
	}
	return h
}

func (h *coreHarness) apply(signal int, effects []signalbus.Effect) {
	for _, e := range effects {
		switch e.Kind {
		case signalbus.Deliver:
			h.got[e.Conn.Handle] = append(h.got[e.Conn.Handle], ModelDelivery{Emit: e.Item.Payload.(int), Dropped: e.Dropped, At: h.now})
		case signalbus.ArmTimer:
			h.seq++
			h.timers = append(h.timers, coreTimer{due: h.now + h.period[signal], seq: h.seq, signal: signal, key: e.Key})
		}
	}
}

func (h *coreHarness) advance(d time.Duration) {
	end := h.now + d
	for {
		sort.Slice(h.timers, func(i, j int) bool {
			a, b := h.timers[i], h.timers[j]
			return a.due < b.due || (a.due == b.due && a.seq < b.seq)
		})
		if len(h.timers) == 0 || h.timers[0].due > end {
			break
		}
		t := h.timers[0]
		h.timers = h.timers[1:]
		h.now = t.due
		h.apply(t.signal, h.cores[t.signal].Tick(t.key))
	}
	h.now = end
}

// TestSignalCoreMatchesModel drives the pure core and the reference model
// with the same random operations and compares every connection's
// transcript after each step, with throttling in virtual time, bounded
// queues with both overflow policies, and slots that stall (acknowledge
// late or never).
func TestSignalCoreMatchesModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		h := newCoreHarness()
		m := NewSigModel(coreSignals)
		var handles []signalbus.Handle
		next := 0
		args := rapid.SampledFrom([]string{"a", "b", "c"})
		rt.Repeat(map[string]func(*rapid.T){
			"connect": func(rt *rapid.T) {
				next++
				hd := signalbus.Handle(fmt.Sprintf("c%d", next))
				sig := rapid.IntRange(0, 1).Draw(rt, "signal")
				filter := map[int]string{}
				var matches []signalbus.ArgMatch
				if rapid.Bool().Draw(rt, "filtered") {
					v := args.Draw(rt, "filter")
					filter[0] = v
					matches = append(matches, signalbus.ArgMatch{Index: 0, Value: v})
				}
				w, l := rapid.IntRange(1, 3).Draw(rt, "window"), rapid.IntRange(0, 3).Draw(rt, "limit")
				pol := signalbus.Policy(rapid.IntRange(0, 1).Draw(rt, "policy"))
				h.conns[hd] = h.cores[sig].Connect(signalbus.ConnSpec{Handle: hd, Filter: matches, Window: w, Limit: l, Policy: pol, Link: signalbus.NewLink(hd)})
				h.sigOf[hd] = sig
				m.Connect(ModelConn{Handle: hd, Signal: sig, Filter: filter, Window: w, Limit: l, Policy: pol})
				handles = append(handles, hd)
			},
			"disconnect": func(rt *rapid.T) {
				if len(handles) == 0 {
					rt.Skip("nothing connected")
				}
				hd := rapid.SampledFrom(handles).Draw(rt, "handle")
				eff := h.cores[h.sigOf[hd]].Remove(hd)
				merr := m.Disconnect(hd, 0)
				if (len(eff) == 1) != (merr == nil) {
					rt.Fatalf("disconnect %s: core removed %d, model %v", hd, len(eff), merr)
				}
				delete(h.conns, hd)
			},
			"emit": func(rt *rapid.T) {
				sig := rapid.IntRange(0, 1).Draw(rt, "signal")
				a := args.Draw(rt, "arg")
				exempt := sig == 1 && rapid.IntRange(0, 4).Draw(rt, "exempt") == 0
				id := m.Emit(sig, []string{a}, a, exempt)
				h.apply(sig, h.cores[sig].Emit(&signalbus.Item{Args: []string{a}, Key: a, Exempt: exempt, Payload: id}))
			},
			"": func(rt *rapid.T) {
				compareTranscripts(rt, handles, h.got, m.Transcripts)
				// I28: backlogs stay within window + limit.
				for _, hd := range handles {
					if c := h.conns[hd]; c != nil && c.Queued() > c.Limit {
						rt.Fatalf("I28: %s queues %d > limit %d", hd, c.Queued(), c.Limit)
					}
				}
			},
			"advance": func(rt *rapid.T) {
				d := time.Duration(rapid.IntRange(0, 2500).Draw(rt, "ms")) * time.Millisecond
				h.advance(d)
				m.Advance(d)
			},
			"ack": func(rt *rapid.T) {
				if len(handles) == 0 {
					rt.Skip("nothing connected")
				}
				hd := rapid.SampledFrom(handles).Draw(rt, "handle")
				n := m.Ack(hd, rapid.IntRange(1, 4).Draw(rt, "n"))
				if c := h.conns[hd]; c != nil {
					for i := 0; i < n; i++ {
						c.Link.Ack()
					}
					sig := h.sigOf[hd]
					h.apply(sig, h.cores[sig].Wake(hd))
				}
			},
		})
	})
}

// compareTranscripts compares what each connection was handed (which
// emissions, in which order, with which overflow counts).
func compareTranscripts(rt *rapid.T, handles []signalbus.Handle, got, want map[signalbus.Handle][]ModelDelivery) {
	strip := func(ds []ModelDelivery) string {
		out := make([]string, len(ds))
		for i, d := range ds {
			out[i] = fmt.Sprintf("%d/%d", d.Emit, d.Dropped)
		}
		return fmt.Sprint(out)
	}
	for _, hd := range handles {
		g, w := strip(got[hd]), strip(want[hd])
		if g != w {
			rt.Fatalf("connection %s:\n got  %v\n want %v", hd, g, w)
		}
	}
}
