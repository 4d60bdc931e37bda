package main

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// fakeQuery is one query that a fakeDNS received.
type fakeQuery struct {
	Msg  dnsmessage.Message
	From net.Addr
	TCP  bool
	// UDP is the server's socket, for a query that came over UDP: what
	// it sends goes out from the server's address.
	UDP net.PacketConn
}

// Name is the query's first question name, as sent.
func (q fakeQuery) Name() string {
	if len(q.Msg.Questions) == 0 {
		return ""
	}
	return q.Msg.Questions[0].Name.String()
}

// fakeDNS is a DNS server written for the tests, on real loopback
// sockets: UDP and TCP on one port. Its reply function gets each query
// and returns the messages to send back, in order (over TCP each with
// its length prefix); none leaves the query unanswered.
type fakeDNS struct {
	Addr string
	UDP  net.PacketConn

	mu      sync.Mutex
	queries []fakeQuery
}

// Queries returns the queries received so far.
func (f *fakeDNS) Queries() []fakeQuery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeQuery(nil), f.queries...)
}

// startFakeDNS starts a fakeDNS on host ("127.0.0.1", "::1"), stopped
// (every goroutine and connection) when the test ends.
func startFakeDNS(t *testing.T, host string, reply func(q fakeQuery) [][]byte) *fakeDNS {
	t.Helper()
	var l net.Listener
	var pc net.PacketConn
	for i := 0; ; i++ {
		var err error
		l, err = net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			t.Skipf("no TCP listener on %s: %v", host, err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		pc, err = net.ListenPacket("udp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err == nil {
			break
		}
		l.Close()
		if i > 20 {
			t.Fatalf("no UDP port beside a TCP one on %s: %v", host, err)
		}
	}
	f := &fakeDNS{Addr: l.Addr().String(), UDP: pc}
	handle := func(b []byte, from net.Addr, tcp bool) [][]byte {
		var m dnsmessage.Message
		if err := m.Unpack(b); err != nil {
			return nil
		}
		q := fakeQuery{Msg: m, From: from, TCP: tcp}
		if !tcp {
			q.UDP = pc
		}
		f.mu.Lock()
		f.queries = append(f.queries, q)
		f.mu.Unlock()
		return reply(q)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	stopped := false
	wg.Add(2)
	go func() {
		defer wg.Done()
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			for _, out := range handle(append([]byte(nil), buf[:n]...), from, false) {
				pc.WriteTo(out, from)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if stopped {
				mu.Unlock()
				c.Close()
				return
			}
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				for {
					var hdr [2]byte
					if _, err := io.ReadFull(c, hdr[:]); err != nil {
						return
					}
					b := make([]byte, binary.BigEndian.Uint16(hdr[:]))
					if _, err := io.ReadFull(c, b); err != nil {
						return
					}
					for _, out := range handle(b, c.RemoteAddr(), true) {
						if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(out))), out...)); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		l.Close()
		mu.Lock()
		stopped = true
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return f
}

// response returns the response to q: its ID and question, with rcode
// and answers. edit, when given, changes the message before it is
// packed (with name compression).
func response(q fakeQuery, rcode dnsmessage.RCode, answers []dnsmessage.Resource, edit func(*dnsmessage.Message)) []byte {
	m := dnsmessage.Message{
		Header: dnsmessage.Header{ID: q.Msg.ID, Response: true, RecursionDesired: q.Msg.RecursionDesired,
			RecursionAvailable: true, RCode: rcode},
		Questions: q.Msg.Questions,
		Answers:   answers,
	}
	if edit != nil {
		edit(&m)
	}
	b, err := m.Pack()
	if err != nil {
		panic(err)
	}
	return b
}

func mustName(s string) dnsmessage.Name { return dnsmessage.MustNewName(s) }

// aRR is an A record of name (fully qualified) with addr.
func aRR(name, addr string) dnsmessage.Resource {
	return dnsmessage.Resource{
		Header: dnsmessage.ResourceHeader{Name: mustName(name), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60},
		Body:   &dnsmessage.AResource{A: netip.MustParseAddr(addr).As4()},
	}
}

// cnameRR is a CNAME record from name to target (both fully qualified).
func cnameRR(name, target string) dnsmessage.Resource {
	return dnsmessage.Resource{
		Header: dnsmessage.ResourceHeader{Name: mustName(name), Type: dnsmessage.TypeCNAME, Class: dnsmessage.ClassINET, TTL: 60},
		Body:   &dnsmessage.CNAMEResource{CNAME: mustName(target)},
	}
}

// runCLI runs the command with args and returns its stdout, stderr and
// exit status.
func runCLI(args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return out.String(), errb.String(), code
}

// expectCLI runs the command and checks its whole output and status.
func expectCLI(t *testing.T, args []string, wantOut, wantErr string, wantCode int) {
	t.Helper()
	out, errOut, code := runCLI(args...)
	if out != wantOut || errOut != wantErr || code != wantCode {
		t.Fatalf("dnsquery %q:\nexit %d, want %d\nstdout %q\n  want %q\nstderr %q\n  want %q", args, code, wantCode, out, wantOut, errOut, wantErr)
	}
}
