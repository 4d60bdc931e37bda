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
