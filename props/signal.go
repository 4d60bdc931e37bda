package props

import (
	"context"
	"fmt"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/asynkron/protoactor-go/actor"
)

// The signal workload's pieces, shared by the rapid state machine over the
// actors (signal_sim_test.go) and the simrun scenario (signal_scenario.go).

// SigEvent is the event type of the workload's signals. ID names the
// emission (the model's id); Action "stop" is exempt from throttling.
type SigEvent struct {
	Dev    string `json:"dev"`
	Action string `json:"action"`
	ID     int    `json:"id"`
}

// SigSignals are the workload's two signals: Plain (accessor argument
// dev) and Slow (dev, throttled per dev, "stop" exempt).
type SigSignals struct {
	Plain, Slow *signalbus.Signal[SigEvent]
}

// SlowPeriod is the Slow signal's throttle period.
const SlowPeriod = time.Second

// simSignals describes SigSignals for the model.
var simSignals = []ModelSignal{{Name: "PlainEvent", Args: 1}, {Name: "SlowEvent", Args: 1, Throttle: SlowPeriod}}

// NewSigSignals registers the workload's signals on bus.
func NewSigSignals(bus *signalbus.Bus) (*SigSignals, error) {
	plain, err := signalbus.NewSignal[SigEvent](bus, "PlainEvent", signalbus.WithArgs("dev"))
	if err != nil {
		return nil, err
	}
	slow, err := signalbus.NewSignal[SigEvent](bus, "SlowEvent", signalbus.WithArgs("dev"),
		signalbus.WithThrottle(signalbus.Throttle{Period: SlowPeriod, Key: "dev", Exempt: map[string][]string{"action": {"stop"}}}))
	if err != nil {
		return nil, err
	}
	return &SigSignals{Plain: plain, Slow: slow}, nil
}

// Of returns signal i (0 Plain, 1 Slow).
func (s *SigSignals) Of(i int) *signalbus.Signal[SigEvent] {
	if i == 0 {
		return s.Plain
	}
	return s.Slow
}

// Seen is one delivery as a slot saw it.
type Seen struct {
	ID      int
	Dropped uint64
	Tag     signalbus.Handle
	Seq     uint64
	Emitted time.Time // Event.Time
	At      time.Time // when the slot got it
	Dev     string
	Action  string
	Signal  string
	Order   int // position in the run's order of recorded events (0: not ordered)
}

// Recorder is an actor slot (a session's sink) that records what it is
// handed per connection, and can hold deliveries unacknowledged (a
// stalled slot), release them, and disconnect a connection from inside
// its own slot. Its key for a connection is the tag, or for a default
// connection "s<session>/<signal>".
type Recorder struct {
	Session *signalbus.Session
	Got     map[string][]Seen
	hold    map[string]bool
	held    map[string][]signalbus.Delivery
	selfOff map[string]signalbus.Handle
	// Clock, when set, orders the recorder's deliveries and its own
	// disconnects with the rest of the run (the director shares it).
	Clock *int
	// OffAt is when (in Clock's order) the recorder's own Disconnect of a
	// connection returned.
	OffAt map[string]int
}

// tick advances the shared order and returns the new position.
func (r *Recorder) tick() int {
	if r.Clock == nil {
		return 0
	}
	*r.Clock++
	return *r.Clock
}

type (
	recHold    struct{ key string }
	recRelease struct {
		key string
		n   int
	}
	recSelfOff struct {
		key string
		h   signalbus.Handle
	}
)

// spawnRecorder starts recorder i (a child of the calling actor) ordered
// by clock, and a session of bus delivering to it with queue as backlog
// bound of every connection.
func spawnRecorder(c actor.Context, bus *signalbus.Bus, clock *int, i, queue int) (*Recorder, *actor.PID) {
	rec := NewRecorder()
	rec.Clock = clock
	pid, err := c.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return rec }), fmt.Sprintf("recorder%d", i))
	if err != nil {
		panic(err)
	}
	s, err := bus.NewSession(signalbus.ActorSink(pid), signalbus.SessionQueue(queue, signalbus.DropOldest))
	if err != nil {
		panic(err)
	}
	rec.Session = s
	return rec, pid
}

// NewRecorder returns a recorder (its Session is set once the session
// exists).
func NewRecorder() *Recorder {
	return &Recorder{Got: map[string][]Seen{}, hold: map[string]bool{}, held: map[string][]signalbus.Delivery{}, selfOff: map[string]signalbus.Handle{}, OffAt: map[string]int{}}
}

// DefaultKey is the recorder key of a session's default connection.
func DefaultKey(session uint64, signal string) string { return fmt.Sprintf("s%d/%s", session, signal) }

// Receive implements actor.Actor.
func (r *Recorder) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case signalbus.Delivery:
		if !m.Live() {
			m.Done()
			return
		}
		ev := m.AnyEvent()
		h := ev.Head()
		key := string(ev.EventTag())
		if key == "" {
			key = DefaultKey(r.Session.ID(), h.Signal.Name)
		}
		v := ev.Data().(SigEvent)
		r.Got[key] = append(r.Got[key], Seen{ID: v.ID, Dropped: ev.EventDropped(), Tag: ev.EventTag(), Seq: h.Seq, Emitted: h.Time,
			At: actors.FromContext(c).Now(), Dev: v.Dev, Action: v.Action, Signal: h.Signal.Name, Order: r.tick()})
		if r.hold[key] {
			r.held[key] = append(r.held[key], m)
		} else {
			m.Done()
		}
		if off, ok := r.selfOff[key]; ok {
			delete(r.selfOff, key)
			_ = r.Session.Disconnect(signalbus.InActor(context.Background()), off)
			r.OffAt[key] = r.tick()
		}
	case *signalbus.Fence:
		c.Respond(&struct{}{})
	case *recHold:
		r.hold[m.key] = true
	case *recRelease:
		n := min(m.n, len(r.held[m.key]))
		for _, d := range r.held[m.key][:n] {
			d.Done()
		}
		r.held[m.key] = r.held[m.key][n:]
		if len(r.held[m.key]) == 0 {
			delete(r.hold, m.key)
		}
	case *recSelfOff:
		r.selfOff[m.key] = m.h
	}
}

// Hold makes the recorder stop acknowledging key's deliveries.
func Hold(key string) any { return &recHold{key: key} }

// Release acknowledges n held deliveries of key (and resumes
// acknowledging once none are held).
func Release(key string, n int) any { return &recRelease{key: key, n: n} }

// SelfDisconnect makes the recorder disconnect h from inside its slot on
// key's next delivery.
func SelfDisconnect(key string, h signalbus.Handle) any { return &recSelfOff{key: key, h: h} }
