package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"errors"

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
	// Retries is how many times a UDP query is resent after a timeout
	// (default 3); Wait is the timeout per receive (default 500 ms).
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
}

// query builds the A query for name with id.
func query(id uint16, name string) ([]byte, error) {
	n, err := dnsmessage.NewName(dnsFQDN(name))
	if err != nil {
		return nil, fmt.Errorf("bad name %q: %w", name, err)
	}
	msg := dnsmessage.Message{
		Header:    dnsmessage.Header{ID: id, RecursionDesired: true},
		Questions: []dnsmessage.Question{{Name: n, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}},
	}
	return msg.Pack()
}

func dnsFQDN(name string) string {
	if len(name) > 0 && name[len(name)-1] == '.' {
		return name
	}
	return name + "."
}

// parse returns the ID and the A records of an answer. Its A records
// are incomplete when h.Truncated is set (a UDP answer too big for a
// datagram): the query must then be repeated over TCP.
func parse(b []byte) (dnsmessage.Header, []string, error) {
	var p dnsmessage.Parser
	h, err := p.Start(b)
	if err != nil {
		return h, nil, err
	}
	if h.Truncated {
		return h, nil, nil
	}
	if err := p.SkipAllQuestions(); err != nil {
		return h, nil, err
	}
	var out []string
	for {
		ah, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil {
			return h, nil, err
		}
		if ah.Type != dnsmessage.TypeA {
			if err := p.SkipAnswer(); err != nil {
				return h, nil, err
			}
			continue
		}
		a, err := p.AResource()
		if err != nil {
			return h, nil, err
		}
		out = append(out, netip.AddrFrom4(a.A).String())
	}
	return h, out, nil
}

// Resolve returns the A records of each name (none for a name that does
// not resolve).
func (r *Resolver) Resolve(ctx context.Context, names []string) (map[string][]string, error) {
	if len(names) > 65535 {
		return nil, fmt.Errorf("at most 65535 names per call, got %d", len(names))
	}
	qs, err := queries(names)
	if err != nil {
		return nil, err
	}
	if r.TCP {
		return r.resolveTCP(ctx, names, qs)
	}
	return r.resolveUDP(ctx, names, qs)
}

// queries builds one A query per name, with IDs 1, 2, … in order.
func queries(names []string) ([][]byte, error) {
	qs := make([][]byte, len(names))
	for i, name := range names {
		q, err := query(uint16(i+1), name)
		if err != nil {
			return nil, err
		}
		qs[i] = q
	}
	return qs, nil
}

// tcpBatch is the queries pipelined on one connection.
type tcpBatch struct {
	conn   *sockactor.Conn
	writes []*sockactor.Pending[int]
	reads  []*sockactor.Pending[int]
	frames []*sockactor.Frame
}

func (r *Resolver) resolveTCP(ctx context.Context, names []string, qs [][]byte) (map[string][]string, error) {
	per := r.PerConn
	if per <= 0 {
		per = 100
	}
	out := map[string][]string{}
	// Up to four connections at a time, each with its queries pipelined.
	for start := 0; start < len(qs); start += 4 * per {
		if err := r.tcpRound(ctx, names, qs, start, per, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// tcpRound resolves the queries of up to four connections from start,
// and closes every connection it opened, also on errors.
func (r *Resolver) tcpRound(ctx context.Context, names []string, qs [][]byte, start, per int, out map[string][]string) error {
	var batches []*tcpBatch
	defer func() {
		for _, b := range batches {
			b.conn.Close()
		}
	}()
	for b := start; b < len(qs) && b < start+4*per; b += per {
		batch, err := r.pipeline(ctx, qs[b:min(b+per, len(qs))])
		if err != nil {
			return err
		}
		batches = append(batches, batch)
	}
	for _, b := range batches {
		if err := b.collect(ctx, names, out); err != nil {
			return err
		}
	}
	return nil
}

// pipeline connects and sends every query of qs at once through the
// writev queue, with one queued PDU read per query.
func (r *Resolver) pipeline(ctx context.Context, qs [][]byte) (*tcpBatch, error) {
	c, err := sockactor.Dial(ctx, r.Sys, r.Transport, "tcp", r.Server)
	if err != nil {
		return nil, err
	}
	b := &tcpBatch{conn: c}
	for _, q := range qs {
		hdr, _ := sockactor.AppendLength(nil, 2, len(q))
		if r.SplitHeader {
			b.writes = append(b.writes, c.WritevQueue(hdr[:1]), c.WritevQueue(hdr[1:], q))
		} else {
			b.writes = append(b.writes, c.WritevQueue(hdr, q))
		}
		f := sockactor.LengthPrefixed(2, 65535)
		b.frames = append(b.frames, f)
		b.reads = append(b.reads, c.ReadPDUQueue(f.Next))
	}
	return b, nil
}

// collect waits for a batch's answers and matches them by ID.
func (b *tcpBatch) collect(ctx context.Context, names []string, out map[string][]string) error {
	for i, rd := range b.reads {
		if _, err := rd.Wait(ctx); err != nil {
			return fmt.Errorf("answer %d: %w", i, err)
		}
		h, addrs, err := parse(b.frames[i].Body())
		id := h.ID
		if err != nil {
			return fmt.Errorf("answer %d: %w", i, err)
		}
		if id == 0 || int(id) > len(names) {
			return fmt.Errorf("answer with unknown ID %d", id)
		}
		out[names[id-1]] = addrs
	}
	for _, w := range b.writes {
		if _, err := w.Wait(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (r *Resolver) resolveUDP(ctx context.Context, names []string, qs [][]byte) (map[string][]string, error) {
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
	dst, err := net.ResolveUDPAddr("udp", r.Server)
	if err != nil {
		return nil, err
	}
	d, err := sockactor.ListenPacket(r.Sys, r.Transport, "udp", ":0")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	out := map[string][]string{}
	answered := make([]bool, len(qs))
	tries := make([]int, len(qs))
	next, outstanding := 0, 0
	var truncated []string // answers too big for UDP: asked again over TCP
	send := func(i int) {
		tries[i]++
		d.SendToQueue(qs[i], dst) // its result is the answer, or a retry
	}
	for next < len(qs) && outstanding < window {
		send(next)
		next++
		outstanding++
	}
	rd := d.WithTimeout(wait)
	for outstanding > 0 {
		dg, err := rd.RecvFrom().Wait(ctx)
		if errors.Is(err, syscall.ETIMEDOUT) {
			// Lost queries or answers: resend what is unanswered.
			resent := false
			for i := 0; i < next; i++ {
				if !answered[i] {
					if tries[i] > retries {
						return nil, fmt.Errorf("no answer for %s after %d tries", names[i], tries[i])
					}
					send(i)
					resent = true
				}
			}
			if !resent {
				break
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if dg.Src.String() != dst.String() {
			continue // not from our server
		}
		h, addrs, err := parse(dg.Data)
		id := h.ID
		if err != nil || id == 0 || int(id) > next || answered[id-1] {
			continue // malformed, unknown or duplicate
		}
		answered[id-1] = true
		if h.Truncated {
			truncated = append(truncated, names[id-1])
		} else {
			out[names[id-1]] = addrs
		}
		outstanding--
		if next < len(qs) {
			send(next)
			next++
			outstanding++
		}
	}
	if len(truncated) > 0 {
		tqs, err := queries(truncated)
		if err != nil {
			return nil, err
		}
		full, err := r.resolveTCP(ctx, truncated, tqs)
		if err != nil {
			return nil, err
		}
		for _, name := range truncated {
			out[name] = full[name]
		}
	}
	return out, nil
}
