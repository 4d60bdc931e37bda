package node

import (
	"crypto/tls"
	"net"
	"strconv"
	"time"

	"github.com/pkg/errors"
)

// Config is how a node listens and talks to its peers. The zero value is
// a safe node on a random loopback port.
type Config struct {
	// Addr is host:port to listen on. Empty means 127.0.0.1:0 (any free
	// port on loopback). Without TLS, a non-loopback address is allowed
	// but logged as a warning: anyone who can reach it can send actors
	// messages.
	Addr string

	// Advertise is the host:port peers reach this node at: the Address
	// of its PIDs, which peers dial to answer them. Set it when peers
	// cannot dial Addr (listening on all interfaces, behind NAT or a
	// port forward). A port of 0 means Addr's port, which must then be
	// given. Its host must not be unspecified (0.0.0.0, ::).
	//
	// Empty means the address listened on. A node listening on an
	// unspecified host (0.0.0.0:7000, [::]:7000, :7000) without
	// Advertise advertises that unspecified address, which only
	// processes on the same host can dial (Linux connects it to
	// loopback); Start logs a warning saying so.
	Advertise string

	// MaxMessage is the largest message (serialised) this node's actors
	// send to peers; streams chunk below it. Default 1 MiB.
	MaxMessage int
	// MaxFrame is the largest gRPC frame this node accepts (gRPC's
	// MaxRecvMsgSize, 4 MiB by default). protoactor sends a whole batch
	// of messages as one frame, so the batch size is derived from both:
	// MaxFrame/2 ÷ MaxMessage messages, at least 1. Default 16 MiB.
	MaxFrame int

	// QueueSize bounds each peer's writer queue (protoactor preallocates
	// a million slots, ~16 MB per peer, by default). Default 16384.
	QueueSize int

	// Keepalive is how often an idle connection is pinged, and
	// KeepaliveTimeout how long a ping may go unanswered before the peer
	// is declared dead (its actors' watchers get
	// Terminated{AddressTerminated}). Defaults 1s and 2s. gRPC pings
	// the peers a node dials no more often than every 10s whatever
	// Keepalive says (its minimum for clients), so a peer that hangs
	// without closing its connections (stopped, partitioned) is noticed
	// within 10s + KeepaliveTimeout.
	Keepalive, KeepaliveTimeout time.Duration

	// DialTimeout is how long connecting to a peer is tried (gRPC
	// retrying a refused connection) before the peer is taken as down:
	// the messages queued for it become dead letters (a Request fails
	// with ErrNoActor) and watchers of its actors get
	// Terminated{AddressTerminated}. The next message dials again.
	// Default 3s.
	DialTimeout time.Duration

	// TLS, when set, makes the node require mutual TLS: it serves with
	// TLS.Certificate, dials peers presenting it, and accepts only peers
	// whose certificate chains to TLS.CAs (and checks theirs when
	// dialling). See LoadTLS.
	TLS *TLS
}

// TLS is a node's identity and the authority it trusts.
type TLS struct {
	Certificate tls.Certificate
	CAs         *CertPool
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.MaxMessage <= 0 {
		c.MaxMessage = 1 << 20
	}
	if c.MaxFrame <= 0 {
		c.MaxFrame = 16 << 20
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 16384
	}
	if c.Keepalive <= 0 {
		c.Keepalive = time.Second
	}
	if c.KeepaliveTimeout <= 0 {
		c.KeepaliveTimeout = 2 * time.Second
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 3 * time.Second
	}
	return c
}

// batchSize is how many messages protoactor may put in one frame.
func (c Config) batchSize() int { return max(1, c.MaxFrame/2/c.MaxMessage) }

// check validates the configuration and splits the address.
func (c Config) check() (host string, port int, loopback bool, err error) {
	h, p, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return "", 0, false, errors.Wrapf(err, "node: bad address %q", c.Addr)
	}
	port, err = strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, false, errors.Errorf("node: bad port in address %q", c.Addr)
	}
	if c.MaxMessage > c.MaxFrame/2 {
		return "", 0, false, errors.Errorf("node: MaxMessage %d must be at most half of MaxFrame %d (a frame carries a whole batch)", c.MaxMessage, c.MaxFrame)
	}
	if c.TLS != nil {
		if err := c.TLS.check(); err != nil {
			return "", 0, false, err
		}
	}
	ip := net.ParseIP(h)
	loopback = h == "localhost" || (ip != nil && ip.IsLoopback())
	return h, port, loopback, nil
}

// advertise returns the address the node advertises to peers given its
// listening port, "" to advertise the address listened on.
func (c Config) advertise(port int) (string, error) {
	if c.Advertise == "" {
		return "", nil
	}
	h, p, err := net.SplitHostPort(c.Advertise)
	if err != nil {
		return "", errors.Wrapf(err, "node: bad Advertise address %q", c.Advertise)
	}
	if h == "" || unspecified(h) {
		return "", errors.Errorf("node: Advertise %q: peers cannot dial an unspecified host; give the host peers reach this node at", c.Advertise)
	}
	ap, err := strconv.Atoi(p)
	if err != nil || ap < 0 || ap > 65535 {
		return "", errors.Errorf("node: bad port in Advertise address %q", c.Advertise)
	}
	if ap == 0 {
		if port == 0 {
			return "", errors.Errorf("node: Advertise %q has port 0 (Addr's port) but Addr %q has none either: give the port peers dial", c.Advertise, c.Addr)
		}
		ap = port
	}
	return net.JoinHostPort(h, strconv.Itoa(ap)), nil
}

// unspecified reports whether host is an address that means every
// interface: listened on, it is not one peers can dial.
func unspecified(host string) bool {
	ip := net.ParseIP(host)
	return host == "" || (ip != nil && ip.IsUnspecified())
}
