package main

import (
	"context"
	"errors"
	"fmt"
	"net"
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

// Error says which server answered which response code.
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

// Error says which server broke the protocol, and how.
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

// maxNames is how many distinct names one Resolve call takes: one query
// ID each.
const maxNames = 1 << 16

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
		return nil, fmt.Errorf("server %s: %w", r.Server, err)
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
	if len(jobs) > maxNames {
		return nil, fmt.Errorf("at most %d distinct names per call (one query ID each), got %d", maxNames, len(jobs))
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
