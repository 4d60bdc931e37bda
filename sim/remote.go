package sim

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"
)

// The network between nodes carries actor messages as protoactor's remote
// does, without gRPC: a node's PIDs carry its name as their address, and
// each node's process registry resolves other nodes' addresses to a link
// process of this World. Links are one per ordered pair of nodes, FIFO
// like remote's one stream per peer, with latency and the faults of
// NetFaults; partitions and clogs are set by the nemesis or by scenarios.

// NetFaults are the message-level faults of the network between nodes.
type NetFaults struct {
	// LatencyMin and LatencyMax bound the one-way latency of a message.
	LatencyMin Duration `json:"latency_min,omitempty"`
	LatencyMax Duration `json:"latency_max,omitempty"`
	// Drop, Duplicate and Reorder are per-message probabilities. A
	// reordered message ignores its link's FIFO order and is held back
	// (by up to LatencyMax, at least 1ms), so later ones may overtake it
	// until the heal: none sent after the heal does.
	Drop      float64 `json:"drop,omitempty"`
	Duplicate float64 `json:"duplicate,omitempty"`
	Reorder   float64 `json:"reorder,omitempty"`
}

// RemoteOptions are the properties of the inter-node transport itself.
type RemoteOptions struct {
	// Loose lets non-protobuf messages cross nodes. protoactor remote
	// drops them (logging an error), so by default such a send fails
	// the run.
	Loose bool
	// MaxFrame is the largest message that crosses (gRPC's default
	// MaxRecvMsgSize is 4 MiB); larger ones are dropped, as remote
	// silently does. 0 means 4 MiB.
	MaxFrame int
	// DetectDown is how long after a node dies its peers' watchers get
	// Terminated{AddressTerminated} (a killed process is noticed at once
	// through TCP RST). 0 means 5ms.
	DetectDown time.Duration
	// Keepalive is how long a partitioned peer goes unnoticed before its
	// watchers get Terminated{AddressTerminated}. 0 means 3s.
	Keepalive time.Duration
}

// WithRemote sets the inter-node transport's options.
func WithRemote(o RemoteOptions) Option { return func(w *World) { w.net.opts = o } }

type link struct {
	from, to    string
	fifo        timeLane      // latest delivery time scheduled (FIFO)
	late        timeLane      // latest delivery time of a reordered message
	blocked     bool          // partitioned: messages are lost
	clogUntil   time.Duration // clogged: messages wait until then
	suspectedAt time.Duration // when the partition began, for keepalive
}

type network struct {
	opts    RemoteOptions
	faults  NetFaults
	links   map[[2]string]*link
	watches map[string][]*actor.PID // watched remote actor (addr/id) → its remote watchers
}

func (n *network) link(from, to string) *link {
	if n.links == nil {
		n.links = map[[2]string]*link{}
	}
	k := [2]string{from, to}
	l, ok := n.links[k]
	if !ok {
		l = &link{from: from, to: to}
		n.links[k] = l
	}
	return l
}

// SetNetFaults replaces the message-level faults of the inter-node
// network (the nemesis sets them from the run's profile). Invalid faults
// (a rate that is not a probability, a latency range that is not an
// interval) are refused: they fail the World's next Run with an error
// matching ErrInvalid, and the faults stay as they were.
func (w *World) SetNetFaults(f NetFaults) {
	if err := f.validate("net."); err != nil {
		w.fail(errors.Wrap(err, "sim: SetNetFaults"))
		return
	}
	w.net.faults = f
}

// validate checks the rates are probabilities and the latencies an
// interval, naming the field (after prefix). Its errors match ErrInvalid.
func (f NetFaults) validate(prefix string) error {
	for _, c := range []struct {
		name string
		v    float64
	}{{"drop", f.Drop}, {"duplicate", f.Duplicate}, {"reorder", f.Reorder}} {
		if err := checkProb(prefix+c.name, c.v); err != nil {
			return errors.Wrap(ErrInvalid, err.Error())
		}
	}
	if f.LatencyMin < 0 || f.LatencyMax < f.LatencyMin {
		return errors.Wrapf(ErrInvalid, "%slatency %v-%v is not an interval", prefix, f.LatencyMin, f.LatencyMax)
	}
	return nil
}

// remoteProcess is the protoactor Process a node's registry returns for a
// PID of another node: sends go onto the link from → to.
type remoteProcess struct {
	w        *World
	from, to string
}

// resolver returns the address resolver of node from.
func (w *World) resolver(from string) actor.AddressResolver {
	return func(pid *actor.PID) (actor.Process, bool) {
		if _, ok := w.byName[pid.Address]; !ok {
			return nil, false
		}
		return &remoteProcess{w: w, from: from, to: pid.Address}, true
	}
}

// SendUserMessage implements actor.Process.
func (p *remoteProcess) SendUserMessage(pid *actor.PID, message any) {
	p.w.transmit(p.from, p.to, pid, message, false)
}

// SendSystemMessage implements actor.Process.
func (p *remoteProcess) SendSystemMessage(pid *actor.PID, message any) {
	p.w.transmit(p.from, p.to, pid, message, true)
}

// Stop implements actor.Process.
func (p *remoteProcess) Stop(pid *actor.PID) {
	p.w.transmit(p.from, p.to, pid, &actor.Stop{}, true)
}

// transmit puts a message on the link from → to, applying the faults.
func (w *World) transmit(from, to string, pid *actor.PID, message any, system bool) {
	if !w.onLoop() {
		w.escaped("remote message "+foreignTypeName(actor.UnwrapEnvelopeMessage(message)), to+"/"+pid.Id)
		return
	}
	copied, err := w.copyForWire(message)
	if err != nil {
		w.fail(errors.Wrapf(err, "sim: %s → %s/%s", from, to, pid.Id))
		return
	}
	if copied == nil {
		w.Note(fmt.Sprintf("net: %s → %s dropped oversize %s", from, to, w.types.of(actor.UnwrapEnvelopeMessage(message)).name))
		return
	}
	w.trackWatch(from, to, pid, copied)
	l := w.net.link(from, to)
	if l.blocked {
		w.Note(fmt.Sprintf("net: %s → %s lost %s (partitioned)", from, to, w.types.of(actor.UnwrapEnvelopeMessage(message)).name))
		return
	}
	f := w.net.faults
	rng := w.Rand("net/remote")
	linkName := from + ">" + to
	if w.Decide("drop", linkName, f.Drop) {
		return
	}
	copies := 1
	if w.Decide("duplicate", linkName, f.Duplicate) {
		copies = 2
	}
	// The incarnation the message is sent to: if the node crashes before
	// the message arrives, the connection it travels on dies with it.
	epoch := w.byName[to].epoch
	for i := 0; i < copies; i++ {
		lat := f.LatencyMin.D()
		if f.LatencyMax > f.LatencyMin {
			lat += time.Duration(rng.Int64N(int64(f.LatencyMax-f.LatencyMin) + 1))
		}
		at := w.clock.now + lat
		base := at // its arrival without the clog
		// Held until the clog clears, or the heal mends it.
		if until := w.releaseBy(l.clogUntil); until > at {
			at = until
		}
		ln := &l.fifo
		if w.Decide("reorder", linkName, f.Reorder) {
			// Held back: later messages on the link may overtake it,
			// until the heal.
			extra := w.reorderDelay(linkName, f)
			at += extra
			base += extra
			l.late.last = max(l.late.last, at)
			ln = &l.late
		} else {
			if w.healed {
				// From the heal on the link is FIFO again: nothing
				// overtakes a message held back before it.
				at = max(at, l.late.last)
				base = max(base, l.late.last)
			}
			if at < l.fifo.last {
				at = l.fifo.last
			}
			l.fifo.last = at
		}
		msg := copied
		// A device timer: a message on the wire outlives its sender.
		w.clock.afterWire(at, holder{link: l}, base, ln, func() { w.arrive(from, to, epoch, pid, msg, system) })
	}
}

// reorderDelay draws how long a reordered message on link is held back
// beyond its latency: 1ns up to the latency range's top (at least 1ms),
// so that messages sent after it within that time overtake it even when
// every message has the same latency. The draw comes from a stream of
// the fault opportunity's own, so a replayed or shrunk plan keeps the
// delays of the reorders it keeps, and no other stream moves.
func (w *World) reorderDelay(link string, f NetFaults) time.Duration {
	span := max(f.LatencyMax.D(), time.Millisecond)
	rng := w.faultStream("reorder", link)
	return 1 + time.Duration(rng.Int64N(int64(span)))
}

// arrive hands a message that crossed the network to the target node's
// incarnation it was sent to; a message for a node that is down, or
// that crashed (and perhaps restarted) since the message left, is lost.
func (w *World) arrive(from, to string, epoch int, pid *actor.PID, message any, system bool) {
	n := w.byName[to]
	if n == nil || n.down {
		w.Note(fmt.Sprintf("net: %s → %s lost %s (node down)", from, to, w.types.of(actor.UnwrapEnvelopeMessage(message)).name))
		return
	}
	if n.epoch != epoch {
		w.Note(fmt.Sprintf("net: %s → %s lost %s (node restarted since it was sent)", from, to, w.types.of(actor.UnwrapEnvelopeMessage(message)).name))
		return
	}
	if w.net.link(from, to).blocked {
		w.Note(fmt.Sprintf("net: %s → %s lost %s in flight (partitioned)", from, to, w.types.of(actor.UnwrapEnvelopeMessage(message)).name))
		return
	}
	as := n.sys.ActorSystem()
	proc, _ := as.ProcessRegistry.Get(pid)
	if system {
		proc.SendSystemMessage(pid, message)
	} else {
		proc.SendUserMessage(pid, message)
	}
}

// copyForWire returns what the receiver gets: a deep copy of a protobuf
// message (as serialisation would give), or nil if it is over the frame
// limit. A non-protobuf message is an error unless the transport is loose.
func (w *World) copyForWire(message any) (any, error) {
	env, isEnv := message.(*actor.MessageEnvelope)
	body := message
	if isEnv {
		body = env.Message
	}
	pm, ok := body.(proto.Message)
	if !ok {
		if w.net.opts.Loose {
			if isEnv {
				return rewrap(env, body), nil
			}
			return message, nil
		}
		return nil, errors.Errorf("non-protobuf message %T crossed nodes: protoactor remote would drop it (use proto messages, or sim.WithRemote(RemoteOptions{Loose: true}) in a simulation-only workload)", body)
	}
	limit := w.net.opts.MaxFrame
	if limit == 0 {
		limit = 4 << 20
	}
	if proto.Size(pm) > limit {
		return nil, nil
	}
	c := proto.Clone(pm)
	if !isEnv {
		return c, nil
	}
	return rewrap(env, c), nil
}

// rewrap is env with body as its message, as the receiving node would
// deserialise it: the sender is a new PID object too. A PID object caches
// the process it first resolved to, so the sender's own object, resolved
// on the receiving node (to the link back), would from then on route the
// sender's local messages to itself (its timers) across the network, or
// a reply on the receiving node straight into the sender's mailbox,
// bypassing the network.
func rewrap(env *actor.MessageEnvelope, body any) *actor.MessageEnvelope {
	out := &actor.MessageEnvelope{Message: body}
	if env.Sender != nil {
		out.Sender = actor.NewPID(env.Sender.Address, env.Sender.Id)
		out.Sender.RequestId = env.Sender.RequestId
	}
	for _, k := range env.Header.Keys() { // order does not matter: a map is filled
		out.SetHeader(k, env.Header.Get(k))
	}
	return out
}
