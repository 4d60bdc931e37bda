package main

import (
	"context"
	"fmt"
	"time"

	"github.com/actorio/actorio/sockactor"
	"golang.org/x/net/dns/dnsmessage"
)

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
