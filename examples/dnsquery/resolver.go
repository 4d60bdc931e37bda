package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sockactor"
	"golang.org/x/net/dns/dnsmessage"
)

// Resolver resolves A records with sockactor sockets.
type Resolver struct {
	Sys       *actors.System
	Transport sockactor.Transport
	Server    string // HOST:PORT
	TCP       bool
	// Retries is how many times a UDP query is resent, each time it has
	// had no answer for Wait (defaults: 3 times, 500 ms).
	Retries int
	Wait    time.Duration
	// Window is how many UDP queries may be outstanding (default 64).
	Window int
	// SplitHeader writes each TCP query's 2-byte length in two separate
	// writes, one byte each.
	SplitHeader bool
	// PerConn is how many queries are pipelined on one TCP connection
	// (default 100: dnsmasq closes a connection after 100 queries).
	PerConn int
	// TCPWait is how long a TCP connection has to connect and answer
	// every query pipelined on it (default 5 s).
	TCPWait time.Duration
}

// Answer is what Resolve learnt about one name.
type Answer struct {
	// Addrs are the name's addresses: the A records of the answer whose
	// owner is the name or a name its CNAME chain leads to.
	Addrs []string
	// RCode is the answer's response code: RCodeSuccess or
	// RCodeNameError (NXDOMAIN) when Err is nil.
	RCode dnsmessage.RCode
	// Err says why the name has no answer: a bad name (ErrBadName), an
	// *RcodeError (the server answered SERVFAIL, REFUSED…), a
	// *ProtocolError (TCP), no answer (ErrNoAnswer: every try timed out,
	// or the context ended), or a failed connection. A name with Err nil
	// and no Addrs does not resolve: NXDOMAIN, or NOERROR without an A
	// record.
	Err error
}

// ErrBadName is the error of a name that cannot be asked for (an empty
// label, a label over 63 bytes, a name over 255 bytes).
var ErrBadName = errors.New("bad name")

// ErrNoAnswer is the error of a name whose query got no answer: every
// UDP try timed out, the TCP connection did not answer in time, or the
// context ended first.
var ErrNoAnswer = errors.New("no answer")

// RcodeError is an answer whose response code is neither NOERROR nor
// NXDOMAIN: the server could not (SERVFAIL) or would not (REFUSED)
// answer, so whether the name exists is unknown.
type RcodeError struct {
	Server string
	RCode  dnsmessage.RCode
}

func (e *RcodeError) Error() string {
	return fmt.Sprintf("server %s answered %s", e.Server, rcodeName(e.RCode))
}

// ProtocolError is a message on a TCP connection that is not the answer
// to any query still waiting there: not a response (QR=0), another
// question, an unknown or repeated ID, or malformed. The connection is
// then closed, and its queries that were not answered yet get this
// error.
type ProtocolError struct {
	Server string
	Msg    string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("protocol error from %s over TCP: %s", e.Server, e.Msg)
}

var rcodeNames = [...]string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"}

func rcodeName(c dnsmessage.RCode) string {
	if int(c) < len(rcodeNames) {
		return rcodeNames[c]
	}
	return fmt.Sprintf("RCODE%d", c)
}

// job is one distinct name of a Resolve call and its query.
type job struct {
	name string
	q    dnsmessage.Question
	id   uint16
	msg  []byte
	ans  Answer
}

// Resolve looks up the A records of every name and returns an Answer
// for each (see Answer: a name may resolve, not resolve, or fail, each
// independently of the others). Its error is for the call as a whole —
// a bad server address, more than 65536 distinct names, no UDP socket —
// and then no query was sent.
func (r *Resolver) Resolve(ctx context.Context, names []string) (map[string]Answer, error) {
	dst, err := net.ResolveUDPAddr("udp", r.Server)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Answer, len(names))
	var jobs []*job
	for _, name := range names {
		if _, dup := out[name]; dup {
			continue
		}
		q, err := question(name)
		out[name] = Answer{Err: err}
		if err == nil {
			jobs = append(jobs, &job{name: name, q: q})
		}
	}
	if len(jobs) > 1<<16 {
		return nil, fmt.Errorf("at most %d distinct names per call (one query ID each), got %d", 1<<16, len(jobs))
	}
	for i, id := range newIDs(len(jobs)) {
		j := jobs[i]
		j.id = id
		msg := dnsmessage.Message{
			Header:    dnsmessage.Header{ID: id, RecursionDesired: true},
			Questions: []dnsmessage.Question{j.q},
		}
		if j.msg, err = msg.Pack(); err != nil {
			return nil, fmt.Errorf("query for %q: %w", j.name, err) // question checked the name
		}
	}
	if r.TCP {
		r.resolveTCP(ctx, dst.String(), jobs)
	} else if err := r.resolveUDP(ctx, dst, jobs); err != nil {
		return nil, err
	}
	for _, j := range jobs {
		out[j.name] = j.ans
	}
	return out, nil
}

// question returns the A question for name, or an ErrBadName error when
// name cannot be encoded: empty, an empty label ("a..b", ".a"), a label
// over 63 bytes or a name over 255 bytes in wire form. The root "." is a
// name.
func question(name string) (dnsmessage.Question, error) {
	bad := func(format string, a ...any) (dnsmessage.Question, error) {
		return dnsmessage.Question{}, fmt.Errorf("%w: %s", ErrBadName, fmt.Sprintf(format, a...))
	}
	if name == "" {
		return bad("empty name")
	}
	fq := name
	if fq[len(fq)-1] != '.' {
		fq += "."
	}
	if fq != "." {
		// Wire form: a length byte per label, the labels, the root's 0.
		if n := len(fq) + 1; n > 255 {
			return bad("%d bytes in wire form, more than 255", n)
		}
		for _, label := range strings.Split(fq[:len(fq)-1], ".") {
			if label == "" {
				return bad("empty label")
			}
			if len(label) > 63 {
				return bad("label of %d bytes, more than 63", len(label))
			}
		}
	}
	n, err := dnsmessage.NewName(fq)
	if err != nil {
		return bad("%v", err)
	}
	return dnsmessage.Question{Name: n, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}, nil
}

// newIDs returns n distinct random query IDs (n ≤ 65536), from the
// system's cryptographic generator: an off-path spoofer must guess them.
func newIDs(n int) []uint16 {
	var seen [1 << 16 / 64]uint64
	ids := make([]uint16, 0, n)
	var buf [256]byte
	for len(ids) < n {
		rand.Read(buf[:]) // never fails
		for i := 0; i < len(buf) && len(ids) < n; i += 2 {
			id := binary.BigEndian.Uint16(buf[i:])
			if seen[id/64]&(1<<(id%64)) == 0 {
				seen[id/64] |= 1 << (id % 64)
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// readAnswer reads the rest of a message whose header p has parsed as
// the answer to q. Its error says why the message is not that answer:
// not a response, another opcode or question, or malformed. tc reports
// a truncated answer, which has no records: ask again over TCP.
func (r *Resolver) readAnswer(p *dnsmessage.Parser, h dnsmessage.Header, q dnsmessage.Question) (ans Answer, tc bool, err error) {
	if !h.Response {
		return ans, false, fmt.Errorf("message with ID %d is a query, not a response (QR=0)", h.ID)
	}
	if h.OpCode != 0 {
		return ans, false, fmt.Errorf("answer with ID %d has opcode %d, not QUERY", h.ID, h.OpCode)
	}
	qs, err := p.AllQuestions()
	if err != nil {
		return ans, false, fmt.Errorf("malformed answer with ID %d: %v", h.ID, err)
	}
	switch {
	case len(qs) == 0 && h.RCode != dnsmessage.RCodeSuccess && h.RCode != dnsmessage.RCodeNameError:
		// Servers may leave the question out of an error answer
		// (FORMERR, REFUSED…): it still reports that error.
	case len(qs) != 1:
		return ans, false, fmt.Errorf("answer with ID %d has %d questions, not 1", h.ID, len(qs))
	case !sameQuestion(qs[0], q):
		return ans, false, fmt.Errorf("answer with ID %d is for %s, not %s", h.ID, questionString(qs[0]), questionString(q))
	}
	if h.Truncated {
		return ans, true, nil
	}
	switch h.RCode {
	case dnsmessage.RCodeSuccess:
	case dnsmessage.RCodeNameError:
		return Answer{RCode: h.RCode}, false, nil
	default:
		return Answer{RCode: h.RCode, Err: &RcodeError{Server: r.Server, RCode: h.RCode}}, false, nil
	}
	addrs, err := addresses(p, q.Name)
	if err != nil {
		return ans, false, fmt.Errorf("malformed answer with ID %d: %v", h.ID, err)
	}
	return Answer{Addrs: addrs}, false, nil
}

// addresses reads the answer section: the A records (class IN) owned by
// name or by a name its CNAME records lead to, in any order. Records
// about other names are not the name's addresses.
func addresses(p *dnsmessage.Parser, name dnsmessage.Name) ([]string, error) {
	type aRecord struct {
		owner string
		addr  [4]byte
	}
	var as []aRecord
	cnames := map[string]string{}
	for {
		ah, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch {
		case ah.Class != dnsmessage.ClassINET:
			err = p.SkipAnswer()
		case ah.Type == dnsmessage.TypeA:
			var a dnsmessage.AResource
			if a, err = p.AResource(); err == nil {
				as = append(as, aRecord{canonical(ah.Name), a.A})
			}
		case ah.Type == dnsmessage.TypeCNAME:
			var c dnsmessage.CNAMEResource
			if c, err = p.CNAMEResource(); err == nil {
				cnames[canonical(ah.Name)] = canonical(c.CNAME)
			}
		default:
			err = p.SkipAnswer()
		}
		if err != nil {
			return nil, err
		}
	}
	owners := map[string]bool{}
	for n, ok := canonical(name), true; ok && !owners[n]; n, ok = cnames[n] {
		owners[n] = true
	}
	var out []string
	for _, a := range as {
		if owners[a.owner] {
			out = append(out, netip.AddrFrom4(a.addr).String())
		}
	}
	return out, nil
}

// canonical is a name in lower case: DNS names compare ASCII
// case-insensitively.
func canonical(n dnsmessage.Name) string {
	b := []byte(n.String())
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func sameQuestion(a, b dnsmessage.Question) bool {
	return a.Type == b.Type && a.Class == b.Class && canonical(a.Name) == canonical(b.Name)
}

func questionString(q dnsmessage.Question) string {
	return fmt.Sprintf("%q %s %s", q.Name.String(), strings.TrimPrefix(q.Class.String(), "Class"), strings.TrimPrefix(q.Type.String(), "Type"))
}

// tcpBatch is the queries pipelined on one connection.
type tcpBatch struct {
	conn     *sockactor.Conn
	err      error // the connection failed
	jobs     []*job
	reads    []*sockactor.Pending[int]
	frames   []*sockactor.Frame
	deadline time.Time
}

// resolveTCP sets the answer of every job, over up to four connections
// at a time, each with its queries pipelined.
func (r *Resolver) resolveTCP(ctx context.Context, server string, jobs []*job) {
	per := r.PerConn
	if per <= 0 {
		per = 100
	}
	for start := 0; start < len(jobs); start += 4 * per {
		r.tcpRound(ctx, server, jobs[start:min(start+4*per, len(jobs))], per)
	}
}

// tcpRound resolves jobs over connections of per queries each, and
// closes every connection it opened.
func (r *Resolver) tcpRound(ctx context.Context, server string, jobs []*job, per int) {
	var batches []*tcpBatch
	defer func() {
		for _, b := range batches {
			if b.conn != nil {
				b.conn.Close()
			}
		}
	}()
	for b := 0; b < len(jobs); b += per {
		batches = append(batches, r.pipeline(ctx, server, jobs[b:min(b+per, len(jobs))]))
	}
	for _, b := range batches {
		r.collect(ctx, b)
	}
}

func (r *Resolver) tcpWait() time.Duration {
	if r.TCPWait > 0 {
		return r.TCPWait
	}
	return 5 * time.Second
}

// pipeline connects and sends every query of jobs at once through the
// writev queue, with one queued PDU read per query.
func (r *Resolver) pipeline(ctx context.Context, server string, jobs []*job) *tcpBatch {
	b := &tcpBatch{jobs: jobs, deadline: time.Now().Add(r.tcpWait())}
	dctx, cancel := context.WithDeadline(ctx, b.deadline)
	defer cancel()
	c, err := sockactor.Dial(dctx, r.Sys, r.Transport, "tcp", server)
	if err != nil {
		b.err = fmt.Errorf("TCP connection to %s: %w", r.Server, err)
		if ctx.Err() != nil {
			b.err = fmt.Errorf("%w from %s: %w", ErrNoAnswer, r.Server, ctx.Err())
		}
		return b
	}
	b.conn = c
	for _, j := range jobs {
		hdr, _ := sockactor.AppendLength(nil, 2, len(j.msg))
		if r.SplitHeader {
			c.WritevQueue(hdr[:1])
			c.WritevQueue(hdr[1:], j.msg)
		} else {
			c.WritevQueue(hdr, j.msg)
		}
		// A failed write fails the stream, so the reads report it.
		f := sockactor.LengthPrefixed(2, 65535)
		b.frames = append(b.frames, f)
		b.reads = append(b.reads, c.ReadPDUQueue(f.Next))
	}
	return b
}

// tcpError names why a connection's read failed.
func (r *Resolver) tcpError(ctx, wctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%w from %s: %w", ErrNoAnswer, r.Server, ctx.Err())
	case wctx.Err() != nil:
		return fmt.Errorf("%w from %s over TCP within %v", ErrNoAnswer, r.Server, r.tcpWait())
	}
	return fmt.Errorf("TCP connection to %s: %w", r.Server, err)
}

// collect waits for a batch's answers and matches them to its queries by
// ID and question. The jobs left without an answer when the connection
// fails, times out or breaks the protocol get that error.
func (r *Resolver) collect(ctx context.Context, b *tcpBatch) {
	waiting := make(map[uint16]*job, len(b.jobs))
	for _, j := range b.jobs {
		waiting[j.id] = j
	}
	fail := func(err error) {
		for _, j := range waiting {
			j.ans = Answer{Err: err}
		}
	}
	if b.err != nil {
		fail(b.err)
		return
	}
	wctx, cancel := context.WithDeadline(ctx, b.deadline)
	defer cancel()
	answered := map[uint16]bool{}
	for i, rd := range b.reads {
		if _, err := rd.Wait(wctx); err != nil {
			fail(r.tcpError(ctx, wctx, err))
			return
		}
		var p dnsmessage.Parser
		h, err := p.Start(b.frames[i].Body())
		if err != nil {
			fail(&ProtocolError{Server: r.Server, Msg: fmt.Sprintf("malformed answer: %v", err)})
			return
		}
		j := waiting[h.ID]
		if j == nil {
			msg := fmt.Sprintf("answer with ID %d, which no query on this connection has", h.ID)
			if answered[h.ID] {
				msg = fmt.Sprintf("second answer with ID %d", h.ID)
			}
			fail(&ProtocolError{Server: r.Server, Msg: msg})
			return
		}
		ans, tc, err := r.readAnswer(&p, h, j.q)
		if err != nil {
			fail(&ProtocolError{Server: r.Server, Msg: err.Error()})
			return
		}
		if tc {
			ans = Answer{Err: fmt.Errorf("truncated answer from %s over TCP", r.Server)}
		}
		j.ans = ans
		delete(waiting, h.ID)
		answered[h.ID] = true
	}
}

// flight is a UDP query waiting for its answer.
type flight struct {
	j        *job
	tries    int
	deadline time.Time               // of the current try
	sent     *sockactor.Pending[int] // the current try's send
	ignored  error                   // why the last message with its ID was not its answer
}

// resolveUDP sets the answer of every job: at most Window queries are
// outstanding; each is resent when it has had no answer for Wait, up to
// Retries times, with the same ID and question (a late answer to an
// earlier try answers it just as well). Datagrams that are not from the
// server, not DNS, or not the answer to a waiting query are ignored.
// Truncated answers are asked again over TCP.
func (r *Resolver) resolveUDP(ctx context.Context, dst *net.UDPAddr, jobs []*job) error {
	retries, wait, window := r.Retries, r.Wait, r.Window
	if retries <= 0 {
		retries = 3
	}
	if wait <= 0 {
		wait = 500 * time.Millisecond
	}
	if window <= 0 {
		window = 64
	}
	d, err := sockactor.ListenPacket(r.Sys, r.Transport, "udp", ":0")
	if err != nil {
		return err
	}
	defer d.Close()
	server := dst.AddrPort()
	waiting := map[uint16]*flight{}
	next := 0
	var truncated []*job
	send := func(f *flight, now time.Time) {
		f.tries++
		f.deadline = now.Add(wait)
		f.sent = d.SendToQueue(f.j.msg, dst)
	}
	failAll := func(err error) {
		for _, f := range waiting {
			f.j.ans = Answer{Err: err}
		}
		for _, j := range jobs[next:] {
			j.ans = Answer{Err: err}
		}
		for _, j := range truncated {
			j.ans = Answer{Err: err}
		}
	}
	for {
		now := time.Now()
		for next < len(jobs) && len(waiting) < window {
			f := &flight{j: jobs[next]}
			next++
			waiting[f.j.id] = f
			send(f, now)
		}
		if len(waiting) == 0 {
			break
		}
		first := now.Add(wait)
		for _, f := range waiting {
			if f.deadline.Before(first) {
				first = f.deadline
			}
		}
		// Receive until the earliest try's deadline: every query keeps
		// its own, so a stream of stray datagrams does not hold off the
		// retries.
		if left := first.Sub(now); left > 0 {
			dg, err := d.WithTimeout(left).RecvFrom().Wait(ctx)
			switch {
			case err == nil:
				if f, ans, tc := r.udpAnswer(dg, server, waiting); f != nil {
					delete(waiting, f.j.id)
					if tc {
						truncated = append(truncated, f.j)
					} else {
						f.j.ans = ans
					}
				}
			case ctx.Err() != nil:
				failAll(fmt.Errorf("%w from %s: %w", ErrNoAnswer, r.Server, ctx.Err()))
				return nil
			case errors.Is(err, syscall.ETIMEDOUT):
			case errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.ENOTCONN):
				failAll(fmt.Errorf("UDP socket: %w", err)) // the socket is gone
				return nil
			default:
				// One datagram that could not be received (too big):
				// like any stray datagram, it is not an answer.
			}
		}
		now = time.Now()
		for id, f := range waiting {
			if now.Before(f.deadline) {
				continue
			}
			if f.tries <= retries {
				send(f, now)
				continue
			}
			err := fmt.Errorf("%w from %s after %d tries", ErrNoAnswer, r.Server, f.tries)
			if _, serr := f.sent.Result(); serr != nil {
				err = fmt.Errorf("%w (last send: %w)", err, serr)
			} else if f.ignored != nil {
				err = fmt.Errorf("%w (ignored: %v)", err, f.ignored)
			}
			f.j.ans = Answer{Err: err}
			delete(waiting, id)
		}
	}
	if len(truncated) > 0 {
		r.resolveTCP(ctx, dst.String(), truncated)
	}
	return nil
}

// udpAnswer matches a datagram to the waiting query it answers (f nil:
// it answers none). A datagram with a waiting query's ID that is not its
// answer is noted on the query and ignored: the query keeps waiting.
func (r *Resolver) udpAnswer(dg sockactor.Datagram, server netip.AddrPort, waiting map[uint16]*flight) (f *flight, ans Answer, tc bool) {
	src, ok := dg.Src.(*net.UDPAddr)
	if !ok {
		return nil, ans, false
	}
	if ap := src.AddrPort(); ap.Port() != server.Port() || ap.Addr().Unmap().WithZone("") != server.Addr().Unmap().WithZone("") {
		return nil, ans, false // not from the server
	}
	var p dnsmessage.Parser
	h, err := p.Start(dg.Data)
	if err != nil {
		return nil, ans, false
	}
	if f = waiting[h.ID]; f == nil {
		return nil, ans, false // unknown ID, or answered or given up already
	}
	ans, tc, err = r.readAnswer(&p, h, f.j.q)
	if err != nil {
		f.ignored = err
		return nil, ans, false
	}
	return f, ans, tc
}
