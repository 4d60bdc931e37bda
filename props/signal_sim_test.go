package props

import (
	"context"
	"errors"
	"time"

	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
	"pgregory.net/rapid"
)

// simSession is a session of the actor-level machine, with its recorder.
type simSession struct {
	s        *signalbus.Session
	rec      *Recorder
	pid      *actor.PID
	limit    int
	policy   signalbus.Policy
	started  bool
	defaults bool
	closed   bool
}

type simHarness struct {
	w        *sim.World
	bus      *signalbus.Bus
	sigs     *SigSignals
	m        *SigModel
	sessions []*simSession
	keys     []string        // every connection key, in connect order
	ownerOf  map[string]int  // key → session index
	held     map[string]bool // keys whose deliveries the recorder holds
	selfOff  map[string]int  // key → transcript length when marked
	handles  map[string]bool // explicit keys
	closedAt map[string]int  // key → transcript length when disconnect returned (I7)
	issued   map[string]bool // every handle ever returned (I1)
	everHeld map[string]bool
	filterOf map[string]string
	sigOf    map[string]string
}

func (h *simHarness) settle(rt *rapid.T) {
	if _, err := h.w.Run(sim.Until(h.w.Now())); err != nil {
		rt.Fatal(err)
	}
	// The model's slots acknowledge like the recorders: at once, unless
	// held; a marked connection disconnects itself on its next delivery.
	for changed := true; changed; {
		changed = false
		for _, k := range h.keys {
			if n, ok := h.selfOff[k]; ok && len(h.m.Transcripts[signalbus.Handle(k)]) > n {
				h.m.Transcripts[signalbus.Handle(k)] = h.m.Transcripts[signalbus.Handle(k)][:n+1]
				_ = h.m.Disconnect(signalbus.Handle(k), h.sessions[h.ownerOf[k]].s.ID())
				delete(h.selfOff, k)
				changed = true
			}
			if !h.held[k] && h.m.Ack(signalbus.Handle(k), 1<<30) > 0 {
				changed = true
			}
		}
	}
}

// TestSignalActorsMatchModel runs the signal actors, sessions and slots in
// the simulator and compares each connection's transcript with the
// model's after every step: filters, default connections and opting out,
// session close, blocking and in-slot disconnects, another session's
// handle, stalled slots with both overflow policies, and throttling in
// virtual time.
func TestSignalActorsMatchModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		w := sim.New(seed)
		bus := signalbus.New(w.MustNode("n1"))
		sigs, err := NewSigSignals(bus)
		if err != nil {
			rt.Fatal(err)
		}
		h := &simHarness{w: w, bus: bus, sigs: sigs, m: NewSigModel(simSignals), ownerOf: map[string]int{}, held: map[string]bool{},
			selfOff: map[string]int{}, handles: map[string]bool{}, closedAt: map[string]int{}, issued: map[string]bool{},
			everHeld: map[string]bool{}, filterOf: map[string]string{}, sigOf: map[string]string{}}
		ctx := context.Background()
		devs := rapid.SampledFrom([]string{"a", "b"})
		// A backlog of 1 (window 1, no queue) is left to the core machine:
		// here, two fan-outs reaching one connection in the same step (two
		// keys of a throttled signal ending their periods together) race
		// with the slot's acknowledgement, so whether the second is dropped
		// depends on the schedule, not on the operations.
		limits := rapid.SampledFrom([]int{2, 3, 5, 64})
		liveSession := func(rt *rapid.T) (int, *simSession) {
			var open []int
			for i, s := range h.sessions {
				if !s.closed {
					open = append(open, i)
				}
			}
			if len(open) == 0 {
				rt.Skip("no session")
			}
			i := rapid.SampledFrom(open).Draw(rt, "session")
			return i, h.sessions[i]
		}
		connectModel := func(key string, owner uint64, sig int, filter map[int]string, limit int, pol signalbus.Policy, dflt bool) {
			win, q := signalbus.SplitQueue(limit)
			h.m.Connect(ModelConn{Handle: signalbus.Handle(key), Owner: owner, Signal: sig, Filter: filter, Default: dflt, Window: win, Limit: q, Policy: pol})
			h.filterOf[key], h.sigOf[key] = filter[0], simSignals[sig].Name
			h.keys = append(h.keys, key)
		}
		actions := map[string]func(*rapid.T){
			"newSession": func(rt *rapid.T) {
				rec := NewRecorder()
				pid, err := bus.System().Spawn(actor.PropsFromProducer(func() actor.Actor { return rec }))
				if err != nil {
					rt.Fatal(err)
				}
				ss := &simSession{rec: rec, pid: pid, limit: limits.Draw(rt, "limit"), policy: signalbus.Policy(rapid.IntRange(0, 1).Draw(rt, "policy")), defaults: true}
				if ss.s, err = bus.NewSession(signalbus.ActorSink(pid), signalbus.SessionQueue(ss.limit, ss.policy)); err != nil {
					rt.Fatal(err)
				}
				rec.Session = ss.s
				h.sessions = append(h.sessions, ss)
				h.settle(rt)
			},
			"start": func(rt *rapid.T) {
				i, ss := liveSession(rt)
				if err := ss.s.Start(); err != nil {
					rt.Fatal(err)
				}
				if !ss.started && ss.defaults {
					for sig, info := range simSignals {
						key := DefaultKey(ss.s.ID(), info.Name)
						h.ownerOf[key] = i
						connectModel(key, ss.s.ID(), sig, nil, ss.limit, ss.policy, true)
					}
				}
				ss.started = true
				h.settle(rt)
			},
			"disconnectDefaults": func(rt *rapid.T) {
				_, ss := liveSession(rt)
				if err := ss.s.DisconnectDefaults(ctx); err != nil {
					rt.Fatal(err)
				}
				if ss.started && ss.defaults {
					for _, info := range simSignals {
						key := DefaultKey(ss.s.ID(), info.Name)
						_ = h.m.Disconnect(signalbus.Handle(key), ss.s.ID())
						h.closedAt[key] = len(ss.rec.Got[key])
					}
				}
				ss.defaults = false
				h.settle(rt)
			},
			"connect": func(rt *rapid.T) {
				i, ss := liveSession(rt)
				sig := rapid.IntRange(0, 1).Draw(rt, "signal")
				limit, pol := limits.Draw(rt, "limit"), signalbus.Policy(rapid.IntRange(0, 1).Draw(rt, "policy"))
				opts := []signalbus.ConnectOption{signalbus.InSession(ss.s), signalbus.Queue(limit, pol)}
				filter := map[int]string{}
				if rapid.Bool().Draw(rt, "filtered") {
					d := devs.Draw(rt, "dev")
					filter[0] = d
					opts = append(opts, signalbus.Arg("dev", d))
				}
				hd, err := sigs.Of(sig).Connect(ctx, signalbus.ActorSlot[SigEvent](ss.pid), opts...)
				if !ss.started {
					if !errors.Is(err, signalbus.ErrNotStarted) {
						rt.Fatalf("I14: connect on a session not started: %v, want ErrNotStarted", err)
					}
					h.settle(rt)
					return
				}
				if err != nil {
					rt.Fatal(err)
				}
				if h.issued[string(hd)] {
					rt.Fatalf("I1: handle %s issued twice", hd)
				}
				h.issued[string(hd)] = true
				key := string(hd)
				h.ownerOf[key], h.handles[key] = i, true
				connectModel(key, ss.s.ID(), sig, filter, limit, pol, false)
				h.settle(rt)
			},
			"disconnect": func(rt *rapid.T) {
				if len(h.handles) == 0 {
					rt.Skip("no connection")
				}
				key := rapid.SampledFrom(actors.SortedKeys(h.handles)).Draw(rt, "handle")
				j := rapid.IntRange(0, len(h.sessions)-1).Draw(rt, "by")
				by := h.sessions[j]
				err := by.s.Disconnect(ctx, signalbus.Handle(key))
				merr := h.m.Disconnect(signalbus.Handle(key), by.s.ID())
				if (err == nil) != (merr == nil) || (err != nil && !errors.Is(err, signalbus.ErrUnknownHandle)) {
					rt.Fatalf("I2: disconnect %s by session %d: %v, model %v", key, by.s.ID(), err, merr)
				}
				if err == nil {
					h.closedAt[key] = len(h.sessions[h.ownerOf[key]].rec.Got[key])
				}
				h.settle(rt)
			},
			"selfDisconnect": func(rt *rapid.T) {
				var open []string
				for _, k := range actors.SortedKeys(h.handles) {
					if h.m.Open(signalbus.Handle(k)) {
						if _, marked := h.selfOff[k]; !marked {
							open = append(open, k)
						}
					}
				}
				if len(open) == 0 {
					rt.Skip("no open connection")
				}
				key := rapid.SampledFrom(open).Draw(rt, "handle")
				ss := h.sessions[h.ownerOf[key]]
				bus.System().Send(ss.pid, SelfDisconnect(key, signalbus.Handle(key)))
				h.selfOff[key] = len(h.m.Transcripts[signalbus.Handle(key)])
				h.settle(rt)
			},
			"emit": func(rt *rapid.T) {
				// A burst: one emission at a time would rarely fill a
				// stalled connection's backlog (overflow, I28) or give a
				// throttled key more than one emission in a period (I17,
				// I18). Each settles before the next, so the slots that
				// keep up acknowledge in between, as the model says.
				for i, n := 0, rapid.IntRange(1, 6).Draw(rt, "burst"); i < n; i++ {
					sig := rapid.IntRange(0, 1).Draw(rt, "signal")
					dev := devs.Draw(rt, "dev")
					action := "report"
					if sig == 1 && oneIn(rt, "stop", 4) {
						action = "stop"
					}
					id := h.m.Emit(sig, []string{dev}, dev, action == "stop")
					if err := sigs.Of(sig).Emit(SigEvent{Dev: dev, Action: action, ID: id}, dev); err != nil {
						rt.Fatal(err)
					}
					h.settle(rt)
				}
			},
			"advance": func(rt *rapid.T) {
				d := time.Duration(rapid.IntRange(1, 2500).Draw(rt, "ms")) * time.Millisecond
				if _, err := w.Run(w.For(d)); err != nil {
					rt.Fatal(err)
				}
				h.m.Advance(d)
				h.settle(rt)
			},
			"hold": func(rt *rapid.T) {
				if len(h.keys) == 0 {
					rt.Skip("no connection")
				}
				key := rapid.SampledFrom(h.keys).Draw(rt, "key")
				h.held[key], h.everHeld[key] = true, true
				bus.System().Send(h.sessions[h.ownerOf[key]].pid, Hold(key))
				h.settle(rt)
			},
			"release": func(rt *rapid.T) {
				if len(h.held) == 0 {
					rt.Skip("nothing held")
				}
				key := rapid.SampledFrom(actors.SortedKeys(h.held)).Draw(rt, "key")
				n := rapid.IntRange(1, 4).Draw(rt, "n")
				bus.System().Send(h.sessions[h.ownerOf[key]].pid, Release(key, n))
				// The recorder holds what was handed over; releasing all of
				// it ends the hold.
				_, before := h.m.Backlog(signalbus.Handle(key))
				h.m.Ack(signalbus.Handle(key), n)
				if n >= before || !h.m.Open(signalbus.Handle(key)) {
					delete(h.held, key)
					bus.System().Send(h.sessions[h.ownerOf[key]].pid, Release(key, 1<<30))
				}
				h.settle(rt)
			},
			"closeSession": func(rt *rapid.T) {
				// Rarely: closing takes every connection of the session
				// with it.
				if !oneIn(rt, "closeChance", 8) {
					rt.Skip("not this time")
				}
				_, ss := liveSession(rt)
				ss.s.Close()
				ss.closed = true
				h.m.CloseOwner(ss.s.ID())
				for _, k := range h.keys {
					if h.sessions[h.ownerOf[k]] == ss {
						if _, ok := h.closedAt[k]; !ok {
							h.closedAt[k] = len(ss.rec.Got[k])
						}
					}
				}
				h.settle(rt)
			},
			"": func(rt *rapid.T) {
				got := map[signalbus.Handle][]ModelDelivery{}
				var hs []signalbus.Handle
				for _, k := range h.keys {
					for _, s := range h.sessions[h.ownerOf[k]].rec.Got[k] {
						got[signalbus.Handle(k)] = append(got[signalbus.Handle(k)], ModelDelivery{Emit: s.ID, Dropped: s.Dropped})
					}
					hs = append(hs, signalbus.Handle(k))
				}
				compareTranscripts(rt, hs, got, h.m.Transcripts)
				for k, n := range h.closedAt { //detguard:unordered test check, any order
					if g := len(h.sessions[h.ownerOf[k]].rec.Got[k]); g != n {
						rt.Fatalf("I7: %s got %d deliveries after its disconnect returned (had %d)", k, g-n, n)
					}
				}
				if err := CheckSignalLog(h.log(), SlowPeriod); err != nil {
					rt.Fatal(err)
				}
			},
		}
		// Two sessions to start with, one of them started.
		actions["newSession"](rt)
		actions["newSession"](rt)
		actions["start"](rt)
		rt.Repeat(actions)
		bus.Close()
		if err := w.Close(); err != nil {
			rt.Fatal(err)
		}
	})
}

// log collects what every recorder saw, for the model-free invariants.
func (h *simHarness) log() *SignalLog {
	l := &SignalLog{Conns: map[string]*ConnLog{}}
	for _, k := range h.keys {
		ss := h.sessions[h.ownerOf[k]]
		cl := &ConnLog{Explicit: h.handles[k], Filter: h.filterOf[k], Signal: h.sigOf[k], KeptUp: !h.everHeld[k], Seen: ss.rec.Got[k]}
		l.Conns[k] = cl
	}
	return l
}
