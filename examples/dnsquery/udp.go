package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/actorio/actorio/sockactor"
	"golang.org/x/net/dns/dnsmessage"
)

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
