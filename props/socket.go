package props

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"syscall"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sockactor"
	"github.com/asynkron/protoactor-go/actor"
)

// The socket workload: clients connect to a server over a (simulated)
// network, pipeline length-prefixed PDUs through the writev queue and
// read the echoes through the readv-PDU queue; the server echoes every
// PDU (on every other connection reading them in batches, ReadPDUs, and
// echoing each batch with one write). Segmentation, latency and resets come from the network. Every
// actor counts its requests and their completions.

// SocketConfig sizes the socket workload.
type SocketConfig struct {
	Clients int           // clients, each on its own host
	PDUs    int           // PDUs per client
	MaxBody int           // largest PDU body (≤ 65535: 2-byte length)
	Settle  time.Duration // how long the referee lets the server finish
}

// DefaultSocket is the configuration simrun uses.
var DefaultSocket = SocketConfig{Clients: 3, PDUs: 16, MaxBody: 2000, Settle: time.Second}

// SocketReport is what the referee gathered.
type SocketReport struct {
	Finished bool
	Clients  []ClientReport
	Server   ServerReport
}

// ClientReport is one client's account.
type ClientReport struct {
	Name      string
	Sent      int      // PDUs whose write completed
	Echoed    int      // echoes read back intact and in order
	Corrupt   []string // echoes that differ from what was sent (S2)
	Errors    []error  // request errors seen
	Requests  int      // requests issued
	Completed map[any]int
}

// ServerReport is the server's account.
type ServerReport struct {
	Accepted  int
	Requests  int
	Completed map[any]int
	Errors    []error
	// Batches counts the successful ReadPDUs batches, Largest the most
	// PDUs one of them carried.
	Batches, Largest int
}

type (
	socketAwait   struct{}
	socketReady   struct{}
	clientDone    struct{ rep ClientReport }
	serverStats   struct{}
	serverStatsOK struct{ rep ServerReport }
	settle        struct{}
)

// NewSocketReferee returns the referee's props: it starts a server on
// server (listening at addr) and one client per transport in clients.
func NewSocketReferee(cfg SocketConfig, server sockactor.Transport, addr string, clients []sockactor.Transport, rep *SocketReport) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &socketReferee{cfg: cfg, server: server, addr: addr, clients: clients, rep: rep}
	})
}

type socketReferee struct {
	cfg     SocketConfig
	server  sockactor.Transport
	addr    string
	clients []sockactor.Transport
	rep     *SocketReport
	srv     *actor.PID
	left    int
	waiters []*actor.PID
}

func (r *socketReferee) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		ready := &serverUp{}
		srv, err := c.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &echoServer{tr: r.server, addr: r.addr, up: ready} }), "server")
		if err != nil {
			panic(err)
		}
		r.srv = srv
		r.left = len(r.clients)
		c.Request(srv, ready)
	case *serverUp:
		for i, tr := range r.clients {
			name := fmt.Sprintf("client%d", i)
			cl := &pduClient{cfg: r.cfg, tr: tr, addr: m.addr, rep: ClientReport{Name: name, Completed: map[any]int{}}}
			if _, err := c.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return cl }), name); err != nil {
				panic(err)
			}
		}
	case *clientDone:
		r.rep.Clients = append(r.rep.Clients, m.rep)
		r.left--
		if r.left == 0 {
			actors.After(c, r.cfg.Settle, &settle{})
		}
	case *settle:
		actors.Ask(c, r.srv, &serverStats{}, time.Minute, func(reply any, err error) {
			if ok, is := reply.(*serverStatsOK); is {
				r.rep.Server = ok.rep
			} else {
				r.rep.Server.Errors = append(r.rep.Server.Errors, fmt.Errorf("server stats: %v", err))
			}
			r.rep.Finished = true
			for _, w := range r.waiters {
				c.Send(w, &socketReady{})
			}
		})
	case *socketAwait:
		if r.rep.Finished {
			c.Respond(&socketReady{})
			return
		}
		r.waiters = append(r.waiters, c.Sender())
	}
}

type serverUp struct{ addr string }

// echoServer accepts connections (pushed to it) and echoes every PDU.
type echoServer struct {
	tr   sockactor.Transport
	addr string
	up   *serverUp
	rep  ServerReport
}

func (s *echoServer) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		s.rep.Completed = map[any]int{}
	case *serverUp:
		l, err := sockactor.Listen(c, s.tr, "tcp", s.addr, sockactor.AcceptTo(c.Self()))
		if err != nil {
			panic(err)
		}
		c.Respond(&serverUp{addr: l.Addr().String()})
	case *sockactor.AcceptDone:
		if m.Err != nil { // the listener ended (a permanent accept error)
			s.rep.Errors = append(s.rep.Errors, m.Err)
			return
		}
		s.rep.Accepted++
		if s.rep.Accepted%2 == 0 {
			// Every other connection is served with batch reads.
			s.readBatch(c, m.Conn.PID(), sockactor.LengthPrefixed(2, 65535))
		} else {
			s.read(c, m.Conn.PID())
		}
	case *sockactor.ReadPDUsDone:
		s.rep.Completed[m.Req]++
		if m.Err != nil {
			s.rep.Errors = append(s.rep.Errors, m.Err)
			c.Send(m.Socket, &sockactor.Close{})
			return
		}
		s.rep.Batches++
		s.rep.Largest = max(s.rep.Largest, len(m.PDUs))
		s.rep.Requests++
		c.Send(m.Socket, &sockactor.WritevQueue{Bufs: m.PDUs, ReplyTo: c.Self()})
		s.readBatch(c, m.Socket, m.Req.Frame)
	case *sockactor.ReadPDUDone:
		s.rep.Completed[m.Req]++
		if m.Err != nil {
			s.rep.Errors = append(s.rep.Errors, m.Err)
			c.Send(m.Socket, &sockactor.Close{})
			return
		}
		s.write(c, m.Socket, m.Tag.(*sockactor.Frame).PDU())
		s.read(c, m.Socket)
	case *sockactor.WritevDone:
		s.rep.Completed[m.Req]++
		if m.Err != nil {
			s.rep.Errors = append(s.rep.Errors, m.Err)
		}
	case *serverStats:
		c.Respond(&serverStatsOK{rep: s.rep})
	}
}

func (s *echoServer) read(c actor.Context, conn *actor.PID) {
	f := sockactor.LengthPrefixed(2, 65535)
	s.rep.Requests++
	c.Send(conn, &sockactor.ReadPDUQueue{Next: f.Next, ReplyTo: c.Self(), Tag: f})
}

// readBatch reads PDUs in batches of up to 4 with f (the connection's
// frame: each batch starts it over).
func (s *echoServer) readBatch(c actor.Context, conn *actor.PID, f *sockactor.Frame) {
	s.rep.Requests++
	c.Send(conn, &sockactor.ReadPDUs{Frame: f, Max: 4, ReplyTo: c.Self()})
}

func (s *echoServer) write(c actor.Context, conn *actor.PID, pdu []byte) {
	s.rep.Requests++
	c.Send(conn, &sockactor.WritevQueue{Bufs: [][]byte{pdu}, ReplyTo: c.Self()})
}

// pduClient connects, pipelines its PDUs and reads the echoes.
type pduClient struct {
	cfg     SocketConfig
	tr      sockactor.Transport
	addr    string
	rep     ClientReport
	conn    *sockactor.Conn
	sent    [][]byte
	pending int
}

// body returns the deterministic body of PDU i of a client.
func (p *pduClient) body(c actor.Context, i int) []byte {
	n := actors.FromContext(c).Rand().IntN(p.cfg.MaxBody + 1)
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(i*31 + j*7 + len(p.rep.Name))
	}
	return b
}

func (p *pduClient) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		conn, err := sockactor.NewConn(c, p.tr)
		if err != nil {
			panic(err)
		}
		p.conn = conn
		p.issue(c, &sockactor.Connect{Network: "tcp", Addr: p.addr, ReplyTo: c.Self()})
	case *sockactor.ConnectDone:
		if m.Err != nil {
			p.done(c, m.Req, m.Err)
			return
		}
		defer p.done(c, m.Req, nil)
		for i := 0; i < p.cfg.PDUs; i++ {
			pdu := binary.BigEndian.AppendUint16(nil, 0)
			body := p.body(c, i)
			binary.BigEndian.PutUint16(pdu, uint16(len(body)))
			pdu = append(pdu, body...)
			p.sent = append(p.sent, pdu)
			p.issue(c, &sockactor.WritevQueue{Bufs: [][]byte{pdu[:1], pdu[1:]}, ReplyTo: c.Self(), Tag: i})
			f := sockactor.LengthPrefixed(2, 65535)
			p.issue(c, &sockactor.ReadPDUQueue{Next: f.Next, ReplyTo: c.Self(), Tag: f})
		}
	case *sockactor.WritevDone:
		if m.Err == nil {
			p.rep.Sent++
		}
		p.done(c, m.Req, m.Err)
	case *sockactor.ReadPDUDone:
		defer p.done(c, m.Req, m.Err)
		if m.Err == nil {
			got := m.Tag.(*sockactor.Frame).PDU()
			if p.rep.Echoed >= len(p.sent) || !bytes.Equal(got, p.sent[p.rep.Echoed]) {
				p.rep.Corrupt = append(p.rep.Corrupt, fmt.Sprintf("echo %d: %d bytes differ from what was sent", p.rep.Echoed, len(got)))
			}
			p.rep.Echoed++
		}
	}
}

func (p *pduClient) issue(c actor.Context, req any) {
	p.rep.Requests++
	p.pending++
	c.Send(p.conn.PID(), req)
}

func (p *pduClient) done(c actor.Context, req any, err error) {
	p.rep.Completed[req]++
	p.pending--
	if err != nil {
		p.rep.Errors = append(p.rep.Errors, err)
	}
	if p.pending == 0 {
		p.finish(c)
	}
}

func (p *pduClient) finish(c actor.Context) {
	c.Send(p.conn.PID(), &sockactor.Close{})
	c.Send(c.Parent(), &clientDone{rep: p.rep})
}

// allowedSocketErrors are the errors the socket workload may see under
// resets: anything else breaks S4.
var allowedSocketErrors = []syscall.Errno{syscall.ECONNRESET, syscall.EPIPE, syscall.ECONNREFUSED, syscall.ECONNABORTED}
