package props

import (
	"context"
	"fmt"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// The remote-signal workload: the signal workload's two signals (plain,
// and throttled per dev) live on node "a", which serves them; emitters
// there emit at random. Subscriber nodes "b1", "b2", … (booted, so crash
// faults kill and restart them) each run a director that connects, in two
// sessions, remote slots (recorders) to those signals, disconnects them
// (from outside the slot and from inside it), stalls and releases them;
// a director on "a" does the same with local connections. A witness on
// "a" (a local connection with room for everything) records every
// fan-out. After the heal and a settling time, a tail of emissions must
// reach every connection that survived. When the profile has partitions,
// the scenario also cuts one subscriber off "a" for longer than the
// keepalive, so that its connections are lost and made again
// (rsignal_cut.go). CheckRemoteSignal checks the invariants
// (rsignal_check.go); RemoteSignal runs it all (rsignal_run.go).

// RemoteSignalConfig sizes the remote-signal scenario.
type RemoteSignalConfig struct {
	Subscribers int           // subscriber nodes
	Duration    time.Duration // emitters emit and directors churn this long
	MaxGap      time.Duration // an emitter waits up to this between emissions
	Churn       time.Duration // a director acts this often
	QueueSize   int           // backlog bound of every connection
	Tail        int           // emissions per signal and dev after the heal
	Settle      time.Duration // after the heal, before the tail
}

// DefaultRemoteSignal is the configuration simrun uses.
var DefaultRemoteSignal = RemoteSignalConfig{Subscribers: 2, Duration: 3 * time.Second, MaxGap: 80 * time.Millisecond,
	Churn: 120 * time.Millisecond, QueueSize: 6, Tail: 3, Settle: 3 * time.Second}

// RemoteSignalReport is what the remote-signal scenario saw.
type RemoteSignalReport struct {
	Finished bool                                 // the run is over: nothing changes the report after (not the world's Close)
	Emits    *SignalReport                        // Emitted, EmitIndex, Last
	Witness  map[string][]Seen                    // signal name → every fan-out, in order
	WitnessH map[string]signalbus.Handle          // signal name → the witness's connection
	Conns    map[string]*RemoteConn               // key "node#incarnation/handle" → connection
	Clock    int                                  // orders deliveries and disconnects across the run
	Inc      map[string]int                       // node → its current incarnation (from 1)
	Epochs   map[string][]uint64                  // node → its client's epoch per incarnation
	Losses   []signalbus.PeerLoss                 // what the server reported
	TailFrom int                                  // emissions before the tail
	Tail     map[string][]int                     // "signal/dev" → the tail's emission ids, in order
	Server   *signalbus.ServerStats               // at the end
	Signals  map[string]map[signalbus.Handle]bool // signal name → its connections on "a" at the end
	Cut      *RemoteSignalCut                     // the scenario's own cut (nil: none; rsignal_cut.go)
}

// RemoteConn is one connection a director made.
type RemoteConn struct {
	Key       string
	Node      string
	Inc       int
	Handle    signalbus.Handle
	Remote    bool
	Signal    int
	Filter    string
	Policy    signalbus.Policy
	Session   int // the director's session (and recorder) index
	Rec       *Recorder
	Watermark int   // emissions before it was made
	Open      bool  // not disconnected, lost or crashed
	Keep      bool  // the director never disconnects it (and reconnects it when lost)
	Again     bool  // made again after its predecessor was lost
	Held      bool  // its slot stalled at some point
	Lost      error // how the connection was lost (OnLost)
	Crashed   bool  // its node crashed while it was open
	OffAt     int   // when (in Clock's order) the director's Disconnect returned
}

// rsLost tells a director that one of its remote connections was lost.
type rsLost struct {
	h   signalbus.Handle
	err error
}

// rsDirector connects, disconnects, stalls and releases the connections
// of one node incarnation: local ones on "a", remote ones elsewhere.
type rsDirector struct {
	node    string
	inc     int
	cfg     RemoteSignalConfig
	rep     *RemoteSignalReport
	bus     *signalbus.Bus
	local   *SigSignals            // on "a"
	remote  [2]signalbus.RemoteRef // on a subscriber node
	until   time.Time              // churn stops then
	recs    []*Recorder
	recPIDs []*actor.PID
	mine    map[signalbus.Handle]*RemoteConn
	churn   *actors.Timer
}

func (d *rsDirector) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		d.start(c)
	case *churnTick:
		if actors.FromContext(c).Now().Before(d.until) {
			d.act(c)
		} else {
			d.end(c)
		}
	case *rsLost:
		// After the run (the world's Close stops the server on "a") a
		// loss is not the run's: the report stays as the checks saw it.
		if d.rep.Finished {
			return
		}
		if k := d.mine[m.h]; k != nil && k.Open {
			k.Open, k.Lost = false, m.err
			// A lost peer is tried again, after a pause; a closed
			// signal (the run is over) is not.
			if k.Keep && errors.Is(m.err, signalbus.ErrPeerGone) {
				actors.After(c, reconnectPause, &rsReconnect{k})
			}
		}
	case *rsReconnect:
		d.connect(c, m.k.Session, m.k.Signal, m.k.Filter, m.k.Policy, true).Again = true
	}
}

// reconnectPause is how long a director waits before it makes a lost
// connection again.
const reconnectPause = 50 * time.Millisecond

// rsReconnect makes a lost connection again.
type rsReconnect struct{ k *RemoteConn }

func (d *rsDirector) start(c actor.Context) {
	d.mine = map[signalbus.Handle]*RemoteConn{}
	for i := 0; i < 2; i++ {
		rec, pid := spawnRecorder(c, d.bus, &d.rep.Clock, i, d.cfg.QueueSize)
		_ = rec.Session.DisconnectDefaults(signalbus.InActor(context.Background()))
		_ = rec.Session.Start()
		d.recs, d.recPIDs = append(d.recs, rec), append(d.recPIDs, pid)
		// Connections kept to the end: each signal, one of them filtered.
		d.connect(c, i, i, "", signalbus.DropOldest, true)
		d.connect(c, i, 1-i, "a", signalbus.DropNewest, true)
	}
	if actors.FromContext(c).Now().Before(d.until) {
		d.churn = actors.Every(c, d.cfg.Churn, &churnTick{})
	}
}

func (d *rsDirector) connect(c actor.Context, sess, sig int, filter string, policy signalbus.Policy, keep bool) *RemoteConn {
	opts := []signalbus.ConnectOption{signalbus.Queue(d.cfg.QueueSize, policy)}
	if filter != "" {
		opts = append(opts, signalbus.Arg("dev", filter))
	}
	var h signalbus.Handle
	var err error
	if d.local != nil {
		h, err = d.recs[sess].Session.Connect(d.local.Of(sig), opts...)
	} else {
		sys, self := actors.FromContext(c), c.Self()
		opts = append(opts, signalbus.OnLost(func(h signalbus.Handle, err error) { sys.Send(self, &rsLost{h: h, err: err}) }))
		h, err = d.recs[sess].Session.ConnectRemote(signalbus.InActor(context.Background()), d.remote[sig], opts...)
	}
	if err != nil {
		panic(err)
	}
	k := &RemoteConn{Key: fmt.Sprintf("%s#%d/%s", d.node, d.inc, h), Node: d.node, Inc: d.inc, Handle: h, Remote: d.local == nil,
		Signal: sig, Filter: filter, Policy: policy, Session: sess, Rec: d.recs[sess], Watermark: d.rep.Emits.Emitted, Open: true, Keep: keep}
	d.rep.Conns[k.Key] = k
	d.mine[h] = k
	return k
}

// act does one random thing to the node's connections.
func (d *rsDirector) act(c actor.Context) {
	rng := actors.FromContext(c).Rand()
	var open, churnable []*RemoteConn
	for _, h := range actors.SortedKeys(d.mine) {
		if k := d.mine[h]; k.Open {
			open = append(open, k)
			if !k.Keep {
				churnable = append(churnable, k)
			}
		}
	}
	switch op := rng.IntN(6); {
	case op <= 1 || len(churnable) == 0:
		filter := ""
		if rng.IntN(2) == 0 {
			filter = []string{"a", "b"}[rng.IntN(2)]
		}
		d.connect(c, rng.IntN(len(d.recs)), rng.IntN(2), filter, signalbus.Policy(rng.IntN(2)), false)
	case op == 2: // disconnect from here
		k := churnable[rng.IntN(len(churnable))]
		_ = k.Rec.Session.Disconnect(signalbus.InActor(context.Background()), k.Handle)
		d.rep.Clock++
		k.OffAt, k.Open = d.rep.Clock, false
	case op == 3: // disconnect from inside the slot, on its next delivery
		k := churnable[rng.IntN(len(churnable))]
		c.Send(d.recPIDs[k.Session], SelfDisconnect(string(k.Handle), k.Handle))
		k.Open = false
	default: // stall or resume
		k := open[rng.IntN(len(open))]
		if k.Held {
			c.Send(d.recPIDs[k.Session], Release(string(k.Handle), 1+rng.IntN(4)))
		} else {
			k.Held = true
			c.Send(d.recPIDs[k.Session], Hold(string(k.Handle)))
		}
	}
}

// end stops the churn and releases every stalled slot.
func (d *rsDirector) end(c actor.Context) {
	if d.churn != nil {
		d.churn.Stop()
		d.churn = nil
	}
	for _, h := range actors.SortedKeys(d.mine) {
		if k := d.mine[h]; k.Held {
			c.Send(d.recPIDs[k.Session], Release(string(h), 1<<30))
		}
	}
}
