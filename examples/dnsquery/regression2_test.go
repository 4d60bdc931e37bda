package main

import (
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// TestRegressionIDN: a name with non-ASCII letters is asked for in its
// ASCII (IDNA, xn--) form, as dig and the system resolver ask for it, and
// printed as given; one that is not a valid IDN is a bad name, not sent.
//
// Found in review: the name's UTF-8 bytes went on the wire as they were,
// so "bücher.test" was asked for as a name no server has (NXDOMAIN from
// dnsmasq, whose hosts file holds xn--bcher-kva.test).
func TestRegressionIDN(t *testing.T) {
	f := startFakeDNS(t, "127.0.0.1", func(q fakeQuery) [][]byte {
		if q.Name() != "xn--bcher-kva.test." && q.Name() != "_srv.xn--mnchen-3ya.test." {
			return [][]byte{response(q, dnsmessage.RCodeNameError, nil, nil)}
		}
		return [][]byte{response(q, 0, []dnsmessage.Resource{aRR(q.Name(), "10.0.0.1")}, nil)}
	})
	expectCLI(t, []string{"-server", f.Addr, "bücher.test", "Bücher.Test.", "_srv.münchen.test", "ü-.test", "a\x80.test"},
		"bücher.test 10.0.0.1\nBücher.Test. 10.0.0.1\n_srv.münchen.test 10.0.0.1\n",
		"dnsquery: ü-.test: bad name: not a valid internationalized name: idna: invalid label \"ü-\"\n"+
			"dnsquery: a\x80.test: bad name: not valid UTF-8\n",
		3)
	for _, q := range f.Queries() {
		if strings.Contains(q.Name(), "ü") || strings.Contains(q.Name(), "\x80") {
			t.Fatalf("the server was asked for %q", q.Name())
		}
	}
}

// TestRegressionServerWithoutPort: -server HOST (an IPv4 or IPv6 address
// or a host name without a port) means port 53, as dig @HOST does; the
// messages name the address asked.
//
// Found in review: "-server 127.0.0.1" failed with "address 127.0.0.1:
// missing port in address", and "-server ::1" with "too many colons".
func TestRegressionServerWithoutPort(t *testing.T) {
	// The deadline has passed before any answer could arrive.
	for _, tc := range []struct{ server, addr string }{
		{"127.0.0.1", "127.0.0.1:53"},
		{"::1", "[::1]:53"},
		{"[::1]", "[::1]:53"},
		{"localhost", "localhost:53"},
	} {
		expectCLI(t, []string{"-server", tc.server, "-timeout", "1ns", "a.test"}, "",
			"dnsquery: a.test: no answer from "+tc.addr+": context deadline exceeded\n", 3)
	}
	out, errOut, code := runCLI("-server", "nosuch.invalid:53", "a.test")
	if code != 3 || out != "" || !strings.HasPrefix(errOut, "dnsquery: server nosuch.invalid:53: lookup nosuch.invalid") {
		t.Fatalf("an unknown server host: exit %d, stdout %q, stderr %q; want the server named", code, out, errOut)
	}
}

// TestRegressionUsage: -h prints the usage (synopsis and flags) and exits
// 0, as a help request is not an error; a -timeout that is not positive
// is a usage error (2), not a lookup that fails at once.
//
// Found in review: -h exited 2 with only the flag list (no synopsis, no
// word of the NAME arguments), and "-timeout 0" made every name fail with
// "context deadline exceeded" and exit 3.
func TestRegressionUsage(t *testing.T) {
	out, errOut, code := runCLI("-h")
	if code != 0 || out != "" || !strings.HasPrefix(errOut, "usage: dnsquery [-tcp] [-timeout D] -server HOST[:PORT] NAME...\n") || !strings.Contains(errOut, "-timeout") {
		t.Fatalf("-h: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for d, shown := range map[string]string{"0": "0s", "-1s": "-1s"} {
		expectCLI(t, []string{"-server", "127.0.0.1:53", "-timeout", d, "a.test"}, "",
			"dnsquery: -timeout "+shown+": must be positive\n", 2)
	}
}
