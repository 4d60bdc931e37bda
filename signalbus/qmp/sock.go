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

// SockStream adapts a sockactor stream socket to Stream: messages are
// read with ReadPDU and a Frame, output is written with Writev. The
// session watches the socket's actor: once it is gone (stopped, or gone
// already when a request reached it as a dead letter), the read or write
// in progress fails, and so does every later one, as requests to a
// stopped socket may go unanswered.
type SockStream struct {
	conn             *sockactor.Conn
	frame            *Frame
	watched, gone    bool
	reading, writing bool
}

// errSocketGone fails the reads and writes of a stream whose socket
// actor is gone.
var errSocketGone = errors.New("qmp: the socket actor is gone")

// NewSockStream returns the Stream over conn, for lines of at most maxLine
// bytes.
func NewSockStream(conn *sockactor.Conn, maxLine int) *SockStream {
	return &SockStream{conn: conn, frame: NewFrame(maxLine)}
}

// ReadLine implements Stream.
func (s *SockStream) ReadLine(c actor.Context) {
	s.watch(c)
	switch {
	case s.frame.Ready(): // completed by the bytes of an earlier read
		line, tooLong, _ := s.frame.Value()
		c.Send(c.Self(), &LineRead{Line: line, TooLong: tooLong})
	case s.gone:
		c.Send(c.Self(), &LineRead{Err: errSocketGone})
	default:
		s.reading = true
		s.frame.Reset()
		c.Request(s.conn.PID(), &sockactor.ReadPDU{Next: s.frame.Next})
	}
}

// Write implements Stream.
func (s *SockStream) Write(c actor.Context, bufs [][]byte) {
	s.watch(c)
	if s.gone {
		c.Send(c.Self(), &Written{Err: errSocketGone})
		return
	}
	s.writing = true
	c.Request(s.conn.PID(), &sockactor.Writev{Bufs: bufs})
}

// watch watches the socket's actor, from the session's first request on.
func (s *SockStream) watch(c actor.Context) {
	if !s.watched {
		s.watched = true
		c.Watch(s.conn.PID())
	}
}

// lost marks the socket gone and fails the write, else the read, in
// progress (a failed write ends the session at once).
func (s *SockStream) lost() (any, bool) {
	s.gone = true
	switch {
	case s.writing:
		s.writing = false
		return &Written{Err: errSocketGone}, true
	case s.reading:
		s.reading = false
		return &LineRead{Err: errSocketGone}, true
	}
	return nil, true
}

// Close implements Stream.
func (s *SockStream) Close(actor.Context) { s.conn.Close() }

// Translate implements Translator.
func (s *SockStream) Translate(c actor.Context, msg any) (any, bool) {
	switch m := msg.(type) {
	case *actor.Terminated:
		if m.Who.Equal(s.conn.PID()) {
			return s.lost()
		}
	case *actor.DeadLetterResponse:
		if m.Target.Equal(s.conn.PID()) {
			return s.lost()
		}
	case *sockactor.ReadPDUDone:
		if !s.reading {
			return nil, true // failed already: the socket went
		}
		s.reading = false
		if m.Err != nil {
			return &LineRead{Err: m.Err}, true
		}
		line, tooLong, ok := s.frame.Value()
		if !ok {
			s.ReadLine(c) // no message complete yet
			return nil, true
		}
		return &LineRead{Line: line, TooLong: tooLong}, true
	case *sockactor.WritevDone:
		if !s.writing {
			return nil, true // failed already: the socket went
		}
		s.writing = false
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
