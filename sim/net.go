package sim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/actorio/actorio/sockactor"
	"github.com/pkg/errors"
)

// NetConfig holds the simulated network's knobs. Latency and
// segmentation are normal network behaviour; the rates are faults, and
// Heal turns all of them off at once.
type NetConfig struct {
	// Latency is the one-way delay of a segment or datagram; Jitter adds
	// a uniform random 0..Jitter to each. A connection's segments keep
	// their order whatever their delays, and so do unix datagrams; UDP
	// datagrams may overtake each other until the network heals.
	Latency, Jitter time.Duration
	// MaxSegment is the largest stream segment: every write is cut into
	// random segments of 1..MaxSegment bytes (default 1460).
	MaxSegment int
	// Window is how many bytes of one direction of a connection may be
	// in flight or unread at the receiver before writes wait (default
	// 64 KiB).
	Window int
	// DropRate, DupRate and ReorderRate are the chances that a datagram
	// is lost, delivered twice, or held back by up to ReorderDelay.
	DropRate, DupRate, ReorderRate float64
	ReorderDelay                   time.Duration
	// ResetRate is the chance that a stream segment's arrival resets its
	// connection instead (both ends get ECONNRESET).
	ResetRate float64
	// RefuseRate is the chance that a connect to a listening port is
	// refused anyway (ECONNREFUSED).
	RefuseRate float64
	// The rates in force when a segment arrives or a handshake ends
	// apply, not those of when it was sent: after Heal nothing is reset
	// or refused, even what was sent before.
}

// validate checks the rates are probabilities and the durations and
// sizes not negative, naming the field. Its errors match ErrInvalid.
func (c NetConfig) validate() error {
	err := firstErr(checkProb("DropRate", c.DropRate), checkProb("DupRate", c.DupRate), checkProb("ReorderRate", c.ReorderRate),
		checkProb("ResetRate", c.ResetRate), checkProb("RefuseRate", c.RefuseRate),
		checkDuration("Latency", Duration(c.Latency)), checkDuration("Jitter", Duration(c.Jitter)),
		checkDuration("ReorderDelay", Duration(c.ReorderDelay)))
	if err == nil && (c.MaxSegment < 0 || c.Window < 0) {
		err = fmt.Errorf("MaxSegment = %d, Window = %d: sizes cannot be negative", c.MaxSegment, c.Window)
	}
	if err != nil {
		return errors.Wrap(ErrInvalid, err.Error())
	}
	return nil
}

func (c NetConfig) withDefaults() NetConfig {
	if c.MaxSegment <= 0 {
		c.MaxSegment = 1460
	}
	if c.Window <= 0 {
		c.Window = 64 << 10
	}
	if c.ReorderDelay <= 0 {
		c.ReorderDelay = 10 * c.Latency
		if c.ReorderDelay <= 0 {
			c.ReorderDelay = time.Millisecond
		}
	}
	return c
}

// Network is a simulated network between named hosts: a
// sockactor.Transport per host (Host), with explicit directed links
// (by host pair) whose faults are configurable one by one, injection
// methods (Reset), and Heal to stop every fault at once. It runs on the
// World's loop: timers on the virtual clock, randomness from streams of
// each socket's and each fault opportunity's own (so the traffic of one
// link never changes the faults or timing of another), every injected
// fault noted in the fingerprint.
type Network struct {
	w      *World
	cfg    NetConfig
	healed bool
	links  map[[2]string]*Link
	binds  map[string]any       // bind key → *simListener | *simPacket
	ports  map[string]int       // host → next ephemeral port
	conns  []*simStream         // live stream endpoints, in creation order
	hosts  []string             // hosts in order of first use (partition candidates)
	owned  map[*node][]endpoint // a node's open endpoints, closed by its crash (net_crash.go)
	nconns map[string]int       // link "a>b" → connections opened on it so far
}

// Link is one direction between two hosts. Its own Config, when set,
// replaces the network's for traffic on it; an invalid one fails the run
// (as SetConfig's does) when traffic first uses it.
type Link struct {
	From, To string
	Config   *NetConfig

	cutUntil  time.Duration // partitioned until then (virtual time)
	clogUntil time.Duration // clogged until then
}

// NewNetwork returns a network on w. When the run's profile has a
// "socket" section (see SocketFaults), its fault rates replace cfg's; the
// network heals with the World.
func NewNetwork(w *World, cfg NetConfig) *Network {
	var f SocketFaults
	on, err := w.DeviceFaults("socket", &f)
	if err != nil {
		w.fail(err)
	} else if on {
		cfg.DropRate, cfg.DupRate, cfg.ReorderRate = f.Drop, f.Duplicate, f.Reorder
		cfg.ResetRate, cfg.RefuseRate = f.Reset, f.Refuse
	}
	if err := cfg.validate(); err != nil {
		w.fail(errors.Wrap(err, "sim: NewNetwork"))
	}
	n := &Network{
		w: w, cfg: cfg.withDefaults(),
		links: map[[2]string]*Link{}, binds: map[string]any{}, ports: map[string]int{}, nconns: map[string]int{},
	}
	if on {
		n.startFaults(f)
	}
	w.OnHeal(n.Heal)
	w.OnCrash(n.crashed)
	return n
}

// SocketFaults are the simulated socket network's faults in a profile
// (device kind "socket"): per-datagram drop, duplicate and reorder
// probabilities, and per-segment reset and per-connect refuse ones.
type SocketFaults struct {
	Drop      float64 `json:"drop,omitempty"`
	Duplicate float64 `json:"duplicate,omitempty"`
	Reorder   float64 `json:"reorder,omitempty"`
	Reset     float64 `json:"reset,omitempty"`
	Refuse    float64 `json:"refuse,omitempty"`
	// PartitionRate is how many partitions per second each ordered host
	// pair sees, each lasting up to PartitionMax, one-way with
	// probability OneWay; ClogRate and ClogMax likewise for clogs.
	PartitionRate float64  `json:"partition_rate,omitempty"`
	PartitionMax  Duration `json:"partition_max,omitempty"`
	OneWay        float64  `json:"one_way,omitempty"`
	ClogRate      float64  `json:"clog_rate,omitempty"`
	ClogMax       Duration `json:"clog_max,omitempty"`
}

func init() {
	RegisterDevice("socket", func(rng *rand.Rand) json.RawMessage {
		if rng.Float64() < 0.5 {
			return nil
		}
		on := func(p, max float64) float64 {
			if rng.Float64() < p {
				return rng.Float64() * max
			}
			return 0
		}
		f := SocketFaults{Drop: on(0.5, 0.1), Duplicate: on(0.5, 0.05), Reorder: on(0.5, 0.1), Reset: on(0.5, 0.005), Refuse: on(0.3, 0.2),
			PartitionRate: on(0.4, 2), OneWay: rng.Float64(), ClogRate: on(0.4, 2)}
		if f.PartitionRate > 0 {
			f.PartitionMax = Duration(time.Millisecond + time.Duration(rng.Int64N(int64(300*time.Millisecond))))
		}
		if f.ClogRate > 0 {
			f.ClogMax = Duration(time.Millisecond + time.Duration(rng.Int64N(int64(100*time.Millisecond))))
		}
		raw, _ := json.Marshal(f)
		return raw
	}, func(raw json.RawMessage) error {
		var f SocketFaults
		if err := decodeDevice(raw, &f); err != nil {
			return err
		}
		return f.validate()
	})
}

// validate checks the probabilities are probabilities and the rates and
// durations are not negative.
func (f SocketFaults) validate() error {
	return firstErr(checkProb("drop", f.Drop), checkProb("duplicate", f.Duplicate), checkProb("reorder", f.Reorder),
		checkProb("reset", f.Reset), checkProb("refuse", f.Refuse), checkProb("one_way", f.OneWay),
		checkRate("partition_rate", f.PartitionRate), checkDuration("partition_max", f.PartitionMax),
		checkRate("clog_rate", f.ClogRate), checkDuration("clog_max", f.ClogMax))
}

// Config returns the network-wide configuration.
func (n *Network) Config() NetConfig { return n.cfg }

// SetConfig replaces the network-wide configuration. An invalid one (a
// rate that is not a probability, a negative duration or size) is
// refused: it fails the World's next Run with an error matching
// ErrInvalid, and the configuration stays as it was.
func (n *Network) SetConfig(c NetConfig) {
	if err := c.validate(); err != nil {
		n.w.fail(errors.Wrap(err, "sim: Network.SetConfig"))
		return
	}
	n.cfg = c.withDefaults()
}

// Link returns the directed link from → to (created on first use).
func (n *Network) Link(from, to string) *Link {
	k := [2]string{from, to}
	l := n.links[k]
	if l == nil {
		l = &Link{From: from, To: to}
		n.links[k] = l
	}
	return l
}

// Heal stops every fault, now and for the rest of the run: no more
// drops, duplicates, reorders, resets or refusals (latency and
// segmentation stay: they are not faults), and every partition and clog
// ends, releasing at once (in order) the traffic they held.
func (n *Network) Heal() {
	n.healed = true
	n.mend()
	n.w.Note("net: heal")
}

// Healed reports whether Heal was called.
func (n *Network) Healed() bool { return n.healed }

// config returns the effective configuration of traffic from → to.
func (n *Network) config(from, to string) NetConfig {
	c := n.cfg
	if l := n.links[[2]string{from, to}]; l != nil && l.Config != nil {
		if err := l.Config.validate(); err != nil {
			// The run ends before the next step; this traffic
			// goes by the network's configuration meanwhile.
			n.w.fail(errors.Wrapf(err, "sim: config of link %s>%s", from, to))
		} else {
			c = l.Config.withDefaults()
		}
	}
	if n.healed {
		c.DropRate, c.DupRate, c.ReorderRate, c.ResetRate, c.RefuseRate = 0, 0, 0, 0, 0
	}
	return c
}

// chance decides a fault of kind on link (from>to) through the World, so
// that it is recorded in the run's plan, replayed from one, and shrunk.
// Once the network is healed none is taken, not even one a replayed plan
// lists (the opportunity still counts, as it did in the recorded run).
func (n *Network) chance(kind, link string, p float64) bool {
	return n.w.decide("socket/"+kind, link, p, n.healed)
}

// delay draws one traversal time under c from rng, the sending socket's
// own stream.
func delay(rng *rand.Rand, c NetConfig) time.Duration {
	d := c.Latency
	if c.Jitter > 0 {
		d += time.Duration(rng.Int64N(int64(c.Jitter) + 1))
	}
	return d
}

// after runs f on the loop d from now, on a timer of the network's own:
// what is on the wire does not die with the node whose actor sent it
// (net_crash.go).
func (n *Network) after(d time.Duration, f func()) {
	if !n.w.onLoop() {
		n.w.escaped("socket network", "")
		return
	}
	n.w.clock.afterFunc(d, nil, f)
}

// afterWire runs f, delivering traffic, at virtual time at on a timer of
// the network's own, as after does; base is when the traffic would
// arrive without any partition or clog, ln its FIFO lane (nil: none).
// A heal releases it at once (held.go).
func (n *Network) afterWire(at, base time.Duration, ln lane, f func()) {
	if !n.w.onLoop() {
		n.w.escaped("socket network", "")
		return
	}
	n.w.clock.afterWire(at, holder{net: n}, base, ln, f)
}

// Host returns the Transport of host name: its sockets bind and connect
// from that host.
func (n *Network) Host(name string) sockactor.Transport {
	if !slices.Contains(n.hosts, name) {
		n.hosts = append(n.hosts, name)
	}
	return &hostTransport{n: n, host: name}
}

// Reset resets every live connection between hosts a and b (either
// direction): both ends get ECONNRESET, data in flight is lost. It
// returns how many connections it reset.
func (n *Network) Reset(a, b string) int {
	count := 0
	for _, s := range n.conns {
		if s.peer != nil && ((s.host == a && s.peer.host == b) || (s.host == b && s.peer.host == a)) && !s.closed && s.rst == nil {
			n.w.Note(fmt.Sprintf("net: reset %v-%v (injected)", s.local, s.remote))
			s.reset()
			count++
		}
	}
	return count
}

// Addr is a simulated socket address: host:port, or a unix path.
type Addr struct {
	Net  string // "tcp", "udp", "unix", "unixgram"
	Host string
	Port int
	Path string
}

// Network implements net.Addr.
func (a *Addr) Network() string { return a.Net }

// String implements net.Addr.
func (a *Addr) String() string {
	if a.Path != "" {
		return a.Path
	}
	return net.JoinHostPort(a.Host, strconv.Itoa(a.Port))
}

func family(network string) (string, bool) {
	switch network {
	case "tcp", "tcp4", "tcp6":
		return "tcp", true
	case "udp", "udp4", "udp6":
		return "udp", true
	case "unix", "unixgram":
		return network, true
	}
	return "", false
}

// parse turns addr on network into an Addr as seen from host (an empty
// host in "host:port" means host itself).
func parse(host, network, addr string) (*Addr, error) {
	fam, ok := family(network)
	if !ok {
		return nil, &sockactor.Error{Op: "address", Errno: syscall.EAFNOSUPPORT, Err: fmt.Errorf("sim: unknown network %q", network)}
	}
	if fam == "unix" || fam == "unixgram" {
		if addr == "" {
			return nil, &sockactor.Error{Op: "address", Errno: syscall.EINVAL, Err: fmt.Errorf("sim: empty unix path")}
		}
		return &Addr{Net: fam, Host: host, Path: addr}, nil
	}
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &sockactor.Error{Op: "address", Errno: syscall.EINVAL, Err: err}
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return nil, &sockactor.Error{Op: "address", Errno: syscall.EINVAL, Err: fmt.Errorf("sim: bad port %q", p)}
	}
	if h == "" || h == "0.0.0.0" || h == "::" {
		h = host
	}
	return &Addr{Net: fam, Host: h, Port: port}, nil
}

func (a *Addr) key() string {
	if a.Path != "" {
		return a.Net + "|" + a.Path // one file system for every host
	}
	return a.Net + "|" + a.Host + "|" + strconv.Itoa(a.Port)
}

// bind reserves a (port 0: an ephemeral) address for v.
func (n *Network) bind(a *Addr, v any) (*Addr, error) {
	if a.Path == "" && a.Port == 0 {
		for {
			p := n.ports[a.Host]
			if p == 0 {
				p = 40000
			}
			n.ports[a.Host] = p + 1
			cand := &Addr{Net: a.Net, Host: a.Host, Port: p}
			if _, taken := n.binds[cand.key()]; !taken {
				a = cand
				break
			}
		}
	}
	if _, taken := n.binds[a.key()]; taken {
		return nil, &sockactor.Error{Op: "bind", Errno: syscall.EADDRINUSE, Err: fmt.Errorf("sim: %s %s in use", a.Net, a)}
	}
	n.binds[a.key()] = v
	return a, nil
}

type hostTransport struct {
	n    *Network
	host string
}

// ListenPacket implements sockactor.Transport.
func (t *hostTransport) ListenPacket(network, addr string) (sockactor.Packet, error) {
	a, err := parse(t.host, network, addr)
	if err != nil {
		return nil, err
	}
	if a.Net != "udp" && a.Net != "unixgram" {
		return nil, &sockactor.Error{Op: "listen", Errno: syscall.EAFNOSUPPORT, Err: fmt.Errorf("sim: %q is not a datagram network", network)}
	}
	p := &simPacket{n: t.n, host: t.host}
	if p.addr, err = t.n.bind(a, p); err != nil {
		return nil, err
	}
	p.rng = t.n.w.Rand("net/socket/" + p.addr.key())
	t.n.own(p, &p.owner, t.n.w.atWork())
	return p, nil
}
