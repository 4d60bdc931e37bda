package qmp

import (
	"net"
	"os"
	"strings"

	"github.com/actorio/actorio/sockactor"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// Translator is implemented by Streams whose completions arrive as their
// own messages: Conn hands them every message it does not know, and they
// return the *LineRead or *Written it stands for (or nil when they handled
// it themselves), with handled false for anything else.
type Translator interface {
	Translate(c actor.Context, msg any) (out any, handled bool)
}

// SockStream adapts a sockactor stream socket to Stream: lines are read
// with ReadPDU and a Frame (one JSON value per PDU), output is written with Writev.
type SockStream struct {
	conn  *sockactor.Conn
	frame *Frame
}

// NewSockStream returns the Stream over conn, for lines of at most maxLine
// bytes.
func NewSockStream(conn *sockactor.Conn, maxLine int) *SockStream {
	return &SockStream{conn: conn, frame: NewFrame(maxLine)}
}

// ReadLine implements Stream.
func (s *SockStream) ReadLine(c actor.Context) {
	s.frame.Reset()
	c.Request(s.conn.PID(), &sockactor.ReadPDU{Next: s.frame.Next})
}

// Write implements Stream.
func (s *SockStream) Write(c actor.Context, bufs [][]byte) {
	c.Request(s.conn.PID(), &sockactor.Writev{Bufs: bufs})
}

// Close implements Stream.
func (s *SockStream) Close(actor.Context) { s.conn.Close() }

// Translate implements Translator.
func (s *SockStream) Translate(c actor.Context, msg any) (any, bool) {
	switch m := msg.(type) {
	case *sockactor.ReadPDUDone:
		if m.Err != nil {
			return &LineRead{Err: m.Err}, true
		}
		line, tooLong, ok := s.frame.Value()
		if !ok {
			s.ReadLine(c) // the rest of a long line was discarded
			return nil, true
		}
		return &LineRead{Line: line, TooLong: tooLong}, true
	case *sockactor.WritevDone:
		return &Written{Err: m.Err}, true
	}
	return nil, false
}

// Listener accepts QMP sessions on a sockactor stream listener.
type Listener struct {
	l        *sockactor.Listener
	acceptor *actor.PID
	srv      *Server
}

// ListenOption configures Listen.
type ListenOption func(*listenConfig)

type listenConfig struct {
	mode os.FileMode
	sock []sockactor.Option
}

// WithSocketMode sets the unix socket file's mode (default 0600: owner
// only).
func WithSocketMode(m os.FileMode) ListenOption { return func(c *listenConfig) { c.mode = m } }

// WithSockOptions passes options to sockactor.Listen.
func WithSockOptions(o ...sockactor.Option) ListenOption {
	return func(c *listenConfig) { c.sock = append(c.sock, o...) }
}

// Listen serves s on network ("unix", "tcp", "tcp4", "tcp6") at addr over
// transport tr. A unix socket is created with mode 0600 unless
// WithSocketMode says otherwise; a TCP address without a host binds the
// loopback address, not every interface.
func (s *Server) Listen(tr sockactor.Transport, network, addr string, opts ...ListenOption) (*Listener, error) {
	cfg := listenConfig{mode: 0o600}
	for _, o := range opts {
		o(&cfg)
	}
	if strings.HasPrefix(network, "tcp") {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, errors.Wrapf(err, "qmp: listen %s %s", network, addr)
		}
		if host == "" {
			host = "127.0.0.1"
			if network == "tcp6" {
				host = "::1"
			}
			addr = net.JoinHostPort(host, port)
		}
	}
	acc, err := s.sys.Spawn(actor.PropsFromProducer(func() actor.Actor { return &acceptor{srv: s} }))
	if err != nil {
		return nil, errors.Wrap(err, "qmp: listen")
	}
	sockOpts := append([]sockactor.Option{sockactor.WithMode(sockactor.ListenConfig{Mode: cfg.mode}), sockactor.AcceptTo(acc)}, cfg.sock...)
	l, err := sockactor.Listen(s.sys, tr, network, addr, sockOpts...)
	if err != nil {
		s.sys.Stop(acc)
		return nil, errors.Wrapf(err, "qmp: listen %s %s", network, addr)
	}
	return &Listener{l: l, acceptor: acc, srv: s}, nil
}

// Addr returns the bound address.
func (l *Listener) Addr() net.Addr { return l.l.Addr() }

// Close stops accepting; open sessions go on.
func (l *Listener) Close() {
	l.l.Close()
	l.srv.sys.Poison(l.acceptor)
}

// acceptor starts a session for each accepted connection.
type acceptor struct{ srv *Server }

func (a *acceptor) Receive(c actor.Context) {
	if m, ok := c.Message().(*sockactor.AcceptDone); ok && m.Err == nil && m.Conn != nil {
		if _, err := a.srv.Attach(NewSockStream(m.Conn, a.srv.limits.MaxLine)); err != nil {
			m.Conn.Close()
		}
	}
}
