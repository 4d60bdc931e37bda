package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sockactor"
	"golang.org/x/net/dns/dnsmessage"
)

// TestRegressionTruncatedUDPAnswer: a name whose A records do not fit in
// a 512-byte UDP answer gets a truncated (TC) answer from the server; the
// resolver must retry it over TCP and return every address. Found in
// review: the UDP path ignored the TC bit and returned the partial (often
// empty) record set as if it were complete.
func TestRegressionTruncatedUDPAnswer(t *testing.T) {
	const n = 60
	var hb strings.Builder
	var want []string
	for i := 0; i < n; i++ {
		a := fmt.Sprintf("10.9.0.%d", i+1)
		want = append(want, a)
		fmt.Fprintf(&hb, "%s big.actorio.test\n", a)
	}
	hb.WriteString("10.9.1.1 small.actorio.test\n")
	server := startDnsmasqHosts(t, hb.String())
	sys := actors.New()
	defer sys.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := &Resolver{Sys: sys, Transport: sockactor.RealTransport(), Server: server}
	got, err := r.Resolve(ctx, []string{"small.actorio.test", "big.actorio.test"})
	if err != nil {
		t.Fatal(err)
	}
	if g := got["small.actorio.test"]; g.Err != nil || len(g.Addrs) != 1 || g.Addrs[0] != "10.9.1.1" {
		t.Fatalf("small: got %+v", g)
	}
	if err := got["big.actorio.test"].Err; err != nil {
		t.Fatalf("big: %v", err)
	}
	big := append([]string(nil), got["big.actorio.test"].Addrs...)
	sort.Strings(big)
	sort.Strings(want)
	if strings.Join(big, " ") != strings.Join(want, " ") {
		t.Fatalf("big: got %d addresses %v, want all %d", len(big), big, n)
	}
}

// TestRegressionTCPErrorClosesEveryConnection: when one TCP batch fails,
// its names get the error, and Resolve closes every connection it opened
// (here the others never answer: their names time out). Found in review:
// resolveTCP returned on the first batch's error and left the other
// batches' connections (and their actors) open until the system closed.
func TestRegressionTCPErrorClosesEveryConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	closed := make(chan int, 8)
	go func() {
		for i := 0; ; i++ {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if i == 0 {
				c.Close() // the first batch fails
				continue
			}
			go func(i int, c net.Conn) {
				defer c.Close()
				buf := make([]byte, 512)
				for {
					if _, err := c.Read(buf); err != nil {
						closed <- i // the client closed its end
						return
					}
				}
			}(i, c)
		}
	}()
	sys := actors.New()
	defer sys.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := &Resolver{Sys: sys, Transport: sockactor.RealTransport(), Server: l.Addr().String(), TCP: true, PerConn: 1,
		TCPWait: 200 * time.Millisecond}
	got, err := r.Resolve(ctx, []string{"a.test", "b.test", "c.test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := got["a.test"].Err; !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("a.test, whose connection was closed: %v", err)
	}
	for _, n := range []string{"b.test", "c.test"} {
		if err := got[n].Err; !errors.Is(err, ErrNoAnswer) {
			t.Fatalf("%s, never answered: %v", n, err)
		}
	}
	for want := 2; want > 0; want-- {
		select {
		case <-closed:
		case <-time.After(3 * time.Second):
			t.Fatalf("%d connection(s) still open after Resolve returned", want)
		}
	}
}

// newResolver returns a Resolver of server on a system closed when the
// test ends.
func newResolver(t *testing.T, server string) *Resolver {
	sys := actors.New()
	t.Cleanup(func() { sys.Close(context.Background()) })
	return &Resolver{Sys: sys, Transport: sockactor.RealTransport(), Server: server}
}

func resolveNames(t *testing.T, r *Resolver, names ...string) map[string]Answer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := r.Resolve(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestRegressionTCPAnswerWithAnotherConnectionsID: over TCP an answer is
// matched only to the queries of its own connection. Found in review:
// any ID of the whole call was accepted, so an answer on one connection
// with the ID (and question) of a query sent on another overwrote that
// query's answer, and its own query read as "does not resolve".
func TestRegressionTCPAnswerWithAnotherConnectionsID(t *testing.T) {
	aq := make(chan fakeQuery, 1)
	f := startFakeDNS(t, "127.0.0.1", func(q fakeQuery) [][]byte {
		switch q.Name() {
		case "a.test.":
			aq <- q
			return [][]byte{response(q, 0, []dnsmessage.Resource{aRR(q.Name(), "10.0.0.1")}, nil)}
		case "b.test.":
			select {
			case qa := <-aq: // a.test's ID and question, on b.test's connection
				return [][]byte{response(qa, 0, []dnsmessage.Resource{aRR(qa.Name(), "6.6.6.6")}, nil)}
			case <-time.After(5 * time.Second):
			}
		}
		return nil
	})
	r := newResolver(t, f.Addr)
	r.TCP, r.PerConn = true, 1
	got := resolveNames(t, r, "a.test", "b.test")
	if a := got["a.test"]; a.Err != nil || len(a.Addrs) != 1 || a.Addrs[0] != "10.0.0.1" {
		t.Fatalf("a.test: %+v, want 10.0.0.1", a)
	}
	var pe *ProtocolError
	if err := got["b.test"].Err; !errors.As(err, &pe) || !strings.Contains(pe.Msg, "which no query on this connection has") {
		t.Fatalf("b.test: %v, want a protocol error naming an unknown ID", err)
	}
}

// TestAnswers checks the Answer of each outcome through the API: the
// error types, the response code, duplicates asked once.
func TestAnswers(t *testing.T) {
	f := rcodeServer(t)
	for _, tcp := range []bool{false, true} {
		r := newResolver(t, f.Addr)
		r.TCP = tcp
		before := len(f.Queries())
		got := resolveNames(t, r, "ok.test", "nx.test", "nodata.test", "servfail.test", "refused.test", "ok.test", "a..b")
		if n := len(f.Queries()) - before; n != 5 {
			t.Fatalf("tcp=%v: %d queries, want 5 (one per good distinct name)", tcp, n)
		}
		if a := got["ok.test"]; a.Err != nil || a.RCode != dnsmessage.RCodeSuccess || fmt.Sprint(a.Addrs) != "[10.0.0.1]" {
			t.Fatalf("tcp=%v: ok.test: %+v", tcp, a)
		}
		if a := got["nx.test"]; a.Err != nil || a.RCode != dnsmessage.RCodeNameError || len(a.Addrs) != 0 {
			t.Fatalf("tcp=%v: nx.test: %+v", tcp, a)
		}
		if a := got["nodata.test"]; a.Err != nil || a.RCode != dnsmessage.RCodeSuccess || len(a.Addrs) != 0 {
			t.Fatalf("tcp=%v: nodata.test: %+v", tcp, a)
		}
		for name, want := range map[string]dnsmessage.RCode{"servfail.test": dnsmessage.RCodeServerFailure, "refused.test": dnsmessage.RCodeRefused} {
			var re *RcodeError
			if a := got[name]; !errors.As(a.Err, &re) || re.RCode != want || re.Server != f.Addr || len(a.Addrs) != 0 {
				t.Fatalf("tcp=%v: %s: %+v, want an RcodeError %v from %s", tcp, name, a, want, f.Addr)
			}
		}
		if err := got["a..b"].Err; !errors.Is(err, ErrBadName) {
			t.Fatalf("tcp=%v: a..b: %v, want ErrBadName", tcp, err)
		}
	}
}

// TestUDPNoAnswerSaysWhy: a UDP query that gets no answer reports what it
// got instead (the last message with its ID that was not its answer), or
// its last send's error.
func TestUDPNoAnswerSaysWhy(t *testing.T) {
	f := startFakeDNS(t, "127.0.0.1", func(q fakeQuery) [][]byte {
		return [][]byte{response(q, 0, nil, func(m *dnsmessage.Message) { m.Response = false })}
	})
	r := newResolver(t, f.Addr)
	r.Retries, r.Wait = 1, 50*time.Millisecond
	got := resolveNames(t, r, "ok.test")
	qs := f.Queries()
	if len(qs) != 2 || qs[0].Msg.ID != qs[1].Msg.ID {
		t.Fatalf("%d tries, want 2 with one ID", len(qs))
	}
	want := fmt.Sprintf("no answer from %s after 2 tries (ignored: message with ID %d is a query, not a response (QR=0))", f.Addr, qs[0].Msg.ID)
	if err := got["ok.test"].Err; !errors.Is(err, ErrNoAnswer) || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}

	r = newResolver(t, "127.0.0.1:0") // sendto port 0: EINVAL
	r.Retries, r.Wait = 1, 50*time.Millisecond
	got = resolveNames(t, r, "ok.test")
	if err := got["ok.test"].Err; !errors.Is(err, ErrNoAnswer) || !errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), "(last send: ") {
		t.Fatalf("got %v, want no answer with the last send's EINVAL", err)
	}
}
