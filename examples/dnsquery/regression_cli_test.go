package main

// Regression tests for defects found in review, run through the command
// (run) against fakeDNS servers on loopback.

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// TestRegressionUDPAnswerMustAnswerTheQuery: over UDP, a message with a
// query's ID is its answer only if it is a response to the same question;
// anything else is ignored and the real answer that follows is used.
// Found in review: answers were matched by ID alone, so a stray or
// spoofed message with the right ID was taken (a query's echo read as
// "does not resolve", another question's records as the name's).
func TestRegressionUDPAnswerMustAnswerTheQuery(t *testing.T) {
	bad := map[string]func(q fakeQuery) []byte{
		"query echo (QR=0)": func(q fakeQuery) []byte {
			return response(q, 0, nil, func(m *dnsmessage.Message) { m.Response = false })
		},
		"another name": func(q fakeQuery) []byte {
			return response(q, 0, []dnsmessage.Resource{aRR("evil.test.", "6.6.6.6")}, func(m *dnsmessage.Message) {
				m.Questions = []dnsmessage.Question{{Name: mustName("evil.test."), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}}
			})
		},
		"another type": func(q fakeQuery) []byte {
			return response(q, 0, []dnsmessage.Resource{aRR(q.Name(), "6.6.6.6")}, func(m *dnsmessage.Message) {
				m.Questions = []dnsmessage.Question{{Name: m.Questions[0].Name, Type: dnsmessage.TypeAAAA, Class: dnsmessage.ClassINET}}
			})
		},
		"another class": func(q fakeQuery) []byte {
			return response(q, 0, []dnsmessage.Resource{aRR(q.Name(), "6.6.6.6")}, func(m *dnsmessage.Message) {
				m.Questions = []dnsmessage.Question{{Name: m.Questions[0].Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassCHAOS}}
			})
		},
		"two questions": func(q fakeQuery) []byte {
			return response(q, 0, []dnsmessage.Resource{aRR("evil.test.", "6.6.6.6")}, func(m *dnsmessage.Message) {
				m.Questions = append(m.Questions, dnsmessage.Question{Name: mustName("evil.test."), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET})
			})
		},
		"NXDOMAIN without the question": func(q fakeQuery) []byte {
			return response(q, dnsmessage.RCodeNameError, nil, func(m *dnsmessage.Message) { m.Questions = nil })
		},
	}
	for what, msg := range bad {
		t.Run(what, func(t *testing.T) {
			f := startFakeDNS(t, "127.0.0.1", func(q fakeQuery) [][]byte {
				return [][]byte{msg(q), response(q, 0, []dnsmessage.Resource{aRR(q.Name(), "10.0.0.1")}, nil)}
			})
			expectCLI(t, []string{"-server", f.Addr, "ok.test"}, "ok.test 10.0.0.1\n", "", 0)
		})
	}
}

// TestRegressionTCPAnswerMustAnswerTheQuery: over TCP, a message with a
// query's ID that does not answer its question is a protocol error,
// reported for the names that had no answer yet. Found in review: it was
// taken as the answer.
func TestRegressionTCPAnswerMustAnswerTheQuery(t *testing.T) {
	for what, c := range map[string]struct {
		edit func(*dnsmessage.Message)
		why  string // %d: the ID
	}{
		"query echo (QR=0)": {func(m *dnsmessage.Message) { m.Response = false }, "message with ID %d is a query, not a response (QR=0)"},
		"another name": {func(m *dnsmessage.Message) {
			m.Questions = []dnsmessage.Question{{Name: mustName("evil.test."), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}}
			m.Answers = []dnsmessage.Resource{aRR("evil.test.", "6.6.6.6")}
		}, `answer with ID %d is for "evil.test." INET A, not "ok.test." INET A`},
	} {
		t.Run(what, func(t *testing.T) {
			f := startFakeDNS(t, "127.0.0.1", func(q fakeQuery) [][]byte {
				return [][]byte{response(q, 0, []dnsmessage.Resource{aRR(q.Name(), "6.6.6.6")}, c.edit)}
			})
			out, errOut, code := runCLI("-server", f.Addr, "-tcp", "ok.test")
			qs := f.Queries()
			if len(qs) != 1 {
				t.Fatalf("%d queries, want 1", len(qs))
			}
			want := fmt.Sprintf("dnsquery: ok.test: protocol error from %s over TCP: "+c.why+"\n", f.Addr, qs[0].Msg.ID)
			if out != "" || errOut != want || code != 3 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 3, nothing, %q", code, out, errOut, want)
			}
		})
	}
}

// rcodeServer answers ok.test with 10.0.0.1, nx.test with NXDOMAIN,
// nodata.test with NOERROR and no record, servfail.test with SERVFAIL and
// refused.test with REFUSED (without the question, as some servers do).
func rcodeServer(t *testing.T) *fakeDNS {
	return startFakeDNS(t, "127.0.0.1", func(q fakeQuery) [][]byte {
		switch q.Name() {
		case "ok.test.":
			return [][]byte{response(q, 0, []dnsmessage.Resource{aRR(q.Name(), "10.0.0.1")}, nil)}
		case "nx.test.":
			return [][]byte{response(q, dnsmessage.RCodeNameError, nil, nil)}
		case "nodata.test.":
			return [][]byte{response(q, 0, nil, nil)}
		case "servfail.test.":
			return [][]byte{response(q, dnsmessage.RCodeServerFailure, nil, nil)}
		case "refused.test.":
			return [][]byte{response(q, dnsmessage.RCodeRefused, nil, func(m *dnsmessage.Message) { m.Questions = nil })}
		}
		return nil
	})
}

// TestRegressionErrorRcodes: SERVFAIL, REFUSED and the other error
// response codes are failures naming the code and the server (exit 3),
// not "does not resolve", which stays for NXDOMAIN and NOERROR without an
// A record (exit 1). Found in review: every answer without an address
// read as "does not resolve".
func TestRegressionErrorRcodes(t *testing.T) {
	f := rcodeServer(t)
	for _, tcp := range []bool{false, true} {
		t.Run(fmt.Sprintf("tcp=%v", tcp), func(t *testing.T) {
			args := []string{"-server", f.Addr}
			if tcp {
				args = append(args, "-tcp")
			}
			expectCLI(t, append(args, "ok.test", "nx.test", "nodata.test", "servfail.test", "refused.test"),
				"ok.test 10.0.0.1\n",
				"dnsquery: nx.test does not resolve (NXDOMAIN)\n"+
					"dnsquery: nodata.test does not resolve (no A record)\n"+
					"dnsquery: servfail.test: server "+f.Addr+" answered SERVFAIL\n"+
					"dnsquery: refused.test: server "+f.Addr+" answered REFUSED\n",
				3)
			expectCLI(t, append(args, "nx.test", "ok.test", "nodata.test"),
				"ok.test 10.0.0.1\n",
				"dnsquery: nx.test does not resolve (NXDOMAIN)\n"+
					"dnsquery: nodata.test does not resolve (no A record)\n",
				1)
		})
	}
}

// TestRegressionOneNameWithoutAnswer: a name that gets no answer is
// reported on its own; the names that resolved are printed. Found in
// review: it failed the whole run with no output (UDP: once its retries
// were exhausted; TCP: once the deadline passed).
func TestRegressionOneNameWithoutAnswer(t *testing.T) {
	f := startFakeDNS(t, "127.0.0.1", func(q fakeQuery) [][]byte {
		if q.Name() == "lost.test." {
			return nil
		}
		return [][]byte{response(q, 0, []dnsmessage.Resource{aRR(q.Name(), "10.0.0.1")}, nil)}
	})
	t.Run("udp", func(t *testing.T) {
		expectCLI(t, []string{"-server", f.Addr, "lost.test", "ok.test"},
			"ok.test 10.0.0.1\n",
			"dnsquery: lost.test: no answer from "+f.Addr+" after 4 tries\n", 3)
	})
	t.Run("tcp", func(t *testing.T) {
		expectCLI(t, []string{"-server", f.Addr, "-tcp", "-timeout", "2s", "lost.test", "ok.test"},
			"ok.test 10.0.0.1\n",
			"dnsquery: lost.test: no answer from "+f.Addr+": context deadline exceeded\n", 3)
	})
}

// TestRegressionBadNames: a name that cannot be encoded is reported on
// its own, and is not sent; the other names resolve. The longest name
// (255 bytes in wire form) and labels of 63 bytes are good. Found in
// review: one bad name failed the whole run, with an error that did not
// name it.
func TestRegressionBadNames(t *testing.T) {
	f := startFakeDNS(t, "127.0.0.1", func(q fakeQuery) [][]byte {
		return [][]byte{response(q, 0, []dnsmessage.Resource{aRR(q.Name(), "10.0.0.1")}, nil)}
	})
	l63 := strings.Repeat("x", 63)
	longest := l63 + "." + l63 + "." + l63 + "." + strings.Repeat("y", 61) // 253 bytes: 255 in wire form
	tooLong := longest + "y"
	args := []string{"-server", f.Addr, "ok.test", "a..b", "", ".a", l63 + "x.test", tooLong, longest + "."}
	expectCLI(t, args,
		"ok.test 10.0.0.1\n"+longest+". 10.0.0.1\n",
		"dnsquery: a..b: bad name: empty label\n"+
			"dnsquery: \"\": bad name: empty name\n"+
			"dnsquery: .a: bad name: empty label\n"+
			"dnsquery: "+l63+"x.test: bad name: label of 64 bytes, more than 63\n"+
			"dnsquery: "+tooLong+": bad name: 256 bytes in wire form, more than 255\n",
		3)
	if n := len(f.Queries()); n != 2 {
		t.Fatalf("the server got %d queries, want 2 (the good names only)", n)
	}
}

// TestRegressionStrayDatagramsDoNotHoldOffRetries: a lost UDP query is
// resent after Wait even while datagrams that are not its answer keep
// coming. Found in review: the retry timer was the receive's timeout, so
// every stray datagram restarted it and a steady trickle (here one every
// 20 ms from the server's address) kept the lost query from being resent
// until the overall deadline.
func TestRegressionStrayDatagramsDoNotHoldOffRetries(t *testing.T) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() {
		close(stop)
		wg.Wait()
	})
	var mu sync.Mutex
	tries := 0
	f := startFakeDNS(t, "127.0.0.1", func(q fakeQuery) [][]byte {
		mu.Lock()
		defer mu.Unlock()
		tries++
		if tries > 1 {
			return [][]byte{response(q, 0, []dnsmessage.Resource{aRR(q.Name(), "10.0.0.1")}, nil)}
		}
		wg.Add(1)
		go func() { // the first query is lost, and junk starts flowing
			defer wg.Done()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					q.UDP.WriteTo([]byte("junk"), q.From)
				}
			}
		}()
		return nil
	})
	expectCLI(t, []string{"-server", f.Addr, "-timeout", "5s", "ok.test"}, "ok.test 10.0.0.1\n", "", 0)
}

// TestRegressionOversizedDatagramIsIgnored: a datagram too big for the
// socket (65520 bytes, which IPv6 loopback carries) is skipped like any
// stray datagram. Found in review: its receive error (EMSGSIZE) failed
// the whole run.
func TestRegressionOversizedDatagramIsIgnored(t *testing.T) {
	f := startFakeDNS(t, "::1", func(q fakeQuery) [][]byte {
		return [][]byte{bytes.Repeat([]byte{0xff}, 65520), response(q, 0, []dnsmessage.Resource{aRR(q.Name(), "10.0.0.1")}, nil)}
	})
	expectCLI(t, []string{"-server", f.Addr, "ok.test"}, "ok.test 10.0.0.1\n", "", 0)
}

// TestRegressionAddressesOfTheNameOnly: a name's addresses are the A
// records of the name and of its CNAME chain (names compared without
// case, compressed in the answer), not every A record of the answer; a
// CNAME loop ends. Found in review: every A record in the answer section
// was taken.
func TestRegressionAddressesOfTheNameOnly(t *testing.T) {
	f := startFakeDNS(t, "127.0.0.1", func(q fakeQuery) [][]byte {
		switch q.Name() {
		case "www.ok.test.":
			return [][]byte{response(q, 0, []dnsmessage.Resource{
				aRR("other.test.", "6.6.6.6"),
				aRR("ALIAS.ok.test.", "10.0.0.9"), // before the CNAME that leads to it
				cnameRR("WWW.ok.TEST.", "Alias.OK.test."),
				aRR("www.ok.test.evil.", "6.6.6.7"),
			}, nil)}
		case "loop.test.":
			return [][]byte{response(q, 0, []dnsmessage.Resource{
				cnameRR("loop.test.", "a.loop.test."),
				cnameRR("a.loop.test.", "loop.test."),
				aRR("b.loop.test.", "6.6.6.8"),
			}, nil)}
		}
		return nil
	})
	expectCLI(t, []string{"-server", f.Addr, "www.ok.test", "loop.test"},
		"www.ok.test 10.0.0.9\n",
		"dnsquery: loop.test does not resolve (no A record)\n", 1)
}

// TestRegressionRandomQueryIDs: query IDs are random, not 1, 2, 3… in
// every run, which an off-path spoofer could predict.
func TestRegressionRandomQueryIDs(t *testing.T) {
	f := startFakeDNS(t, "127.0.0.1", func(q fakeQuery) [][]byte {
		return [][]byte{response(q, 0, []dnsmessage.Resource{aRR(q.Name(), "10.0.0.1")}, nil)}
	})
	var names []string
	for i := 0; i < 8; i++ {
		names = append(names, fmt.Sprintf("n%d.test", i))
	}
	ids := func() string {
		before := len(f.Queries())
		if _, errOut, code := runCLI(append([]string{"-server", f.Addr}, names...)...); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var got []int
		for _, q := range f.Queries()[before:] {
			got = append(got, int(q.Msg.ID))
		}
		sort.Ints(got)
		return fmt.Sprint(got)
	}
	first, second := ids(), ids()
	if first == "[1 2 3 4 5 6 7 8]" || first == second {
		t.Fatalf("query IDs %s then %s: predictable", first, second)
	}
}

// TestRegressionTCPSecondAnswer: over TCP, a second answer with the ID
// of a query already answered is a protocol error for the names still
// waiting. Found in review: it took the place of another query's answer,
// whose name then read as "does not resolve".
func TestRegressionTCPSecondAnswer(t *testing.T) {
	f := startFakeDNS(t, "127.0.0.1", func(q fakeQuery) [][]byte {
		if q.Name() != "a.test." {
			return nil
		}
		a := response(q, 0, []dnsmessage.Resource{aRR(q.Name(), "10.0.0.1")}, nil)
		return [][]byte{a, a}
	})
	out, errOut, code := runCLI("-server", f.Addr, "-tcp", "a.test", "b.test")
	var id uint16
	for _, q := range f.Queries() {
		if q.Name() == "a.test." {
			id = q.Msg.ID
		}
	}
	want := fmt.Sprintf("dnsquery: b.test: protocol error from %s over TCP: second answer with ID %d\n", f.Addr, id)
	if out != "a.test 10.0.0.1\n" || errOut != want || code != 3 {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 3, a.test's address, %q", code, out, errOut, want)
	}
}

// TestRegressionTruncatedOverTCP: a truncated (TC) answer over TCP, from
// the first query or from the TCP retry of a truncated UDP answer, is a
// failure. Found in review: its missing records read as "does not
// resolve".
func TestRegressionTruncatedOverTCP(t *testing.T) {
	f := startFakeDNS(t, "127.0.0.1", func(q fakeQuery) [][]byte {
		return [][]byte{response(q, 0, nil, func(m *dnsmessage.Message) { m.Truncated = true })}
	})
	for _, tcp := range [][]string{nil, {"-tcp"}} {
		expectCLI(t, append(append([]string{"-server", f.Addr}, tcp...), "big.test"), "",
			"dnsquery: big.test: truncated answer from "+f.Addr+" over TCP\n", 3)
	}
}
